//! Fuzz target (b): random path operations built from tokens (`.`, `..`, `/`, names, the
//! tree's symlinks) against a temporary tree, with symlinks the input creates itself.
//!
//! Oracles, after every operation: nothing outside the read-write preopen changed (a listing
//! of the rest of the tree before and after); every open descriptor refers to an inode beneath
//! a preopen; every successful `path_filestat_get` describes one; a descriptor on the
//! read-only mount holds no right to change anything.

use crate::Outcomes;
use crate::tree::{RO_FD, SANDBOX_FD, Tree};
use arbitrary::{Arbitrary, Unstructured};
use lucent_abi::{Errno, Filestat, GuestMemory, GuestPtr, Lookupflags, Rights};
use lucent_core::{WasiCtx, preview1};

/// Most operations for one input.
pub const MAX_OPS: usize = 40;

/// Path components the fuzzer builds paths from.
const TOKENS: &[&str] = &[
    "a", "b", "file", "dir", "inner", "up", "abs", "loop", "dot", "ro", "secret", "outside", "sandbox", ".", "..", "",
];

/// Symlink targets beyond relative token paths: absolute ones and the tree's own root.
const TARGETS: &[&str] = &["/", "/tmp", "/sandbox", "/proc/self/root", "../../..", "../outside/secret"];

const PATH_A: u32 = 256;
const PATH_B: u32 = 2048;
const OUT: u32 = 4096;

/// A path: tokens joined by `/`, maybe absolute, maybe with a trailing slash.
#[derive(Debug)]
pub struct PathSpec(String);

impl<'a> Arbitrary<'a> for PathSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(1..=6)?;
        let mut parts = Vec::with_capacity(n);
        for _ in 0..n {
            parts.push(*u.choose(TOKENS)?);
        }
        let mut path = parts.join("/");
        if u.ratio(1, 10)? {
            path.insert(0, '/');
        }
        if u.ratio(1, 10)? {
            path.push('/');
        }
        Ok(PathSpec(path))
    }
}

/// A symlink's target: a token path or one of [`TARGETS`].
#[derive(Debug)]
pub struct Target(String);

impl<'a> Arbitrary<'a> for Target {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(1, 4)? {
            Ok(Target((*u.choose(TARGETS)?).to_owned()))
        } else {
            Ok(Target(PathSpec::arbitrary(u)?.0))
        }
    }
}

/// One operation. `dir` and `to_dir` pick the directory descriptor (the read-write preopen,
/// the read-only one, or a descriptor the input opened), `fd` one the input opened, `path`,
/// `from` and `to` are paths, `follow` is `symlink_follow`.
#[allow(missing_docs, reason = "the fields are described above")]
#[derive(Arbitrary, Debug)]
pub enum Op {
    /// `path_open`, with the low four `oflags` bits, following symlinks or not, asking for
    /// write rights or not.
    Open { dir: u8, path: PathSpec, oflags: u8, follow: bool, write: bool },
    /// `path_create_directory`.
    Mkdir { dir: u8, path: PathSpec },
    /// `path_remove_directory`.
    Rmdir { dir: u8, path: PathSpec },
    /// `path_unlink_file`.
    Unlink { dir: u8, path: PathSpec },
    /// `path_symlink`.
    Symlink { target: Target, dir: u8, path: PathSpec },
    /// `path_rename`.
    Rename { dir: u8, from: PathSpec, to_dir: u8, to: PathSpec },
    /// `path_link`.
    Link { dir: u8, from: PathSpec, follow: bool, to_dir: u8, to: PathSpec },
    /// `path_filestat_get`.
    Stat { dir: u8, path: PathSpec, follow: bool },
    /// `path_filestat_set_times` to "now".
    Touch { dir: u8, path: PathSpec, follow: bool },
    /// `path_readlink`.
    Readlink { dir: u8, path: PathSpec },
    /// `fd_write` of a few bytes to a descriptor.
    Write { fd: u8 },
    /// `fd_readdir` from the start.
    Readdir { fd: u8 },
    /// `fd_close`.
    Close { fd: u8 },
}

