//! Fuzz target (a): random sequences of hostcalls, of both ABIs, with random arguments and
//! pointers, against a context that preopens part of a temporary tree.
//!
//! The calls are the very functions the wasmtime linker registers (`lucent_core::preview1`
//! and `lucent_core::preview0`), given a 64 KiB [`GuestMemory`] in place of an instance's, so
//! the fuzzer needs no engine and no sanitizer build of one. What the linker adds on top (the
//! memory lookup and the errno-or-trap policy) is tested by the WAT battery.
//!
//! Oracles, after every call: nothing returns but an errno (a panic is a finding); nothing
//! outside the read-write preopen changed; every descriptor refers to something beneath a
//! preopen, and one beneath the read-only preopen holds no right to change anything.

use crate::Outcomes;
use crate::tree::{MAX_FDS, Tree};
use arbitrary::Unstructured;
use lucent_abi::{Errno, GuestMemory, Rights};
use lucent_core::WasiCtx;

/// Size of the guest memory.
pub const MEM_SIZE: u32 = 64 * 1024;
/// Most calls made for one input.
pub const MAX_CALLS: usize = 48;

/// Where the paths of [`PATHS`] are stored in guest memory.
const PATHS_AT: u32 = 256;
/// An iovec array: four buffers in [`DATA_AT`], one of them empty.
const IOVS_AT: u32 = 2048;
/// Bytes to write; buffers to read into.
const DATA_AT: u32 = 4096;
/// Room for results.
const SCRATCH_AT: u32 = 8192;
/// Two subscriptions (`wasi_snapshot_preview1` layout): a relative clock and a read on fd 3.
const SUBS_AT: u32 = 12288;

/// Paths a guest would try, escapes above all.
pub const PATHS: &[&str] = &[
    "file",
    "dir",
    "dir/inner",
    "new",
    "new/deeper",
    ".",
    "..",
    "/",
    "",
    "up",
    "up/secret",
    "abs",
    "abs/secret",
    "loop",
    "dot/dot/file",
    "ro/data",
    "../outside/secret",
    "dir/../../outside",
    "/sandbox/file",
    "data",
    "sub",
    "escape/secret",
    "file/",
    "a\0b",
];

/// Draws arguments from the fuzzer's bytes, favouring values that get past the first checks.
/// Each method draws one kind of argument; the call tables below name them per parameter.
pub struct Gen<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    last_path_len: Option<u32>,
    last_fd: u32,
}

impl Gen<'_, '_> {
    fn pick(&mut self, n: u32) -> u32 {
        self.u.int_in_range(0..=n.saturating_sub(1)).unwrap_or(0)
    }

    fn any_u32(&mut self) -> u32 {
        self.u.arbitrary().unwrap_or(0)
    }

    /// A descriptor: mostly open ones and their neighbours.
    pub fn fd(&mut self) -> u32 {
        match self.pick(8) {
            0..=2 => 3 + self.pick(2),
            3 | 4 => self.last_fd,
            5 => self.pick(MAX_FDS + 2),
            6 => self.pick(3),
            _ => self.any_u32(),
        }
    }

    /// A pointer: mostly to the prepared areas, sometimes to the edges of memory or beyond.
    pub fn ptr(&mut self) -> u32 {
        self.last_path_len = None;
        match self.pick(12) {
            0..=3 => {
                let i = self.pick(len32(PATHS.len()));
                let (at, len) = path_slot(i);
                self.last_path_len = Some(len);
                at
            }
            4 => IOVS_AT + 8 * self.pick(3),
            5 => DATA_AT + self.pick(64),
            6 => SCRATCH_AT + 8 * self.pick(64),
            7 => SUBS_AT,
            8 => [0, 1, MEM_SIZE - 8, MEM_SIZE - 1, MEM_SIZE, u32::MAX - 3, u32::MAX][self.pick(7) as usize],
            9 => self.pick(MEM_SIZE),
            _ => self.any_u32(),
        }
    }

    /// A pointer to a path: mostly one of [`PATHS`].
    pub fn path(&mut self) -> u32 {
        if self.pick(4) == 0 {
            return self.ptr();
        }
        let (at, len) = path_slot(self.pick(len32(PATHS.len())));
        self.last_path_len = Some(len);
        at
    }

    /// A pointer to an iovec list: mostly the prepared one.
    pub fn iovs(&mut self) -> u32 {
        if self.pick(4) == 0 { self.ptr() } else { IOVS_AT + 8 * self.pick(2) }
    }

    /// A pointer for a result: mostly aligned room in the scratch area.
    pub fn out(&mut self) -> u32 {
        if self.pick(4) == 0 { self.ptr() } else { SCRATCH_AT + 8 * self.pick(256) }
    }

    /// A length or count.
    pub fn length(&mut self) -> u32 {
        if let Some(len) = self.last_path_len.take()
            && self.pick(4) != 0
        {
            return len;
        }
        match self.pick(6) {
            0..=2 => self.pick(9),
            3 => [16, 256, 1024, 1025, 4096, MEM_SIZE][self.pick(6) as usize],
            _ => self.any_u32(),
        }
    }

