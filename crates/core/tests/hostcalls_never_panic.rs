//! Every hostcall of both ABIs, called with arbitrary arguments over guest memory full of
//! arbitrary records, returns a result: it never panics (docs/panic-audit.md). Tests build
//! with overflow checks, so an unchecked `+` on a guest value fails here as a panic.
//!
//! The context has arguments, an environment, virtual clocks and sleeps, seeded randomness,
//! the null standard streams, and two preopened stub directories with a subdirectory, a file
//! and symlinks (one looping, one escaping), so that paths get resolved. Sequences of calls
//! run on one context, so that closes, renumbers and narrowed rights are exercised too.

use lucent_abi::{Errno, Fdflags, Filestat, Filetype, GuestMemory};
use lucent_core::clocks::{SeededRandom, VirtualClocks, VirtualSched};
use lucent_core::env::{NoSched, RandomSource};
use lucent_core::fs::{DirEntry, Found, NullFile, OpenOptions, Opened, SetTime, WasiDir};
use lucent_core::path::Component;
use lucent_core::{WasiCtx, preview0, preview1};
use proptest::prelude::*;
use std::any::Any;
use std::sync::Arc;

/// A directory holding `d` (itself again), `f` (a null file), `loop` (a symlink to itself)
/// and `up` (a symlink to `../d`), and accepting every change without doing anything.
#[derive(Debug)]
struct StubDir;

fn stat(filetype: Filetype) -> Filestat {
    Filestat { filetype: filetype.raw(), nlink: u64::MAX, size: u64::MAX, ..Filestat::default() }
}

impl WasiDir for StubDir {
    fn lookup(&self, name: &Component) -> Result<Found, Errno> {
        Ok(match name.as_bytes() {
            b"d" | b"." => Found::Dir(Arc::new(StubDir)),
            b"f" => Found::File,
            b"loop" => Found::Symlink(b"loop".to_vec()),
            b"up" => Found::Symlink(b"../d".to_vec()),
            _ => Found::Nothing,
        })
    }

    fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
        match name.as_bytes() {
            b"d" | b"." => Ok(Opened::Dir(Arc::new(StubDir))),
            b"f" if options.directory => Err(Errno::Notdir),
            b"f" => Ok(Opened::File(Arc::new(NullFile))),
            b"loop" => Ok(Opened::Symlink(b"loop".to_vec())),
            b"up" => Ok(Opened::Symlink(b"../d".to_vec())),
            _ if options.create => Ok(Opened::File(Arc::new(NullFile))),
            _ => Err(Errno::Noent),
        }
    }

    fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno> {
        match name.as_bytes() {
            b"loop" => Ok(b"loop".to_vec()),
            b"up" => Ok(b"../d".to_vec()),
            _ => Err(Errno::Inval),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn fdflags(&self) -> Result<Fdflags, Errno> {
        Ok(Fdflags::empty())
    }

    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(stat(Filetype::Directory))
    }

    fn stat_at(&self, name: &Component) -> Result<Filestat, Errno> {
        Ok(stat(match name.as_bytes() {
            b"d" | b"." => Filetype::Directory,
            b"f" => Filetype::RegularFile,
            b"loop" | b"up" => Filetype::SymbolicLink,
            _ => return Err(Errno::Noent),
        }))
    }

    fn set_times_at(&self, _name: &Component, _atim: SetTime, _mtim: SetTime) -> Result<(), Errno> {
        Ok(())
    }

    fn create_dir(&self, _name: &Component) -> Result<(), Errno> {
        Ok(())
    }

    fn unlink_file(&self, _name: &Component) -> Result<(), Errno> {
        Ok(())
    }

    fn symlink(&self, _target: &[u8], _name: &Component) -> Result<(), Errno> {
        Ok(())
    }

    fn rename(&self, _name: &Component, _new_dir: &dyn WasiDir, _new_name: &Component) -> Result<(), Errno> {
        Ok(())
    }

    fn read_dir(&self, cookie: u64, each: &mut dyn FnMut(&DirEntry, u64) -> bool) -> Result<(), Errno> {
        let names: [&[u8]; 5] = [b".", b"..", b"d", b"f", &[b'n'; 300]];
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        for (i, name) in names.iter().enumerate().skip(start) {
            let entry = DirEntry { name: name.to_vec(), ino: u64::MAX, filetype: Filetype::Unknown };
            if !each(&entry, u64::try_from(i).unwrap() + 1) {
                break;
            }
        }
        Ok(())
    }
}

