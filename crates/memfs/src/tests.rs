use super::*;
use lucent_core::path::{open as open_path, open_walk};
use std::sync::atomic::{AtomicU64, Ordering};

fn name(s: &str) -> Component {
    Component::new(s.as_bytes()).unwrap()
}

fn fs_with_limit(limit: Option<u64>) -> (MemFs, Arc<dyn WasiDir>) {
    let fs = MemFs::new(Options { dev: 77, limit, ..Options::default() });
    let root = fs.root();
    (fs, root)
}

const CREATE: OpenOptions = OpenOptions {
    read: true,
    write: true,
    create: true,
    exclusive: false,
    truncate: false,
    directory: false,
    fdflags: Fdflags::empty(),
};

fn file(dir: &Arc<dyn WasiDir>, path: &str, options: &OpenOptions) -> Result<Arc<dyn WasiFile>, Errno> {
    match open_path(dir, path.as_bytes(), true, options)? {
        Opened::File(f) => Ok(f),
        other => panic!("{path}: {other:?}"),
    }
}

fn write(f: &Arc<dyn WasiFile>, bytes: &[u8]) -> Result<usize, Errno> {
    f.write_vectored(&[IoSlice::new(bytes)])
}

fn read_all(f: &Arc<dyn WasiFile>) -> Vec<u8> {
    let mut out = vec![0; 1 << 16];
    let n = f.pread_vectored(&mut [IoSliceMut::new(&mut out)], 0).unwrap();
    out.truncate(n);
    out
}

fn names(dir: &Arc<dyn WasiDir>, cookie: u64) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    dir.read_dir(cookie, &mut |e, next| {
        out.push((String::from_utf8_lossy(&e.name).into_owned(), next));
        true
    })
    .unwrap();
    out
}

#[test]
fn files_are_written_read_and_stated() {
    let (_fs, root) = fs_with_limit(None);
    let f = file(&root, "a", &CREATE).unwrap();
    assert_eq!(write(&f, b"hello").unwrap(), 5);
    assert_eq!(read_all(&f), b"hello");
    let stat = root.stat_at(&name("a")).unwrap();
    assert_eq!((stat.dev, stat.size, stat.nlink, stat.filetype), (77, 5, 1, Filetype::RegularFile.raw()));
    assert_eq!(f.filestat().unwrap().ino, stat.ino);
    assert_eq!(f.seek(0, Whence::End).unwrap(), 5);
    assert_eq!(f.seek(-6, Whence::Cur), Err(Errno::Inval));
    // Exclusive creation of an existing name; a missing name without create.
    assert_eq!(file(&root, "a", &OpenOptions { exclusive: true, ..CREATE }).err(), Some(Errno::Exist));
    assert_eq!(file(&root, "b", &OpenOptions::default()).err(), Some(Errno::Noent));
    // Truncation on open.
    let again = file(&root, "a", &OpenOptions { truncate: true, ..CREATE }).unwrap();
    assert_eq!(again.filestat().unwrap().size, 0);
    // Read-only handles refuse writes, and the other way round.
    let ro = file(&root, "a", &OpenOptions { read: true, ..OpenOptions::default() }).unwrap();
    assert_eq!(write(&ro, b"x"), Err(Errno::Badf));
}

#[test]
fn the_limit_refuses_a_write_whole_and_counts_what_is_freed() {
    let root_cost = INODE_COST + DIR_COST;
    let f_cost = INODE_COST + ENTRY_COST + 1;
    let (fs, root) = fs_with_limit(Some(root_cost + f_cost + 2 * data::PAGE_COST + data::MAP_COST));
    let f = file(&root, "f", &CREATE).unwrap();
    assert_eq!(write(&f, &[1; 4096]).unwrap(), 4096);
    // Two more pages do not fit: nothing is written, the size does not move.
    assert_eq!(write(&f, &[2; 8192]), Err(Errno::Nospc));
    assert_eq!(f.filestat().unwrap().size, 4096);
    assert_eq!(read_all(&f), vec![1; 4096]);
    assert_eq!(write(&f, &[3; 4096]).unwrap(), 4096);
    // Nor is a new name.
    assert_eq!(root.create_dir(&name("d")), Err(Errno::Nospc));
    // Truncating gives the pages back.
    let used = fs.used();
    f.set_size(0).unwrap();
    assert_eq!(fs.used(), used - 2 * data::PAGE_COST - data::MAP_COST);
    root.create_dir(&name("d")).unwrap();
    // A sparse file costs only what is written.
    f.set_size(1 << 40).unwrap();
    assert_eq!(f.filestat().unwrap().size, 1 << 40);
    assert_eq!(f.allocate(0, 1 << 30), Err(Errno::Nospc));
}