impl Op {
    /// The operation's name, for [`Outcomes`].
    pub fn name(&self) -> &'static str {
        match self {
            Op::Open { .. } => "open",
            Op::Mkdir { .. } => "mkdir",
            Op::Rmdir { .. } => "rmdir",
            Op::Unlink { .. } => "unlink",
            Op::Symlink { .. } => "symlink",
            Op::Rename { .. } => "rename",
            Op::Link { .. } => "link",
            Op::Stat { .. } => "stat",
            Op::Touch { .. } => "touch",
            Op::Readlink { .. } => "readlink",
            Op::Write { .. } => "write",
            Op::Readdir { .. } => "readdir",
            Op::Close { .. } => "close",
        }
    }
}

/// Runs one sequence of operations. Memory holds the two paths of an operation and its
/// result; the context is the tree's.
struct Runner {
    ctx: WasiCtx,
    bytes: Vec<u8>,
    opened: Vec<u32>,
}

impl Runner {
    fn dir(&self, pick: u8) -> u32 {
        match pick % 4 {
            0 | 1 => SANDBOX_FD,
            2 => RO_FD,
            _ => self.opened.get(usize::from(pick / 4) % self.opened.len().max(1)).copied().unwrap_or(SANDBOX_FD),
        }
    }

    fn fd(&self, pick: u8) -> u32 {
        self.opened.get(usize::from(pick) % self.opened.len().max(1)).copied().unwrap_or(u32::from(pick % 8))
    }

    /// Stores `a` and `b` in memory; returns their (pointer, length) pairs.
    fn paths(&mut self, a: &str, b: &str) -> ((u32, u32), (u32, u32)) {
        let mut put = |at: u32, s: &str| {
            let start = at as usize;
            self.bytes[start..start + s.len()].copy_from_slice(s.as_bytes());
            (at, u32::try_from(s.len()).expect("short path"))
        };
        (put(PATH_A, a), put(PATH_B, b))
    }

    /// Calls one hostcall with the context and the memory.
    fn call(&mut self, f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> Result<(), Errno>) -> Result<(), Errno> {
        f(&mut self.ctx, &mut GuestMemory::new(&mut self.bytes))
    }