/// Size of the guest memory.
const MEMORY: u32 = 0x1_0000;
/// Where a path made of the case's tokens is written.
const PATH_AT: u32 = 0x100;

/// A 32-bit argument: mostly descriptors, small values and aligned pointers into memory;
/// sometimes the edges of memory and of `u32`, or anything at all.
fn arg32() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => 0u32..8,
        4 => (0u32..MEMORY / 8).prop_map(|x| x * 8),
        1 => 0u32..MEMORY,
        1 => prop_oneof![Just(MEMORY - 8), Just(MEMORY - 1), Just(MEMORY)],
        1 => prop_oneof![Just(0x7fff_ffff), Just(0x8000_0000), Just(u32::MAX - 7), Just(u32::MAX)],
        1 => any::<u32>(),
    ]
}

/// A 64-bit argument: offsets, sizes, timestamps, rights.
fn arg64() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0u64..8,
        1 => prop_oneof![
            Just(i64::MAX.unsigned_abs()),
            Just(i64::MAX.unsigned_abs() + 1),
            Just(u64::MAX - 1),
            Just(u64::MAX)
        ],
        2 => any::<u64>(),
    ]
}

/// One call: which function, and its arguments (each takes what it needs, in order).
type Call = (u8, [u32; 9], [u64; 3]);

fn call() -> impl Strategy<Value = Call> {
    (0u8..52, proptest::array::uniform9(arg32()), proptest::array::uniform3(arg64()))
}

/// Runs one call. The result itself does not matter: only that there is one.
fn run(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, (which, a, b): Call) {
    use preview1 as p1;
    let [a0, a1, a2, a3, a4, a5, a6, a7, a8] = a;
    let [b0, b1, b2] = b;
    let signed = i64::from_ne_bytes(b0.to_ne_bytes());
    // Descriptors: mostly one that is open (the standard streams and the two preopens).
    let fd = if a8 % 8 < 6 { a0 % 5 } else { a0 };
    // Paths: half the time the case's path, else whatever the arguments say.
    let (path, path_len) = if a8 % 2 == 0 { (PATH_AT, a7 % 48) } else { (a1, a2) };
    let (path2, path2_len) = if a8 % 4 < 2 { (PATH_AT, a6 % 48) } else { (a4, a5) };
    let _ = match which {
        0 => p1::args_get(ctx, mem, a0, a1),
        1 => p1::args_sizes_get(ctx, mem, a0, a1),
        2 => p1::environ_get(ctx, mem, a0, a1),
        3 => p1::environ_sizes_get(ctx, mem, a0, a1),
        4 => p1::clock_res_get(ctx, mem, a0, a1),
        5 => p1::clock_time_get(ctx, mem, a0, b0, a1),
        6 => p1::fd_advise(ctx, mem, fd, b0, b1, a1),
        7 => p1::fd_allocate(ctx, mem, fd, b0, b1),
        8 => p1::fd_close(ctx, mem, fd),
        9 => p1::fd_datasync(ctx, mem, fd),
        10 => p1::fd_fdstat_get(ctx, mem, fd, a1),
        11 => p1::fd_fdstat_set_flags(ctx, mem, fd, a1 & u32::from(Fdflags::all().bits())),
        12 => p1::fd_fdstat_set_rights(ctx, mem, fd, b0, b1),
        13 => p1::fd_filestat_get(ctx, mem, fd, a1),
        14 => p1::fd_filestat_set_size(ctx, mem, fd, b0),
        15 => p1::fd_filestat_set_times(ctx, mem, fd, b0, b1, a1),
        16 => p1::fd_pread(ctx, mem, fd, a1, a2, b0, a3),
        17 => p1::fd_prestat_get(ctx, mem, fd, a1),
        18 => p1::fd_prestat_dir_name(ctx, mem, fd, a1, a2),
        19 => p1::fd_pwrite(ctx, mem, fd, a1, a2, b0, a3),
        20 => p1::fd_read(ctx, mem, fd, a1, a2, a3),
        21 => p1::fd_readdir(ctx, mem, fd, a1, a2, b0, a3),
        22 => p1::fd_renumber(ctx, mem, fd, a1),
        23 => p1::fd_seek(ctx, mem, fd, signed, a1, a2),
        24 => p1::fd_sync(ctx, mem, fd),
        25 => p1::fd_tell(ctx, mem, fd, a1),
        26 => p1::fd_write(ctx, mem, fd, a1, a2, a3),
        27 => p1::path_create_directory(ctx, mem, fd, path, path_len),
        28 => p1::path_filestat_get(ctx, mem, fd, a3 % 2, path, path_len, a4),
        29 => p1::path_filestat_set_times(ctx, mem, fd, a3 % 2, path, path_len, b0, b1, a4),
        30 => p1::path_link(ctx, mem, fd, a3 % 2, path, path_len, fd ^ (a3 % 2), path2, path2_len),
        31 => p1::path_open(ctx, mem, fd, a3 % 2, path, path_len, a4 % 16, b0, b1, a5 % 32, a6),
        32 => p1::path_readlink(ctx, mem, fd, path, path_len, a3, a4, a5),
        33 => p1::path_remove_directory(ctx, mem, fd, path, path_len),
        34 => p1::path_rename(ctx, mem, fd, path, path_len, a3, path2, path2_len),
        35 => p1::path_symlink(ctx, mem, path2, path2_len, fd, path, path_len),
        36 => p1::path_unlink_file(ctx, mem, fd, path, path_len),
        37 => p1::poll_oneoff(ctx, mem, a0, a1, a2 % 8, a3),
        38 => p1::poll_oneoff(ctx, mem, a0, a1, a2, a3),
        39 => p1::proc_raise(ctx, mem, a0).map(drop),
        40 => p1::sched_yield(ctx, mem),
        41 => p1::random_get(ctx, mem, a0, a1),
        42 => p1::sock_accept(ctx, mem, fd, a1, a2),
        43 => p1::sock_recv(ctx, mem, fd, a1, a2, a3, a4, a5),
        44 => p1::sock_send(ctx, mem, fd, a1, a2, a3, a4),
        45 => p1::sock_shutdown(ctx, mem, fd, a1),
        46 => preview0::fd_seek(ctx, mem, fd, signed, a1, a2),
        47 => preview0::fd_filestat_get(ctx, mem, fd, a1),
        48 => preview0::path_filestat_get(ctx, mem, fd, a3 % 2, path, path_len, a4),
        49 => preview0::poll_oneoff(ctx, mem, a0, a1, a2 % 8, a3),
        50 => {
            p1::proc_exit(ctx, mem, a0);
            Ok(())
        }
        _ => p1::path_open(ctx, mem, a0, a1, a2, a3, a4, u64::MAX, b2, a5, a6),
    };
}