    /// A 32-bit value: small ones are the valid flags and enums, and 0 is valid nearly
    /// everywhere.
    pub fn u32(&mut self) -> u32 {
        match self.pick(8) {
            0..=3 => 0,
            4 | 5 => self.pick(4),
            6 => self.pick(64),
            _ => self.any_u32(),
        }
    }

    /// A 64-bit value.
    pub fn u64(&mut self) -> u64 {
        match self.pick(5) {
            0 => 0,
            1 => u64::from(self.pick(4096)),
            2 => u64::MAX >> self.pick(64),
            3 => u64::MAX,
            _ => self.u.arbitrary().unwrap_or(0),
        }
    }

    /// A rights mask: none, all, the read-only ones, or any subset of the defined bits, and
    /// now and then undefined bits.
    pub fn rights(&mut self) -> u64 {
        let all = Rights::all().bits();
        match self.pick(6) {
            0 => 0,
            1 | 2 => all,
            3 => Rights::all().difference(Rights::MUTATING).bits(),
            4 => self.u64() & all,
            _ => self.u64(),
        }
    }

    /// A signed 64-bit value (`fd_seek`'s offset).
    pub fn i64(&mut self) -> i64 {
        i64::from_ne_bytes(self.u64().to_ne_bytes())
    }
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Where path `i` of [`PATHS`] lives in memory, and its length.
fn path_slot(i: u32) -> (u32, u32) {
    let path = PATHS.get(i as usize).copied().unwrap_or("");
    (PATHS_AT + 32 * i, len32(path.len()))
}

/// One hostcall: its name and how to call it with drawn arguments.
pub struct Hostcall {
    /// The import name.
    pub name: &'static str,
    /// Calls it.
    pub call: fn(&mut WasiCtx, &mut GuestMemory<'_>, &mut Gen<'_, '_>) -> Result<(), Errno>,
}

macro_rules! hostcalls {
    ($abi:ident; $($name:ident($($kind:ident),*);)*) => {
        &[$(Hostcall {
            name: stringify!($name),
            call: |ctx, mem, _g| lucent_core::$abi::$name(ctx, mem, $(_g.$kind()),*),
        }),*]
    };
}

/// The functions both ABIs share by name and argument list.
macro_rules! common {
    ($abi:ident; $($extra:tt)*) => {
        hostcalls! { $abi;
            args_get(out, out);
            args_sizes_get(out, out);
            environ_get(out, out);
            environ_sizes_get(out, out);
            clock_res_get(u32, out);
            clock_time_get(u32, u64, out);
            fd_advise(fd, u64, u64, u32);
            fd_allocate(fd, u64, u64);
            fd_close(fd);
            fd_datasync(fd);
            fd_fdstat_get(fd, out);
            fd_fdstat_set_flags(fd, u32);
            fd_fdstat_set_rights(fd, rights, rights);
            fd_filestat_get(fd, out);
            fd_filestat_set_size(fd, u64);
            fd_filestat_set_times(fd, u64, u64, u32);
            fd_pread(fd, iovs, length, u64, out);
            fd_prestat_get(fd, out);
            fd_prestat_dir_name(fd, out, length);
            fd_pwrite(fd, iovs, length, u64, out);
            fd_read(fd, iovs, length, out);
            fd_readdir(fd, out, length, u64, out);
            fd_renumber(fd, fd);
            fd_seek(fd, i64, u32, out);
            fd_sync(fd);
            fd_tell(fd, out);
            fd_write(fd, iovs, length, out);
            path_create_directory(fd, path, length);
            path_filestat_get(fd, u32, path, length, out);
            path_filestat_set_times(fd, u32, path, length, u64, u64, u32);
            path_link(fd, u32, path, length, fd, path, length);
            path_open(fd, u32, path, length, u32, rights, rights, u32, out);
            path_readlink(fd, path, length, out, length, out);
            path_remove_directory(fd, path, length);
            path_rename(fd, path, length, fd, path, length);
            path_symlink(path, length, fd, path, length);
            path_unlink_file(fd, path, length);
            poll_oneoff(ptr, out, length, out);
            sched_yield();
            random_get(out, length);
            sock_recv(fd, iovs, length, u32, out, out);
            sock_send(fd, iovs, length, u32, out);
            sock_shutdown(fd, u32);
            $($extra)*
        }
    };
}

/// `wasi_snapshot_preview1`, but for `proc_exit` and `proc_raise` (see [`PROC`]).
pub const PREVIEW1: &[Hostcall] = common! { preview1; sock_accept(fd, u32, out); };
/// `wasi_unstable`, but for `proc_exit` and `proc_raise`.
pub const PREVIEW0: &[Hostcall] = common! { preview0; };
/// `proc_exit` and `proc_raise`, the same in both ABIs. In the core they only say how the
/// instance should end (the engine layer unwinds), so they are safe to call here.
pub const PROC: &[Hostcall] = &[
    Hostcall {
        name: "proc_exit",
        call: |ctx, mem, g| {
            let _exit = lucent_core::preview1::proc_exit(ctx, mem, g.u32());
            Ok(())
        },
    },
    Hostcall { name: "proc_raise", call: |ctx, mem, g| lucent_core::preview1::proc_raise(ctx, mem, g.u32()).map(drop) },
];

/// Lays out the prepared areas of guest memory.
fn prepare(bytes: &mut [u8]) {
    let mut put = |at: u32, data: &[u8]| {
        let at = at as usize;
        if let Some(dst) = bytes.get_mut(at..at + data.len()) {
            dst.copy_from_slice(data);
        }
    };
    for (i, path) in PATHS.iter().enumerate() {
        put(path_slot(len32(i)).0, path.as_bytes());
    }
    for (i, (off, len)) in [(0u32, 16u32), (16, 0), (32, 100), (200, 3000)].into_iter().enumerate() {
        let entry = IOVS_AT + 8 * len32(i);
        put(entry, &(DATA_AT + off).to_le_bytes());
        put(entry + 4, &len.to_le_bytes());
    }
    put(DATA_AT, b"lucent fuzz data, sixteen bytes and more");
    // subscription 1: userdata 1, clock, relative 1 ms on the monotonic clock.
    put(SUBS_AT, &1u64.to_le_bytes());
    put(SUBS_AT + 8, &[0]);
    put(SUBS_AT + 16, &1u32.to_le_bytes());
    put(SUBS_AT + 24, &1_000_000u64.to_le_bytes());
    // subscription 2: userdata 2, fd_read on fd 3 (a directory: a per-event error).
    put(SUBS_AT + 48, &2u64.to_le_bytes());
    put(SUBS_AT + 56, &[1]);
    put(SUBS_AT + 64, &3u32.to_le_bytes());
}

/// Runs one fuzz input; returns, per function called, how many calls succeeded and how many
/// failed (for tests that the fuzzer reaches past the first checks).
///
/// # Panics
///
/// On a finding: a hostcall panicked (the panic itself), something outside the read-write
/// preopen changed, or a descriptor escaped.
pub fn run(data: &[u8]) -> Outcomes {
    let mut u = Unstructured::new(data);
    // Half the inputs have the read-write preopen in the memory backend.
    let (tree, mut ctx) = Tree::new(u.arbitrary::<bool>().unwrap_or(false));
    let mut bytes = vec![0u8; MEM_SIZE as usize];
    prepare(&mut bytes);
    let mut log = Vec::new();
    let mut outcomes = Outcomes::default();
    let shared = u.arbitrary::<bool>().unwrap_or(false);
    for _ in 0..MAX_CALLS {
        if u.is_empty() {
            break;
        }
        // Some steps write fuzzer bytes into memory: records the guest controls (iovecs,
        // subscriptions, paths) built by the input itself.
        if u.ratio(1, 8).unwrap_or(false) {
            let at: u16 = u.arbitrary().unwrap_or(0);
            let len = u.int_in_range(1..=64).unwrap_or(1);
            let chunk = u.bytes(len).unwrap_or(&[]);
            let at = usize::from(at);
            if let Some(dst) = bytes.get_mut(at..at + chunk.len()) {
                dst.copy_from_slice(chunk);
            }
            continue;
        }
        let table = match u.int_in_range(0..=9).unwrap_or(0) {
            0..=5 => PREVIEW1,
            6..=8 => PREVIEW0,
            _ => PROC,
        };
        let index = u.choose_index(table.len()).unwrap_or(0);
        let Some(hostcall) = table.get(index) else { continue };
        let last_fd = (0..MAX_FDS).rev().find(|fd| ctx.table().get(*fd).is_ok()).unwrap_or(3);
        let mut g = Gen { u: &mut u, last_path_len: None, last_fd };
        // Half the inputs see the memory as shared (the threads proposal): copied, not lent.
        let result = if shared {
            let cells: Vec<std::cell::UnsafeCell<u8>> = bytes.iter().copied().map(std::cell::UnsafeCell::new).collect();
            let result = (hostcall.call)(&mut ctx, &mut GuestMemory::shared(&cells), &mut g);
            bytes = cells.into_iter().map(std::cell::UnsafeCell::into_inner).collect();
            result
        } else {
            (hostcall.call)(&mut ctx, &mut GuestMemory::new(&mut bytes), &mut g)
        };
        log.push(format!("{} -> {result:?}", hostcall.name));
        outcomes.record(hostcall.name, result.is_ok());
        check(&tree, &ctx).unwrap_or_else(|e| panic!("after {}:\n{e}", log.join("\n")));
    }
    outcomes
}

/// The oracles, run after every call.
fn check(tree: &Tree, ctx: &WasiCtx) -> Result<(), String> {
    tree.check_outside()?;
    tree.check_descriptors(ctx)
}
