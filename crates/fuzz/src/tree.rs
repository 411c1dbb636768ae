//! A fresh directory tree for one fuzz input, the context that sees part of it, and the
//! oracles that say whether the guest reached anything it should not.
//!
//! ```text
//! root/
//!   outside/          never preopened: must not change at all
//!     secret          a file
//!     dir/            a directory
//!     link -> secret
//!   ro/               preopened read-only as `/ro` (fd 4): must not change at all
//!     data, sub/, escape -> ../outside
//!   sandbox/          preopened read-write as `/sandbox` (fd 3): the guest's to change
//!     file, dir/inner, up -> ../outside, abs -> <root>/outside, loop -> loop, dot -> .,
//!     ro -> ../ro
//! ```

use lucent_abi::{Errno, Rights};
use lucent_core::clocks::{SeededRandom, VirtualClocks};
use lucent_core::env::{FdState, Interest, WasiClocks, WasiSched};
use lucent_core::fs::{Found, NullFile, OpenOptions, Opened, WasiDir, WasiFile};
use lucent_core::path::Component;
use lucent_core::stop::Stop;
use lucent_core::table::Object;
use lucent_core::{WasiCtx, WasiCtxBuilder};
use lucent_host::{HostDir, HostSched};
use lucent_memfs::{MemFs, Options as MemFsOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The guest's read-write preopen.
pub const SANDBOX_FD: u32 = 3;
/// The guest's read-only preopen.
pub const RO_FD: u32 = 4;
/// The most descriptors the fuzzed context may hold (small, so `nfile` is reachable).
pub const MAX_FDS: u32 = 24;

/// What one directory entry looked like, without following symlinks. Access times are left
/// out: reading is allowed everywhere the guest can reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    kind: &'static str,
    ino: u64,
    mode: u32,
    nlink: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    /// A file's bytes or a symlink's target.
    content: Vec<u8>,
}

/// Every entry beneath a directory, by relative path.
pub type Snapshot = BTreeMap<PathBuf, Entry>;

/// Lists `dir` recursively without following symlinks; `skip` names subtrees (relative to
/// `dir`) to leave out entirely.
///
/// # Panics
///
/// If the tree cannot be read: the fuzzer's own environment is broken.
pub fn snapshot(dir: &Path, skip: &[&str]) -> Snapshot {
    let mut out = Snapshot::new();
    walk(dir, Path::new(""), skip, &mut out);
    out
}

fn walk(base: &Path, rel: &Path, skip: &[&str], out: &mut Snapshot) {
    let path = base.join(rel);
    let meta = fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()));
    let ft = meta.file_type();
    let (kind, content) = if ft.is_symlink() {
        ("symlink", fs::read_link(&path).map(|t| t.into_os_string().into_encoded_bytes()).unwrap_or_default())
    } else if ft.is_dir() {
        ("dir", Vec::new())
    } else if ft.is_file() {
        ("file", fs::read(&path).unwrap_or_default())
    } else {
        ("other", Vec::new())
    };
    out.insert(
        rel.to_path_buf(),
        Entry {
            kind,
            ino: meta.ino(),
            mode: meta.mode(),
            nlink: meta.nlink(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            content,
        },
    );
    if ft.is_dir() {
        let mut names: Vec<_> = fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("readdir {}: {e}", path.display()))
            .map(|e| e.expect("readdir entry").file_name())
            .collect();
        names.sort();
        for name in names {
            let child = rel.join(&name);
            if skip.iter().any(|s| child == Path::new(s)) {
                continue;
            }
            walk(base, &child, skip, out);
        }
    }
}

/// The differences between two snapshots, one line each.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut lines = Vec::new();
    for (path, entry) in before {
        match after.get(path) {
            None => lines.push(format!("removed: {}", path.display())),
            Some(now) if now != entry => lines.push(format!("changed: {} {entry:?} -> {now:?}", path.display())),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        lines.push(format!("added: {}", path.display()));
    }
    lines
}

