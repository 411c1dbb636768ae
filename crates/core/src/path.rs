//! The path resolver: the only code that turns a guest path into directory operations.
//!
//! It follows `path-resolution.md` of the specification: a path is split into components and
//! walked one component at a time beneath a stack of *held* directory handles. `..` pops a held
//! handle (never reopens `..` on the host), so it cannot climb above the starting directory;
//! symlinks are read and their targets spliced into the worklist, with a hop limit; absolute
//! paths and absolute symlink targets are refused. Because every step opens a single component
//! relative to a handle already held, with symlinks never followed by the host, renames and
//! symlink swaps by other processes cannot lead the walk outside.

use crate::fs::{Found, OpenOptions, Opened, WasiDir};
use lucent_abi::Errno;
use std::sync::Arc;

/// Longest guest path accepted, in bytes (`PATH_MAX` on Linux).
pub const MAX_PATH_LEN: usize = 4096;

/// Most symlinks followed while resolving one path (`MAXSYMLINKS` on Linux).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// Most directories held open at once while resolving one path: each costs a host descriptor,
/// which the whole process shares.
pub const MAX_DEPTH: usize = 256;

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
        let mut component = Component(Vec::new());
        component.set(bytes)?;
        Ok(component)
    }

    /// Makes this component `bytes`, checked as [`Component::new`] checks them (the resolver
    /// reuses one buffer for every component of a path).
    fn set(&mut self, bytes: &[u8]) -> Result<(), Errno> {
        if bytes.is_empty() || bytes == b".." || bytes.iter().any(|&b| b == b'/' || b == 0) {
            return Err(Errno::Inval);
        }
        self.0.clear();
        self.0.extend_from_slice(bytes);
        Ok(())
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
    /// The path ended in `..` (`name` is then `.`, the directory it led to): some operations
    /// answer differently than for `.` (`rmdir` says `notempty`, as Linux does).
    pub dotdot: bool,
    /// A symlink named by `name` is to be followed: the operation answers
    /// [`Step::Follow`] with its target instead of acting on it.
    pub follow: bool,
}

/// What an operation on the last component did.
#[derive(Debug)]
pub enum Step<R> {
    /// It is done, with this result.
    Done(R),
    /// The name is a symlink to follow, with this target: the walk goes on.
    Follow(Vec<u8>),
}

/// When the resolver follows a symlink in the last component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// Always (`SYMLINK_FOLLOW`).
    Always,
    /// Only when the path ends in `/`, as POSIX does for a lookup that does not follow.
    TrailingSlash,
    /// Never: the operation acts on the symlink itself, whatever the path ends in.
    Never,
}

