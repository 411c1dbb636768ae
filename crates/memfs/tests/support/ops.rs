//! Random filesystem operations, for the differential tests of the memory backend and of the
//! overlay (which includes this file by path): the operations, their strategies, and how one
//! is applied beneath a directory and reported.

use lucent_abi::{Errno, Filetype};
use lucent_core::fs::{OpenOptions, Opened, WasiDir};
use lucent_core::path::{Component, Follow, Step, open as open_path, resolve};
use proptest::prelude::*;
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum Op {
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

pub const PATHS: [&str; 9] = ["a", "b", "d", "d/a", "d/b", "d/d", "l", "l/a", "d/d/a"];
pub const TARGETS: [&str; 5] = ["a", "d", "../a", "missing", "d/a"];

pub fn path() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(PATHS.to_vec())
}

pub fn op() -> impl Strategy<Value = Op> {
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
pub fn locate(root: &Arc<dyn WasiDir>, path: &str) -> Result<(Arc<dyn WasiDir>, Component), Errno> {
    resolve(root, path.as_bytes(), Follow::Never, |t| Ok(Step::Done((t.dir.clone(), t.name.clone()))))
}

/// Applies `op` beneath `root`, and what it gave as text. `dir_nlink`: whether a directory's
/// link count is reported (an overlay's merged directories count only their upper part).
pub fn run(root: &Arc<dyn WasiDir>, op: &Op, dir_nlink: bool) -> Result<String, Errno> {
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
            let is_dir = stat.filetype == Filetype::Directory.raw();
            let size = if is_dir { 0 } else { stat.size };
            let nlink = if is_dir && !dir_nlink { 0 } else { stat.nlink };
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
