//! The path resolver: the only code that turns a guest path into directory operations.
//!
//! It follows `path-resolution.md` of the specification: a path is split into components and
//! walked one component at a time beneath a stack of *held* directory handles. `..` pops a held
//! handle (never reopens `..` on the host), so it cannot climb above the starting directory;
//! symlinks are read and their targets spliced into the worklist, with a hop limit; absolute
//! paths and absolute symlink targets are refused. Because every step opens a single component
//! relative to a handle already held, with symlinks never followed by the host, renames and
//! symlink swaps by other processes cannot lead the walk outside.

use crate::fs::WasiDir;
use lucent_abi::Errno;
use std::sync::Arc;

/// Longest guest path accepted, in bytes (`PATH_MAX` on Linux).
pub const MAX_PATH_LEN: usize = 4096;

/// Most symlinks followed while resolving one path (`MAXSYMLINKS` on Linux).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// One checked path component: non-empty, no `/`, no NUL, never `..`. It may be `.`, which
/// only the resolver hands to a final operation to mean "this directory".
#[derive(Clone, PartialEq, Eq)]
pub struct Component(Vec<u8>);

impl Component {
    /// Checks `bytes` as a component.
    ///
    /// # Errors
    ///
    /// `Inval` for an empty name, a `/` or NUL byte, or `..`.
    pub fn new(bytes: &[u8]) -> Result<Self, Errno> {
        if bytes.is_empty() || bytes == b".." || bytes.iter().any(|&b| b == b'/' || b == 0) {
            return Err(Errno::Inval);
        }
        Ok(Component(bytes.to_vec()))
    }

    /// The component `.`: the directory itself.
    pub fn dot() -> Self {
        Component(b".".to_vec())
    }

    /// Whether this is `.`.
    pub fn is_dot(&self) -> bool {
        self.0 == b"."
    }

    /// The bytes of the name.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// Where a path ended up: the directory holding the last component, and that component.
#[derive(Debug)]
pub struct Target<'a> {
    /// The directory that holds `name` (a handle held by the resolver).
    pub dir: &'a Arc<dyn WasiDir>,
    /// The last component; `.` when the path names the directory itself.
    pub name: &'a Component,
    /// The path ended in `/` (or `.`/`..`): the target must be a directory.
    pub must_be_dir: bool,
}

/// Checks a guest path before resolution.
fn check_path(path: &[u8]) -> Result<(), Errno> {
    if path.len() > MAX_PATH_LEN {
        return Err(Errno::Nametoolong);
    }
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.contains(&0) {
        return Err(Errno::Inval);
    }
    if path.first() == Some(&b'/') {
        return Err(Errno::Perm);
    }
    Ok(())
}

/// Pushes the components of `path` onto `work` so that the first component is popped first.
/// Returns whether `path` ends in a slash.
fn push_components(work: &mut Vec<Vec<u8>>, path: &[u8]) -> bool {
    let before = work.len();
    work.extend(path.split(|&b| b == b'/').filter(|c| !c.is_empty()).map(<[u8]>::to_vec));
    if let Some(added) = work.get_mut(before..) {
        added.reverse();
    }
    path.last() == Some(&b'/')
}

/// Resolves `path` beneath `base` and runs `op` on the last component.
///
/// `follow` says whether a symlink in the last component is followed (`SYMLINK_FOLLOW`); a
/// trailing slash always follows. `op` must not follow a symlink in the name it is given; when
/// it fails with `Loop` or `Notdir` and the name is a symlink that should be followed, the
/// resolver reads the link and continues with its target.
///
/// # Errors
///
/// `Perm` for an absolute path, an absolute symlink target, or a `..` that would leave `base`;
/// `Loop` after [`MAX_SYMLINK_HOPS`] symlinks; `Nametoolong` for a path over [`MAX_PATH_LEN`];
/// `Noent` for an empty path or symlink target; `Inval` for a NUL byte; otherwise whatever the
/// directory operations or `op` return.
pub fn resolve<R>(
    base: &Arc<dyn WasiDir>,
    path: &[u8],
    follow: bool,
    mut op: impl FnMut(Target<'_>) -> Result<R, Errno>,
) -> Result<R, Errno> {
    check_path(path)?;
    // Held directories; the bottom one is `base`, which `..` may never pop.
    let mut held: Vec<Arc<dyn WasiDir>> = vec![base.clone()];
    let mut work: Vec<Vec<u8>> = Vec::new();
    let mut must_be_dir = push_components(&mut work, path);
    let mut hops = 0usize;

    // A path of only slashes was refused as absolute; one of only `.` names `base` itself.
    if work.is_empty() {
        work.push(b".".to_vec());
    }

    while let Some(component) = work.pop() {
        let last = work.is_empty();
        let top = held.last().ok_or(Errno::Perm)?.clone();
        if component == b".." {
            if held.len() <= 1 {
                return Err(Errno::Perm);
            }
            held.pop();
            if last {
                let top = held.last().ok_or(Errno::Perm)?;
                return op(Target { dir: top, name: &Component::dot(), must_be_dir: true });
            }
            continue;
        }
        if component == b"." {
            if last {
                return op(Target { dir: &top, name: &Component::dot(), must_be_dir: true });
            }
            continue;
        }
        let name = Component::new(&component)?;
        let error = if last {
            match op(Target { dir: &top, name: &name, must_be_dir }) {
                Ok(result) => return Ok(result),
                Err(e) if follow || must_be_dir => e,
                Err(e) => return Err(e),
            }
        } else {
            match top.open_dir(&name) {
                Ok(dir) => {
                    held.push(dir);
                    continue;
                }
                Err(e) => e,
            }
        };
        // Only a symlink can be worth another try.
        if !matches!(error, Errno::Loop | Errno::Notdir) {
            return Err(error);
        }
        let target = match top.read_link(&name) {
            Ok(target) => target,
            Err(_) => return Err(error),
        };
        hops += 1;
        if hops > MAX_SYMLINK_HOPS {
            return Err(Errno::Loop);
        }
        check_path(&target)?;
        let target_is_dir = push_components(&mut work, &target);
        if last {
            must_be_dir |= target_is_dir;
        }
        if work.len() > MAX_PATH_LEN {
            return Err(Errno::Nametoolong);
        }
    }
    // The loop always returns on the last component.
    Err(Errno::Noent)
}