/// A scheduler that never blocks: descriptors are polled with a zero timeout and a timeout
/// advances virtual time, so no input can hang the fuzzer (a blocking `fd_read` on a pipe
/// is impossible anyway: the context has no pipes).
#[derive(Debug)]
struct NeverBlock {
    clocks: Arc<VirtualClocks>,
}

impl WasiSched for NeverBlock {
    fn poll(
        &self,
        fds: &[(&dyn WasiFile, Interest)],
        timeout: Option<u64>,
        stop: &Stop,
    ) -> Result<Vec<FdState>, Errno> {
        let states = if fds.is_empty() { Vec::new() } else { HostSched.poll(fds, Some(0), stop)? };
        if let Some(ns) = timeout {
            self.clocks.advance(ns);
        } else if fds.is_empty() {
            return Err(Errno::Inval);
        }
        Ok(states)
    }
}

/// One input's world: the temporary tree, the context that sees it, and the state of
/// everything the guest must not change.
pub struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
    before: Snapshot,
    /// The read-write preopen is the memory backend (with the same entries): nothing on the
    /// host may change, `sandbox/` included.
    memory: bool,
}

/// The device of the in-memory sandbox.
const MEMORY_DEV: u64 = 0x6d65_6d00;

/// The read-write preopen's entries, made in the memory backend.
fn memory_sandbox(root: &Path, clocks: &Arc<VirtualClocks>) -> Arc<dyn WasiDir> {
    let clocks = clocks.clone();
    let clock = Arc::new(move || clocks.now(lucent_abi::Clockid::Realtime, 0).unwrap_or(0));
    let fs = MemFs::new(MemFsOptions { dev: MEMORY_DEV, limit: Some(1 << 20), clock });
    let dir = fs.root();
    let name = |n: &str| Component::new(n.as_bytes()).expect("name");
    let file = |d: &Arc<dyn WasiDir>, n: &str, data: &str| {
        let create = OpenOptions { write: true, create: true, ..OpenOptions::default() };
        let Ok(Opened::File(f)) = d.open(&name(n), &create) else { panic!("create {n}") };
        f.write_vectored(&[std::io::IoSlice::new(data.as_bytes())]).expect("write");
    };
    file(&dir, "file", "hello");
    dir.create_dir(&name("dir")).expect("mkdir");
    let Ok(Found::Dir(sub)) = dir.lookup(&name("dir")) else { panic!("dir") };
    file(&sub, "inner", "inner");
    let abs = root.join("outside").into_os_string().into_encoded_bytes();
    for (target, link) in
        [(&b"../outside"[..], "up"), (&abs, "abs"), (b"loop", "loop"), (b".", "dot"), (b"../ro", "ro")]
    {
        dir.symlink(target, &name(link)).expect("symlink");
    }
    dir
}