#[test]
fn an_unlinked_file_lives_while_open_then_its_space_comes_back() {
    let (fs, root) = fs_with_limit(None);
    let before = fs.used();
    let f = file(&root, "gone", &CREATE).unwrap();
    write(&f, &[9; 10_000]).unwrap();
    root.unlink_file(&name("gone")).unwrap();
    assert_eq!(root.stat_at(&name("gone")), Err(Errno::Noent));
    assert_eq!(f.filestat().unwrap().nlink, 0);
    assert_eq!(read_all(&f).len(), 10_000);
    drop(f);
    assert_eq!(fs.used(), before);
}

#[test]
fn hard_links_share_one_inode() {
    let (_fs, root) = fs_with_limit(None);
    write(&file(&root, "a", &CREATE).unwrap(), b"same").unwrap();
    root.link(&name("a"), &*root, &name("b")).unwrap();
    let (a, b) = (root.stat_at(&name("a")).unwrap(), root.stat_at(&name("b")).unwrap());
    assert_eq!((a.ino, a.nlink), (b.ino, 2));
    root.unlink_file(&name("a")).unwrap();
    assert_eq!(read_all(&file(&root, "b", &OpenOptions { read: true, ..OpenOptions::default() }).unwrap()), b"same");
    root.create_dir(&name("d")).unwrap();
    assert_eq!(root.link(&name("d"), &*root, &name("e")), Err(Errno::Perm));
    assert_eq!(root.link(&name("b"), &*root, &name("d")), Err(Errno::Exist));
    // Another filesystem is another device.
    let (_other, other_root) = fs_with_limit(None);
    assert_eq!(root.link(&name("b"), &*other_root, &name("x")), Err(Errno::Xdev));
}

#[test]
fn renames_follow_posix() {
    let (_fs, root) = fs_with_limit(None);
    root.create_dir(&name("d")).unwrap();
    root.create_dir(&name("full")).unwrap();
    file(&root, "full/x", &CREATE).unwrap();
    file(&root, "f", &CREATE).unwrap();
    assert_eq!(root.rename(&name("f"), &*root, &name("d")), Err(Errno::Isdir));
    assert_eq!(root.rename(&name("d"), &*root, &name("f")), Err(Errno::Notdir));
    assert_eq!(root.rename(&name("d"), &*root, &name("full")), Err(Errno::Notempty));
    assert_eq!(root.rename(&name("nothing"), &*root, &name("z")), Err(Errno::Noent));
    // A directory into itself.
    let Ok(Found::Dir(d)) = root.lookup(&name("d")) else { panic!() };
    assert_eq!(root.rename(&name("d"), &*d, &name("inner")), Err(Errno::Inval));
    // Replacing a file, moving a directory: links and parents follow.
    file(&root, "g", &CREATE).unwrap();
    root.rename(&name("g"), &*root, &name("f")).unwrap();
    root.rename(&name("full"), &*d, &name("moved")).unwrap();
    assert!(root.stat_at(&name("full")).is_err());
    let moved = file(&root, "d/moved/x", &OpenOptions { read: true, ..OpenOptions::default() });
    assert!(moved.is_ok());
    assert_eq!(root.filestat().unwrap().nlink, 3, ". .. and d");
    assert_eq!(d.filestat().unwrap().nlink, 3, ". .. and moved");
    let Ok(Found::Dir(moved_dir)) = d.lookup(&name("moved")) else { panic!() };
    assert_eq!(names(&moved_dir, 0)[1].0, "..");
    // `..` of the moved directory is its new parent.
    let mut parent = 0;
    moved_dir
        .read_dir(1, &mut |e, _| {
            parent = e.ino;
            false
        })
        .unwrap();
    assert_eq!(parent, d.filestat().unwrap().ino);
}