/// Tokens a path is made of.
const TOKENS: [&str; 9] = ["d", "f", "loop", "up", ".", "..", "/", "x", "d/"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn hostcalls_return_an_errno_and_never_panic(
        seed: u64,
        mask in prop_oneof![Just(0xffu32), Just(0xfff), Just(0xffff), Just(u32::MAX)],
        tokens in proptest::collection::vec(0..TOKENS.len(), 0..12),
        calls in proptest::collection::vec(call(), 1..16),
    ) {
        // Memory full of little-endian words no larger than `mask`: iovec lengths,
        // subscription tags and clock ids that are sometimes valid.
        let mut bytes = vec![0u8; usize::try_from(MEMORY).unwrap()];
        SeededRandom::new(seed).fill(&mut bytes).unwrap();
        for word in bytes.chunks_exact_mut(4) {
            let masked = u32::from_le_bytes(word.try_into().unwrap()) & mask;
            word.copy_from_slice(&masked.to_le_bytes());
        }
        let path: String = tokens.iter().map(|&t| TOKENS[t]).collect();
        let at = usize::try_from(PATH_AT).unwrap();
        bytes[at..at + path.len()].copy_from_slice(path.as_bytes());

        let clocks = Arc::new(VirtualClocks::new(u64::MAX - 1_000_000, 1_000));
        let mut ctx = WasiCtx::builder()
            .arg("prog")
            .arg("argument")
            .env("NAME", "value")
            .clocks(clocks.clone())
            .random(Box::new(SeededRandom::new(seed)))
            .sched(Arc::new(VirtualSched::new(clocks, Arc::new(NoSched))))
            .preopened_dir(Arc::new(StubDir), ".")
            .preopened_dir(Arc::new(StubDir), "/sub")
            .max_open_files(8)
            .build()
            .unwrap();
        let mut mem = GuestMemory::new(&mut bytes);
        for call in calls {
            run(&mut ctx, &mut mem, call);
        }
    }
}