/// Checks a guest path before resolution: length, number of components, emptiness, NUL
/// bytes, absolute paths.
///
/// # Errors
///
/// `Nametoolong` past [`MAX_PATH_LEN`] bytes or [`MAX_DEPTH`] components (`.` and empty ones
/// aside: the one limit on depth, whichever way the path is then opened); `Noent`, `Inval`,
/// `Perm`.
pub fn check_path(path: &[u8]) -> Result<(), Errno> {
    if path.len() > MAX_PATH_LEN {
        return Err(Errno::Nametoolong);
    }
    if path.split(|&b| b == b'/').filter(|c| !c.is_empty() && *c != b".").count() > MAX_DEPTH {
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

/// The components still to walk: what is left of the guest's path, with the targets of the
/// symlinks met on the way in front of it (the latest first), each with how far it has been
/// walked. Nothing is copied but symlink targets.
struct Worklist<'p> {
    path: &'p [u8],
    at: usize,
    links: Vec<(Vec<u8>, usize)>,
    /// Components left in all of them (empty ones, between two slashes, do not count).
    left: usize,
}

impl<'p> Worklist<'p> {
    fn new(path: &'p [u8]) -> Self {
        Worklist { path, at: 0, links: Vec::new(), left: count_components(path) }
    }

    /// Puts the components of a symlink's target in front of what is left.
    fn push(&mut self, link: Vec<u8>) {
        self.left = self.left.saturating_add(count_components(&link));
        self.links.push((link, 0));
    }

    /// The next component, and whether it is the last one.
    fn next(&mut self) -> Option<(&[u8], bool)> {
        loop {
            let (source, at) = self.top();
            let rest = source.get(at..).unwrap_or_default();
            let start = at.saturating_add(rest.iter().take_while(|&&b| b == b'/').count());
            let rest = source.get(start..).unwrap_or_default();
            if rest.is_empty() {
                // This one is walked: the one beneath goes on, if there is one.
                self.links.pop()?;
                continue;
            }
            let end = start.saturating_add(rest.iter().position(|&b| b == b'/').unwrap_or(rest.len()));
            match self.links.last_mut() {
                Some((_, at)) => *at = end,
                None => self.at = end,
            }
            self.left = self.left.saturating_sub(1);
            let last = self.left == 0;
            return Some((self.top().0.get(start..end)?, last));
        }
    }

    /// The path being walked and how far.
    fn top(&self) -> (&[u8], usize) {
        match self.links.last() {
            Some((link, at)) => (link, *at),
            None => (self.path, self.at),
        }
    }
}

/// How many components `path` has (empty ones, between two slashes, do not count).
fn count_components(path: &[u8]) -> usize {
    path.split(|&b| b == b'/').filter(|c| !c.is_empty()).count()
}

/// Resolves `path` beneath `base` and runs `op` on the last component.
///
/// `follow` says when a symlink in the last component is followed ([`Target::follow`]). `op`
/// must not follow a symlink in the name it is given; when the name is a symlink it should
/// follow, it answers [`Step::Follow`] with the link's target, and the resolver goes on with
/// that.
///
/// # Errors
///
/// `Perm` for an absolute path, an absolute symlink target, or a `..` that would leave `base`;
/// `Loop` after [`MAX_SYMLINK_HOPS`] symlinks; `Nametoolong` for a path over [`MAX_PATH_LEN`]
/// or deeper than [`MAX_DEPTH`] directories;
/// `Noent` for an empty path or symlink target; `Inval` for a NUL byte; otherwise whatever the
/// directory operations or `op` return.
pub fn resolve<R>(
    base: &Arc<dyn WasiDir>,
    path: &[u8],
    follow: Follow,
    mut op: impl FnMut(Target<'_>) -> Result<Step<R>, Errno>,
) -> Result<R, Errno> {
    check_path(path)?;
    // Held directories; the bottom one is `base`, which `..` may never pop.
    let mut held: Vec<Arc<dyn WasiDir>> = Vec::with_capacity(8);
    held.push(base.clone());
    // A path of only slashes was refused as absolute (and an empty one as `Noent`): the
    // worklist has a component.
    let mut work = Worklist::new(path);
    let mut must_be_dir = path.last() == Some(&b'/');
    let mut hops = 0usize;
    let mut name = Component(Vec::new());

    while let Some((component, last)) = work.next() {
        let top = held.last().ok_or(Errno::Perm)?.clone();
        if component == b".." {
            if held.len() <= 1 {
                return Err(Errno::Perm);
            }
            held.pop();
            if last {
                let top = held.last().ok_or(Errno::Perm)?;
                let target =
                    Target { dir: top, name: &Component::dot(), must_be_dir: true, dotdot: true, follow: false };
                return done(op(target)?);
            }
            continue;
        }
        if component == b"." {
            if last {
                let target =
                    Target { dir: &top, name: &Component::dot(), must_be_dir: true, dotdot: false, follow: false };
                return done(op(target)?);
            }
            continue;
        }
        name.set(component)?;
        let link = if last {
            let follow = follow == Follow::Always || (follow == Follow::TrailingSlash && must_be_dir);
            match op(Target { dir: &top, name: &name, must_be_dir, dotdot: false, follow })? {
                Step::Done(result) => return Ok(result),
                Step::Follow(link) => link,
            }
        } else {
            if held.len() > MAX_DEPTH {
                return Err(Errno::Nametoolong);
            }
            match top.lookup(&name)? {
                Found::Dir(dir) => {
                    held.push(dir);
                    continue;
                }
                Found::Symlink(link) => link,
                Found::File => return Err(Errno::Notdir),
                Found::Nothing => return Err(Errno::Noent),
            }
        };
        hops = hops.saturating_add(1);
        if hops > MAX_SYMLINK_HOPS {
            return Err(Errno::Loop);
        }
        check_path(&link)?;
        if last {
            must_be_dir |= link.last() == Some(&b'/');
        }
        work.push(link);
        if work.left > MAX_PATH_LEN {
            return Err(Errno::Nametoolong);
        }
    }
    // The loop always returns on the last component.
    Err(Errno::Noent)
}

/// The result of an operation on `.` or `..`, which are never symlinks.
fn done<R>(step: Step<R>) -> Result<R, Errno> {
    match step {
        Step::Done(result) => Ok(result),
        Step::Follow(_) => Err(Errno::Loop),
    }
}

/// Opens `path` beneath `dir` by walking it component by component (see [`resolve`]).
/// `follow` says whether a final symlink is followed; a trailing slash always follows.
///
/// # Errors
///
/// As [`resolve`] and [`WasiDir::open`].
pub fn open_walk(dir: &Arc<dyn WasiDir>, path: &[u8], follow: bool, options: &OpenOptions) -> Result<Opened, Errno> {
    let follow = if follow { Follow::Always } else { Follow::TrailingSlash };
    resolve(dir, path, follow, |target| {
        // As Linux: creating through a trailing slash is `EISDIR`, whatever is there.
        if options.create && target.must_be_dir {
            return Err(Errno::Isdir);
        }
        let mut options = *options;
        options.directory |= target.must_be_dir;
        match target.dir.open(target.name, &options)? {
            Opened::Symlink(link) if target.follow => Ok(Step::Follow(link)),
            // As `O_NOFOLLOW` (with `O_DIRECTORY`: "not a directory").
            Opened::Symlink(_) => Err(if options.directory { Errno::Notdir } else { Errno::Loop }),
            opened => Ok(Step::Done(opened)),
        }
    })
}

/// What an open reached, to compare two ways of opening: device, inode and file type, or the
/// errno.
///
/// # Errors
///
/// The open's errno, or the `stat` error.
pub fn identity(opened: &Result<Opened, Errno>) -> Result<(u64, u64, u8), Errno> {
    let stat = match opened.as_ref().map_err(|e| *e)? {
        Opened::File(f) => f.filestat()?,
        Opened::Dir(d) => d.filestat()?,
        Opened::Symlink(_) => return Err(Errno::Loop),
    };
    Ok((stat.dev, stat.ino, stat.filetype))
}

/// Opens `path` beneath `dir`: in one step where the backend offers a safe fast path
/// ([`WasiDir::open_beneath`]), otherwise by [`open_walk`].
///
/// In debug builds an open without side effects is done both ways, and a disagreement is
/// logged as an error (target `lucent::resolver`). It is not asserted: another process may
/// change the tree between the two opens, which is no bug. The host crate's tests assert
/// agreement on trees nobody changes.
///
/// # Errors
///
/// As [`open_walk`].
pub fn open(dir: &Arc<dyn WasiDir>, path: &[u8], follow: bool, options: &OpenOptions) -> Result<Opened, Errno> {
    check_path(path)?;
    let Some(fast) = dir.open_beneath(path, follow, options) else { return open_walk(dir, path, follow, options) };
    // Opening a FIFO or a device twice is not free of side effects: only files and directories
    // are opened again to compare. (`identity` costs an `fstat`: release builds skip it.)
    let plain = || matches!(identity(&fast), Ok((_, _, t)) if t == lucent_abi::Filetype::RegularFile.raw() || t == lucent_abi::Filetype::Directory.raw());
    if cfg!(debug_assertions) && !options.create && !options.truncate && plain() {
        let slow = open_walk(dir, path, follow, options);
        let (fast_id, slow_id) = (identity(&fast), identity(&slow));
        if fast_id != slow_id {
            tracing::error!(target: "lucent::resolver", ?path, ?fast_id, ?slow_id, "openat2 and the walk disagree");
        }
    }
    fast
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::{NullFile, OpenOptions, Opened};
    use std::collections::BTreeMap;
    use std::sync::{Mutex, Weak};

    /// A tiny in-memory tree for resolver tests.
    #[derive(Debug)]
    enum Node {
        Dir(Arc<MemDir>),
        File,
        Link(Vec<u8>),
    }

    #[derive(Debug)]
    struct MemDir {
        // First, so that `name_of` finds it first in the `Debug` output.
        name: String,
        me: Weak<MemDir>,
        entries: Mutex<BTreeMap<Vec<u8>, Node>>,
    }

    impl MemDir {
        fn new(name: &str) -> Arc<MemDir> {
            Arc::new_cyclic(|me| MemDir { name: name.to_owned(), me: me.clone(), entries: Mutex::default() })
        }
        fn dir(self: &Arc<Self>, name: &str) -> Arc<MemDir> {
            let child = MemDir::new(&format!("{}/{name}", self.name));
            self.entries.lock().unwrap().insert(name.into(), Node::Dir(child.clone()));
            child
        }
        fn file(&self, name: &str) {
            self.entries.lock().unwrap().insert(name.into(), Node::File);
        }
        fn link(&self, name: &str, target: &str) {
            self.entries.lock().unwrap().insert(name.into(), Node::Link(target.into()));
        }
    }

    impl WasiDir for MemDir {
        fn lookup(&self, name: &Component) -> Result<Found, Errno> {
            Ok(match self.entries.lock().unwrap().get(name.as_bytes()) {
                Some(Node::Dir(d)) => Found::Dir(d.clone()),
                Some(Node::File) => Found::File,
                Some(Node::Link(t)) => Found::Symlink(t.clone()),
                None => Found::Nothing,
            })
        }
        fn open(&self, name: &Component, options: &OpenOptions) -> Result<Opened, Errno> {
            if name.is_dot() {
                return Ok(Opened::Dir(self.me.upgrade().unwrap()));
            }
            let mut entries = self.entries.lock().unwrap();
            match entries.get(name.as_bytes()) {
                Some(Node::Dir(d)) => Ok(Opened::Dir(d.clone())),
                Some(Node::File) if options.directory => Err(Errno::Notdir),
                Some(Node::File) => Ok(Opened::File(Arc::new(NullFile))),
                Some(Node::Link(t)) => Ok(Opened::Symlink(t.clone())),
                None if options.create => {
                    entries.insert(name.as_bytes().to_vec(), Node::File);
                    Ok(Opened::File(Arc::new(NullFile)))
                }
                None => Err(Errno::Noent),
            }
        }
        fn read_link(&self, name: &Component) -> Result<Vec<u8>, Errno> {
            match self.entries.lock().unwrap().get(name.as_bytes()) {
                Some(Node::Link(t)) => Ok(t.clone()),
                Some(_) => Err(Errno::Inval),
                None => Err(Errno::Noent),
            }
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn fdflags(&self) -> Result<lucent_abi::Fdflags, Errno> {
            Ok(lucent_abi::Fdflags::empty())
        }
        fn sync(&self) -> Result<(), Errno> {
            Ok(())
        }
    }

    /// Resolves `path` from `root` and says what it reached: `dir NAME` or `file in DIR`.
    fn reach(root: &Arc<MemDir>, path: &str, follow: bool) -> Result<String, Errno> {
        let base: Arc<dyn WasiDir> = root.clone();
        let follow = if follow { Follow::Always } else { Follow::TrailingSlash };
        resolve(&base, path.as_bytes(), follow, |t| {
            let opts = OpenOptions { directory: t.must_be_dir, ..OpenOptions::default() };
            let dir_name = format!("{:?}", t.dir);
            match t.dir.open(t.name, &opts)? {
                Opened::Dir(d) => Ok(Step::Done(format!("dir {}", name_of(&format!("{d:?}"))))),
                Opened::File(_) => Ok(Step::Done(format!("file {:?} in {}", t.name, name_of(&dir_name)))),
                Opened::Symlink(link) if t.follow => Ok(Step::Follow(link)),
                Opened::Symlink(_) => Err(if opts.directory { Errno::Notdir } else { Errno::Loop }),
            }
        })
    }

    fn name_of(debug: &str) -> String {
        let start = debug.find("name: \"").map(|i| i + 7).unwrap_or(0);
        debug[start..].split('"').next().unwrap_or_default().to_owned()
    }

    fn tree() -> Arc<MemDir> {
        let root = MemDir::new("root");
        root.file("x");
        let a = root.dir("a");
        a.file("x");
        let b = a.dir("b");
        b.link("up", "../../x");
        b.link("out", "../../../x");
        b.link("abs", "/etc/passwd");
        root.link("to_a", "a");
        root.link("to_b_slash", "a/b/");
        root.link("loop1", "loop2");
        root.link("loop2", "loop1");
        root.link("self", ".");
        root.link("empty", "");
        root
    }

    #[test]
    fn plain_paths() {
        let root = tree();
        assert_eq!(reach(&root, "x", true).unwrap(), "file \"x\" in root");
        assert_eq!(reach(&root, "a/x", true).unwrap(), "file \"x\" in root/a");
        assert_eq!(reach(&root, "a//./b/../x", true).unwrap(), "file \"x\" in root/a");
        assert_eq!(reach(&root, ".", true).unwrap(), "dir root");
        assert_eq!(reach(&root, "a/b/..", true).unwrap(), "dir root/a");
        assert_eq!(reach(&root, "a/", true).unwrap(), "dir root/a");
        assert_eq!(reach(&root, "missing", true), Err(Errno::Noent));
        assert_eq!(reach(&root, "x/y", true), Err(Errno::Notdir));
        assert_eq!(reach(&root, "x/", true), Err(Errno::Notdir));
        assert_eq!(reach(&root, "", true), Err(Errno::Noent));
    }

    #[test]
    fn depth_is_bounded() {
        let root = MemDir::new("root");
        let mut dir = root.clone();
        for _ in 0..(MAX_DEPTH + 2) {
            dir = dir.dir("d");
        }
        let deepest_allowed = format!("dir root{}", "/d".repeat(MAX_DEPTH));
        assert_eq!(reach(&root, &"d/".repeat(MAX_DEPTH), true).unwrap(), deepest_allowed);
        assert_eq!(reach(&root, &"d/".repeat(MAX_DEPTH + 1), true), Err(Errno::Nametoolong));
        // The limit counts components, `.` and empty ones aside, before any is resolved.
        assert_eq!(check_path(format!("{}x", "./".repeat(300)).as_bytes()), Ok(()));
        assert_eq!(check_path("a/..//".repeat(129).as_bytes()), Err(Errno::Nametoolong));
        // Deeper through a symlink: the walk holds no more than it may.
        let root = MemDir::new("root");
        let mut dir = root.clone();
        let mut at_200 = root.clone();
        for depth in 1..=400 {
            dir = dir.dir("d");
            if depth == 200 {
                at_200 = dir.clone();
            }
        }
        at_200.link("down", &"d/".repeat(100));
        let through = format!("{}down/{}", "d/".repeat(200), "d/".repeat(50));
        assert!(check_path(through.as_bytes()).is_ok());
        assert_eq!(reach(&root, &through, true), Err(Errno::Nametoolong));
    }

    #[test]
    fn escapes_are_perm() {
        let root = tree();
        for path in ["..", "../x", "a/../..", "a/../../x", "/x", "/", "//x", "a/b/out", "a/b/abs"] {
            assert_eq!(reach(&root, path, true), Err(Errno::Perm), "{path}");
        }
        assert_eq!(reach(&root, "x\0", true), Err(Errno::Inval));
        assert_eq!(reach(&root, &"a/".repeat(3000), true), Err(Errno::Nametoolong));
    }

    #[test]
    fn symlinks() {
        let root = tree();
        assert_eq!(reach(&root, "a/b/up", true).unwrap(), "file \"x\" in root");
        assert_eq!(reach(&root, "a/b/up", false), Err(Errno::Loop));
        assert_eq!(reach(&root, "to_a/x", false).unwrap(), "file \"x\" in root/a");
        assert_eq!(reach(&root, "to_a", true).unwrap(), "dir root/a");
        assert_eq!(reach(&root, "to_a/", false).unwrap(), "dir root/a");
        assert_eq!(reach(&root, "to_b_slash", true).unwrap(), "dir root/a/b");
        assert_eq!(reach(&root, "self/self/x", true).unwrap(), "file \"x\" in root");
        assert_eq!(reach(&root, "loop1", true), Err(Errno::Loop));
        assert_eq!(reach(&root, "loop1/x", true), Err(Errno::Loop));
        assert_eq!(reach(&root, "empty", true), Err(Errno::Noent));
        // `..` inside a symlink target climbs from the link's directory, and never above base.
        let Ok(Found::Dir(a)) = tree().lookup(&Component::new(b"a").unwrap()) else { panic!("a is a directory") };
        let open = |t: Target<'_>| match t.dir.open(t.name, &OpenOptions::default())? {
            Opened::Symlink(link) if t.follow => Ok(Step::Follow(link)),
            Opened::Symlink(_) => Err(Errno::Loop),
            _ => Ok(Step::Done(())),
        };
        assert_eq!(resolve(&a, b"b/up", Follow::Always, open), Err(Errno::Perm));
        // Never: a final symlink is handed to the operation even with a trailing slash.
        assert_eq!(resolve(&a, b"b/up/", Follow::Never, open), Err(Errno::Loop));
        let res = resolve(&a, b"b/up/", Follow::TrailingSlash, open);
        assert_eq!(res, Err(Errno::Perm));
    }

    /// A reference model for symlink-free trees: lexical walk with a depth counter.
    fn model(path: &str, dirs: &[&str], files: &[&str]) -> Result<String, Errno> {
        if path.is_empty() {
            return Err(Errno::Noent);
        }
        if path.starts_with('/') {
            return Err(Errno::Perm);
        }
        let mut stack: Vec<&str> = Vec::new();
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        let trailing = path.ends_with('/') || comps.last().is_some_and(|c| *c == "." || *c == "..");
        let here =
            |stack: &Vec<&str>| if stack.is_empty() { "root".to_string() } else { format!("root/{}", stack.join("/")) };
        for (i, c) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            match *c {
                "." => {}
                ".." => {
                    if stack.pop().is_none() {
                        return Err(Errno::Perm);
                    }
                }
                name => {
                    let full = if stack.is_empty() { name.to_string() } else { format!("{}/{name}", stack.join("/")) };
                    if dirs.contains(&full.as_str()) {
                        stack.push(name);
                    } else if files.contains(&full.as_str()) {
                        return if last && !trailing {
                            Ok(format!("file {name:?} in {}", here(&stack)))
                        } else {
                            Err(Errno::Notdir)
                        };
                    } else {
                        return Err(Errno::Noent);
                    }
                }
            }
        }
        Ok(format!("dir {}", here(&stack)))
    }

    proptest::proptest! {
        #[test]
        fn resolver_agrees_with_the_model_without_symlinks(
            comps in proptest::collection::vec(proptest::sample::select(vec!["a", "b", "x", ".", "..", "", "zz"]), 0..8),
            trailing: bool,
        ) {
            let root = MemDir::new("root");
            root.file("x");
            let a = root.dir("a");
            a.file("x");
            a.dir("b").file("x");
            let mut path = comps.join("/");
            if trailing { path.push('/'); }
            let got = reach(&root, &path, true);
            let want = model(&path, &["a", "a/b"], &["x", "a/x", "a/b/x"]);
            proptest::prop_assert_eq!(got, want, "path {:?}", path);
        }

        /// The worklist walks what a stack of copied components would: symlink targets
        /// spliced in front of what is left, empty components skipped, the last one marked.
        #[test]
        fn the_worklist_walks_as_a_stack_of_components(
            path in "[ab/.]{0,12}",
            links in proptest::collection::vec((0usize..6, "[cd/.]{0,8}"), 0..4),
        ) {
            let mut stack: Vec<Vec<u8>> = Vec::new();
            let push = |stack: &mut Vec<Vec<u8>>, path: &[u8]| {
                stack.extend(path.split(|&b| b == b'/').filter(|c| !c.is_empty()).map(<[u8]>::to_vec).rev());
            };
            push(&mut stack, path.as_bytes());
            let mut work = Worklist::new(path.as_bytes());
            let mut step = 0;
            loop {
                let want = stack.pop().map(|c| (c, stack.is_empty()));
                let got = work.next().map(|(c, last)| (c.to_vec(), last));
                proptest::prop_assert_eq!(&got, &want, "step {}", step);
                proptest::prop_assert_eq!(work.left, stack.len());
                if got.is_none() {
                    break;
                }
                for (_, link) in links.iter().filter(|(at, _)| *at == step) {
                    push(&mut stack, link.as_bytes());
                    work.push(link.as_bytes().to_vec());
                }
                step += 1;
            }
        }
    }
}