    fn mem(&mut self) -> GuestMemory<'_> {
        GuestMemory::new(&mut self.bytes)
    }

    /// Performs one operation; returns the inode a successful stat reported, to be checked.
    fn apply(&mut self, op: &Op) -> (Result<(), Errno>, Option<u64>) {
        let follow = |f: bool| if f { Lookupflags::SYMLINK_FOLLOW.bits() } else { 0 };
        match op {
            Op::Open { dir, path, oflags, follow: f, write } => {
                let dir = self.dir(*dir);
                let ((p, l), _) = self.paths(&path.0, "");
                let oflags = u32::from(oflags & 0xf);
                let base = if *write { Rights::all() } else { Rights::all().difference(Rights::MUTATING) };
                let r = self.call(|ctx, mem| {
                    preview1::path_open(ctx, mem, dir, follow(*f), p, l, oflags, base.bits(), base.bits(), 0, OUT)
                });
                if r.is_ok() {
                    let fd = self.mem().read(GuestPtr::<u32>::new(OUT)).expect("opened fd");
                    self.opened.push(fd);
                }
                (r, None)
            }
            Op::Mkdir { dir, path } => {
                let dir = self.dir(*dir);
                let ((p, l), _) = self.paths(&path.0, "");
                (self.call(|ctx, mem| preview1::path_create_directory(ctx, mem, dir, p, l)), None)
            }
            Op::Rmdir { dir, path } => {
                let dir = self.dir(*dir);
                let ((p, l), _) = self.paths(&path.0, "");
                (self.call(|ctx, mem| preview1::path_remove_directory(ctx, mem, dir, p, l)), None)
            }
            Op::Unlink { dir, path } => {
                let dir = self.dir(*dir);
                let ((p, l), _) = self.paths(&path.0, "");
                (self.call(|ctx, mem| preview1::path_unlink_file(ctx, mem, dir, p, l)), None)
            }
            Op::Symlink { target, dir, path } => {
                let dir = self.dir(*dir);
                let ((t, tl), (p, l)) = self.paths(&target.0, &path.0);
                (self.call(|ctx, mem| preview1::path_symlink(ctx, mem, t, tl, dir, p, l)), None)
            }
            Op::Rename { dir, from, to_dir, to } => {
                let (dir, to_dir) = (self.dir(*dir), self.dir(*to_dir));
                let ((a, al), (b, bl)) = self.paths(&from.0, &to.0);
                (self.call(|ctx, mem| preview1::path_rename(ctx, mem, dir, a, al, to_dir, b, bl)), None)
            }
            Op::Link { dir, from, follow: f, to_dir, to } => {
                let (dir, to_dir) = (self.dir(*dir), self.dir(*to_dir));
                let ((a, al), (b, bl)) = self.paths(&from.0, &to.0);
                (self.call(|ctx, mem| preview1::path_link(ctx, mem, dir, follow(*f), a, al, to_dir, b, bl)), None)
            }
            Op::Stat { dir, path, follow: f } => {
                let dir = self.dir(*dir);
                let ((p, l), _) = self.paths(&path.0, "");
                let r = self.call(|ctx, mem| preview1::path_filestat_get(ctx, mem, dir, follow(*f), p, l, OUT));
                let ino = r.is_ok().then(|| self.mem().read(GuestPtr::<Filestat>::new(OUT)).expect("filestat").ino);
                (r, ino)
            }
            Op::Touch { dir, path, follow: f } => {
                let dir = self.dir(*dir);
                let ((p, l), _) = self.paths(&path.0, "");
                let now = u32::from(lucent_abi::Fstflags::ATIM_NOW.union(lucent_abi::Fstflags::MTIM_NOW).bits());
                (
                    self.call(|ctx, mem| preview1::path_filestat_set_times(ctx, mem, dir, follow(*f), p, l, 0, 0, now)),
                    None,
                )
            }
            Op::Readlink { dir, path } => {
                let dir = self.dir(*dir);
                let ((p, l), _) = self.paths(&path.0, "");
                (self.call(|ctx, mem| preview1::path_readlink(ctx, mem, dir, p, l, OUT, 256, OUT + 512)), None)
            }
            Op::Write { fd } => {
                let fd = self.fd(*fd);
                // One iovec at OUT pointing at the bytes of PATH_A.
                self.bytes[OUT as usize..OUT as usize + 8].copy_from_slice(&[0, 1, 0, 0, 5, 0, 0, 0]);
                (self.call(|ctx, mem| preview1::fd_write(ctx, mem, fd, OUT, 1, OUT + 8)), None)
            }
            Op::Readdir { fd } => {
                let fd = self.fd(*fd);
                (self.call(|ctx, mem| preview1::fd_readdir(ctx, mem, fd, OUT, 1024, 0, OUT + 1024)), None)
            }
            Op::Close { fd } => {
                let fd = self.fd(*fd);
                let r = self.call(|ctx, mem| preview1::fd_close(ctx, mem, fd));
                if r.is_ok() {
                    self.opened.retain(|o| *o != fd);
                }
                (r, None)
            }
        }
    }
}

/// Runs one fuzz input; returns, per operation, how many succeeded and how many failed.
///
/// # Panics
///
/// On a finding: a panic in a hostcall, a change outside the read-write preopen, a descriptor
/// or a stat result outside the preopens, or write rights on the read-only mount.
pub fn run(data: &[u8]) -> Outcomes {
    let mut u = Unstructured::new(data);
    let (tree, ctx) = Tree::new(false);
    let mut runner = Runner { ctx, bytes: vec![0; 8192], opened: Vec::new() };
    let mut log = Vec::new();
    let mut outcomes = Outcomes::default();
    for _ in 0..MAX_OPS {
        let Ok(op) = Op::arbitrary(&mut u) else { break };
        let (result, ino) = runner.apply(&op);
        log.push(format!("{op:?} -> {result:?}"));
        outcomes.record(op.name(), result.is_ok());
        let fail = |e: String| -> ! { panic!("after\n{}\n{e}", log.join("\n")) };
        if let Some(ino) = ino {
            let (writable, read_only) = tree.reachable();
            if !writable.contains(&ino) && !read_only.contains(&ino) {
                fail(format!("stat reported inode {ino}, which is outside both preopens"));
            }
        }
        tree.check_outside().unwrap_or_else(|e| fail(e));
        tree.check_descriptors(&runner.ctx).unwrap_or_else(|e| fail(e));
        if u.is_empty() {
            break;
        }
    }
    outcomes
}