#[test]
fn removed_directories_stay_usable_handles_to_nothing() {
    let (_fs, root) = fs_with_limit(None);
    root.create_dir(&name("d")).unwrap();
    let Ok(Found::Dir(d)) = root.lookup(&name("d")) else { panic!() };
    file(&root, "d/x", &CREATE).unwrap();
    assert_eq!(root.remove_dir(&name("d")), Err(Errno::Notempty));
    d.unlink_file(&name("x")).unwrap();
    root.remove_dir(&name("d")).unwrap();
    assert_eq!(d.create_dir(&name("y")), Err(Errno::Noent));
    assert_eq!(file(&d, "z", &CREATE).err(), Some(Errno::Noent));
    assert_eq!(d.filestat().unwrap().nlink, 0);
    assert_eq!(root.remove_dir(&name("d")), Err(Errno::Noent));
}

#[test]
fn symlinks_are_found_never_followed_by_the_backend_and_followed_by_the_resolver() {
    let (_fs, root) = fs_with_limit(None);
    root.create_dir(&name("d")).unwrap();
    write(&file(&root, "d/target", &CREATE).unwrap(), b"through").unwrap();
    root.symlink(b"d/target", &name("link")).unwrap();
    root.symlink(b"../../outside", &name("escape")).unwrap();
    root.symlink(b"d", &name("dirlink")).unwrap();
    assert!(matches!(root.lookup(&name("link")), Ok(Found::Symlink(t)) if t == b"d/target"));
    assert!(matches!(root.open(&name("link"), &OpenOptions::default()), Ok(Opened::Symlink(_))));
    assert_eq!(root.read_link(&name("link")).unwrap(), b"d/target");
    let ro = OpenOptions { read: true, ..OpenOptions::default() };
    assert_eq!(read_all(&file(&root, "link", &ro).unwrap()), b"through");
    assert_eq!(open_walk(&root, b"link", false, &ro).err(), Some(Errno::Loop));
    assert_eq!(open_walk(&root, b"escape", true, &ro).err(), Some(Errno::Perm));
    assert_eq!(read_all(&file(&root, "dirlink/target", &ro).unwrap()), b"through");
    assert_eq!(root.stat_at(&name("link")).unwrap().filetype, Filetype::SymbolicLink.raw());
}

#[test]
fn listing_cookies_survive_changes_made_between_calls() {
    let (_fs, root) = fs_with_limit(None);
    for n in ["a", "b", "c", "d"] {
        file(&root, n, &CREATE).unwrap();
    }
    let first = names(&root, 0);
    assert_eq!(first.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), [".", "..", "a", "b", "c", "d"]);
    // Stop after `b`; remove `a` and `c`, add `e`: resuming gives `d`, `e`: nothing twice,
    // nothing that was there throughout missed.
    let after_b = first[3].1;
    root.unlink_file(&name("a")).unwrap();
    root.unlink_file(&name("c")).unwrap();
    file(&root, "e", &CREATE).unwrap();
    let rest: Vec<_> = names(&root, after_b).into_iter().map(|(n, _)| n).collect();
    assert_eq!(rest, ["d", "e"]);
}

#[test]
fn timestamps_come_from_the_clock_given() {
    let now = Arc::new(AtomicU64::new(1_000));
    let clock = {
        let now = now.clone();
        Arc::new(move || now.load(Ordering::Relaxed))
    };
    let fs = MemFs::new(Options { clock, ..Options::default() });
    let root = fs.root();
    let f = file(&root, "t", &CREATE).unwrap();
    assert_eq!(f.filestat().unwrap().mtim, 1_000);
    now.store(2_000, Ordering::Relaxed);
    write(&f, b"x").unwrap();
    let stat = f.filestat().unwrap();
    assert_eq!((stat.atim, stat.mtim, stat.ctim), (1_000, 2_000, 2_000));
    assert_eq!(root.filestat().unwrap().mtim, 1_000, "creating `t` changed the root at 1000");
    f.set_times(SetTime::At(5), SetTime::Omit).unwrap();
    assert_eq!(f.filestat().unwrap().atim, 5);
}

#[test]
fn appends_go_to_the_end_and_files_are_always_ready() {
    let (_fs, root) = fs_with_limit(None);
    let f = file(&root, "log", &OpenOptions { fdflags: Fdflags::APPEND, ..CREATE }).unwrap();
    write(&f, b"one").unwrap();
    f.seek(0, Whence::Set).unwrap();
    write(&f, b"two").unwrap();
    f.pwrite_vectored(&[IoSlice::new(b"!")], 0).unwrap();
    assert_eq!(read_all(&f), b"onetwo!");
    f.seek(2, Whence::Set).unwrap();
    assert!(matches!(f.readiness(Interest::Read), Ok(Readiness::Now { nbytes: 5, hangup: false })));
}