impl Tree {
    /// Makes the tree and a context with `sandbox` preopened at fd 3 (the host directory, or
    /// with `memory` the same entries in the memory backend) and `ro` read-only at fd 4,
    /// virtual clocks and seeded randomness.
    ///
    /// # Panics
    ///
    /// If the temporary tree cannot be made.
    pub fn new(memory: bool) -> (Tree, WasiCtx) {
        let dir = tempfile::Builder::new().prefix("lucent-fuzz").tempdir().expect("temporary directory");
        let root = dir.path().canonicalize().expect("canonical temporary directory");
        let mk = |p: &str| fs::create_dir(root.join(p)).expect("mkdir");
        let file = |p: &str, data: &str| fs::write(root.join(p), data).expect("write");
        let link = |target: &Path, p: &str| symlink(target, root.join(p)).expect("symlink");
        mk("outside");
        file("outside/secret", "secret");
        mk("outside/dir");
        link(Path::new("secret"), "outside/link");
        mk("ro");
        file("ro/data", "read-only");
        mk("ro/sub");
        link(Path::new("../outside"), "ro/escape");
        mk("sandbox");
        file("sandbox/file", "hello");
        mk("sandbox/dir");
        file("sandbox/dir/inner", "inner");
        link(Path::new("../outside"), "sandbox/up");
        link(&root.join("outside"), "sandbox/abs");
        link(Path::new("loop"), "sandbox/loop");
        link(Path::new("."), "sandbox/dot");
        link(Path::new("../ro"), "sandbox/ro");

        let clocks = Arc::new(VirtualClocks::new(1_700_000_000_000_000_000, 1_000));
        let open = |p: &str| Arc::new(HostDir::open_ambient(&root.join(p)).expect("open preopen"));
        let sandbox: Arc<dyn WasiDir> = if memory { memory_sandbox(&root, &clocks) } else { open("sandbox") };
        let ctx = WasiCtxBuilder::new()
            .arg("fuzz")
            .env("HOME", "/sandbox")
            .preopened_dir(sandbox, "/sandbox")
            .read_only_dir(open("ro"), "/ro")
            .clocks(clocks.clone())
            .sched(Arc::new(NeverBlock { clocks }))
            .random(Box::new(SeededRandom::new(7)))
            .max_open_files(MAX_FDS)
            .build()
            .expect("fuzz context");
        let before = snapshot(&root, if memory { &[] } else { &["sandbox"] });
        (Tree { _dir: dir, root, before, memory }, ctx)
    }

    /// The absolute host path of an entry of the tree.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Fails if anything outside `sandbox/` changed: `outside/`, the read-only mount, or the
    /// root directory itself.
    ///
    /// # Errors
    ///
    /// The differences, one per line.
    pub fn check_outside(&self) -> Result<(), String> {
        let changes = diff(&self.before, &snapshot(&self.root, if self.memory { &[] } else { &["sandbox"] }));
        if changes.is_empty() { Ok(()) } else { Err(changes.join("\n")) }
    }

    /// The inodes the guest may hold: everything beneath its two preopens, the preopens
    /// included. The second set is the read-only mount's.
    pub fn reachable(&self) -> (BTreeSet<u64>, BTreeSet<u64>) {
        let inodes = |p: &str| snapshot(&self.root.join(p), &[]).into_values().map(|e| e.ino).collect::<BTreeSet<_>>();
        (inodes("sandbox"), inodes("ro"))
    }

    /// Checks every descriptor of `ctx`: what it refers to lies beneath a preopen, and if
    /// beneath the read-only one, it holds no right to change anything.
    ///
    /// # Errors
    ///
    /// What is wrong, for the first descriptor found wrong.
    pub fn check_descriptors(&self, ctx: &WasiCtx) -> Result<(), String> {
        let mut reachable = None;
        for fd in 0..MAX_FDS + 8 {
            let Ok(desc) = ctx.table().get(fd) else { continue };
            let stat = match &desc.object {
                // The standard streams of a context given none.
                Object::File(f) if f.as_any().is::<NullFile>() => continue,
                Object::File(f) => f.filestat(),
                Object::Dir(d) => d.filestat(),
            };
            // An unlinked file or removed directory the guest still holds is reachable from
            // nowhere, inside or out.
            let Ok(stat) = stat else { continue };
            // Nothing but the read-write preopen is in memory: all of it is the guest's.
            if stat.nlink == 0 || (self.memory && stat.dev == MEMORY_DEV) {
                continue;
            }
            let (writable, read_only) = reachable.get_or_insert_with(|| self.reachable());
            if read_only.contains(&stat.ino) {
                let mutating = desc.rights.base.union(desc.rights.inheriting).intersection(Rights::MUTATING);
                if !mutating.is_empty() {
                    return Err(format!("fd {fd} on the read-only mount holds {mutating:?}"));
                }
            } else if !writable.contains(&stat.ino) {
                return Err(format!("fd {fd} refers to inode {} outside both preopens", stat.ino));
            }
        }
        Ok(())
    }
}
