//! Random sequences of filesystem operations applied to a host directory holding a fixture
//! and to an overlay whose lower layer is another host directory holding the same fixture
//! give the same results, errno by errno and byte by byte; and the lower directory never
//! changes. Inode numbers, devices, timestamps and directories' link counts differ by nature
//! and are not compared; listings are compared as sets.

use lucent_abi::{Errno, Filetype};
use lucent_core::fs::{OpenOptions, Opened, WasiDir};
use lucent_core::path::{Component, Follow, Step, open as open_path, resolve};
use lucent_host::HostDir;
use lucent_memfs::{MemFs, Options};
use lucent_overlay::Overlay;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::{IoSlice, IoSliceMut};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Debug)]
enum Op {
    Mkdir(&'static str),
    Rmdir(&'static str),
    Unlink(&'static str),
    /// Opens with `create` (and `exclusive`, `truncate`) and writes the bytes at the offset.
    Write {
        path: &'static str,
        offset: u64,
        bytes: Vec<u8>,
        exclusive: bool,
        truncate: bool,
    },
    Read(&'static str),
    Truncate(&'static str, u64),
    Rename(&'static str, &'static str),
    Link(&'static str, &'static str),
    Symlink(&'static str, &'static str),
    Stat(&'static str, bool),
    List(&'static str),
}

const PATHS: [&str; 9] = ["a", "b", "d", "d/a", "d/b", "d/d", "l", "l/a", "d/d/a"];
const TARGETS: [&str; 5] = ["a", "d", "../a", "missing", "d/a"];

fn path() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(PATHS.to_vec())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        path().prop_map(Op::Mkdir),
        path().prop_map(Op::Rmdir),
        path().prop_map(Op::Unlink),
        (path(), 0u64..9000, proptest::collection::vec(any::<u8>(), 0..40), any::<bool>(), any::<bool>()).prop_map(
            |(path, offset, bytes, exclusive, truncate)| Op::Write { path, offset, bytes, exclusive, truncate }
        ),
        path().prop_map(Op::Read),
        (path(), 0u64..9000).prop_map(|(p, n)| Op::Truncate(p, n)),
        (path(), path()).prop_map(|(a, b)| Op::Rename(a, b)),
        (path(), path()).prop_map(|(a, b)| Op::Link(a, b)),
        (proptest::sample::select(TARGETS.to_vec()), path()).prop_map(|(t, p)| Op::Symlink(t, p)),
        (path(), any::<bool>()).prop_map(|(p, f)| Op::Stat(p, f)),
        proptest::sample::select(vec![".", "d", "l", "d/d"]).prop_map(Op::List),
    ]
}

/// The directory holding the last component of `path`, and that component.
fn locate(root: &Arc<dyn WasiDir>, path: &str) -> Result<(Arc<dyn WasiDir>, Component), Errno> {
    resolve(root, path.as_bytes(), Follow::Never, |t| Ok(Step::Done((t.dir.clone(), t.name.clone()))))
}

fn run(root: &Arc<dyn WasiDir>, op: &Op) -> Result<String, Errno> {
    let rw = OpenOptions { read: true, write: true, ..OpenOptions::default() };
    let file = |path: &str, options: &OpenOptions| match open_path(root, path.as_bytes(), true, options)? {
        Opened::File(f) => Ok(f),
        Opened::Dir(_) => Err(Errno::Isdir),
        Opened::Symlink(_) => Err(Errno::Loop),
    };
    Ok(match op {
        Op::Mkdir(p) => {
            let (dir, name) = locate(root, p)?;
            dir.create_dir(&name)?;
            String::new()
        }
        Op::Rmdir(p) => {
            let (dir, name) = locate(root, p)?;
            dir.remove_dir(&name)?;
            String::new()
        }
        Op::Unlink(p) => {
            let (dir, name) = locate(root, p)?;
            dir.unlink_file(&name)?;
            String::new()
        }
        Op::Write { path, offset, bytes, exclusive, truncate } => {
            let options = OpenOptions { create: true, exclusive: *exclusive, truncate: *truncate, ..rw };
            let f = file(path, &options)?;
            let n = f.pwrite_vectored(&[IoSlice::new(bytes)], *offset)?;
            format!("wrote {n}")
        }
        Op::Read(p) => {
            let f = file(p, &OpenOptions { read: true, ..OpenOptions::default() })?;
            let mut buf = vec![0; 20_000];
            let n = f.pread_vectored(&mut [IoSliceMut::new(&mut buf)], 0)?;
            buf.truncate(n);
            format!("{buf:?}")
        }
        Op::Truncate(p, size) => {
            file(p, &rw)?.set_size(*size)?;
            String::new()
        }
        Op::Rename(a, b) => {
            let ((from, old), (to, new)) = (locate(root, a)?, locate(root, b)?);
            from.rename(&old, &*to, &new)?;
            String::new()
        }
        Op::Link(a, b) => {
            let ((from, old), (to, new)) = (locate(root, a)?, locate(root, b)?);
            from.link(&old, &*to, &new)?;
            String::new()
        }
        Op::Symlink(target, p) => {
            let (dir, name) = locate(root, p)?;
            dir.symlink(target.as_bytes(), &name)?;
            String::new()
        }
        Op::Stat(p, follow) => {
            let follow = if *follow { Follow::Always } else { Follow::Never };
            let stat = resolve(root, p.as_bytes(), follow, |t| {
                let stat = t.dir.stat_at(t.name)?;
                if t.follow && stat.filetype == Filetype::SymbolicLink.raw() {
                    return Ok(Step::Follow(t.dir.read_link(t.name)?));
                }
                Ok(Step::Done(stat))
            })?;
            // A directory's size is the filesystem's own business.
            let (size, nlink) =
                if stat.filetype == Filetype::Directory.raw() { (0, 0) } else { (stat.size, stat.nlink) };
            format!("type {} nlink {nlink} size {size}", stat.filetype)
        }
        Op::List(p) => {
            let dir = match open_path(
                root,
                p.as_bytes(),
                true,
                &OpenOptions { directory: true, ..OpenOptions::default() },
            )? {
                Opened::Dir(d) => d,
                _ => return Err(Errno::Notdir),
            };
            let mut entries = Vec::new();
            dir.read_dir(0, &mut |e, _| {
                entries.push(format!("{} {:?}", String::from_utf8_lossy(&e.name), e.filetype));
                true
            })?;
            entries.sort();
            entries.join(", ")
        }
    })
}

/// Makes the fixture in `dir`: files, directories (one nested), a symlink.
fn fixture(dir: &Path) {
    std::fs::write(dir.join("a"), "alpha").unwrap();
    std::fs::create_dir_all(dir.join("d/d")).unwrap();
    std::fs::write(dir.join("d/a"), vec![7u8; 5000]).unwrap();
    std::fs::write(dir.join("d/d/a"), "deep").unwrap();
    std::os::unix::fs::symlink("d", dir.join("l")).unwrap();
}

/// Every name beneath `root` with its type, contents (or target) and modification time.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_string()
            } else if meta.is_symlink() {
                format!("-> {:?}", std::fs::read_link(&path).unwrap())
            } else {
                format!("{:?}", std::fs::read(&path).unwrap())
            };
            out.insert(
                path.strip_prefix(root).unwrap().display().to_string(),
                format!("{what} {:?}", meta.modified().unwrap()),
            );
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn an_overlay_does_what_the_host_does_and_never_changes_its_lower_layer(ops in proptest::collection::vec(op(), 1..40)) {
        let (reference, lower) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        fixture(reference.path());
        fixture(lower.path());
        let before = snapshot(lower.path());
        let host: Arc<dyn WasiDir> = Arc::new(HostDir::open_ambient(reference.path()).unwrap());
        let lower_dir: Arc<dyn WasiDir> = Arc::new(HostDir::open_ambient(lower.path()).unwrap());
        let overlay = Overlay::new(lower_dir, MemFs::new(Options::default())).unwrap().root();
        for (i, op) in ops.iter().enumerate() {
            prop_assert_eq!(run(&host, op), run(&overlay, op), "step {} {:?} of {:?}", i, op, ops);
        }
        prop_assert_eq!(snapshot(lower.path()), before);
    }
}
