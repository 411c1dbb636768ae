//! One subcommand per `path_*` function (except `path_open`, see `path_fs_open`): success and
//! error cases, errnos checked exactly. The host test makes the fixture named in each
//! subcommand's comment and checks the tree with `std::fs` afterwards.

use test_programs::errno::*;
use test_programs::path_fs::filetype::{DIRECTORY, REGULAR_FILE, SYMBOLIC_LINK};
use test_programs::path_fs::rights::{self, ALL, DIR};
use test_programs::path_fs::{
    filetype_of, fst, link, mkdir, read_file, readlink, rename, rmdir, set_times, unlink, write_file,
};
use test_programs::{FOLLOW, PREOPEN as P, check, check_eq, close, fd_filestat, oflags, open, path_filestat, symlink};

/// No `SYMLINK_FOLLOW`.
const N: u32 = 0;

/// Opens the directory `path` beneath the preopen with every right but `without`.
fn dir_without(path: &str, without: u64) -> u32 {
    open(P, FOLLOW, path, oflags::DIRECTORY, DIR & !without, ALL, 0).unwrap()
}

fn main() {
    match std::env::args().nth(1).unwrap_or_default().as_str() {
        "create_directory" => create_directory(),
        "filestat_get" => filestat_get(),
        "set_times" => filestat_set_times(),
        "link" => path_link(),
        "readlink" => path_readlink(),
        "remove_directory" => remove_directory(),
        "rename" => path_rename(),
        "symlink" => path_symlink(),
        "unlink_file" => unlink_file(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("ok");
}

/// Fixture: `file.txt`, `dir/`, `link_dir -> dir`, `dangling -> nowhere`.
fn create_directory() {
    check_eq!(mkdir(P, "new"), SUCCESS);
    check_eq!(filetype_of(P, N, "new"), Ok(DIRECTORY));
    check_eq!(mkdir(P, "new"), EXIST);
    check_eq!(mkdir(P, "new/inner"), SUCCESS);
    check_eq!(mkdir(P, "new/inner/../sibling"), SUCCESS);
    check_eq!(mkdir(P, "./new//deep"), SUCCESS);
    // A trailing slash is allowed on the new name (as `mkdir` in POSIX).
    check_eq!(mkdir(P, "slash/"), SUCCESS);
    check_eq!(mkdir(P, "slashes//"), SUCCESS);
    // Whatever exists, file, directory or symlink (even dangling: it is not followed).
    check_eq!(mkdir(P, "file.txt"), EXIST);
    check_eq!(mkdir(P, "file.txt/"), EXIST);
    check_eq!(mkdir(P, "dir"), EXIST);
    check_eq!(mkdir(P, "link_dir"), EXIST);
    check_eq!(mkdir(P, "dangling"), EXIST);
    check_eq!(mkdir(P, "."), EXIST);
    check_eq!(mkdir(P, "dir/.."), EXIST);
    check_eq!(mkdir(P, "dir/."), EXIST);
    // Missing or non-directory parents.
    check_eq!(mkdir(P, "missing/x"), NOENT);
    check_eq!(mkdir(P, "file.txt/x"), NOTDIR);
    check_eq!(mkdir(P, "dangling/x"), NOENT);
    // An intermediate symlink is followed.
    check_eq!(mkdir(P, "link_dir/via_link"), SUCCESS);
    // Bad paths.
    check_eq!(mkdir(P, ""), NOENT);
    check_eq!(mkdir(P, "bad\0name"), INVAL);
    check_eq!(mkdir(P, "../escaped_mkdir"), PERM);
    check_eq!(mkdir(P, "/abs"), PERM);
    check_eq!(mkdir(P, &"n".repeat(5000)), NAMETOOLONG);
    // Rights and descriptors.
    let blind = dir_without("dir", rights::PATH_CREATE_DIRECTORY);
    check_eq!(mkdir(blind, "refused"), NOTCAPABLE);
    let dir = dir_without("dir", 0);
    check_eq!(mkdir(dir, "made_via_fd"), SUCCESS);
    check_eq!(mkdir(dir, "../escaped_mkdir"), PERM);
    check_eq!(mkdir(99, "x"), BADF);
}

/// Fixture: `file.txt` = "hello", `dir/`, `link_file -> file.txt`, `link_dir -> dir`,
/// `dangling -> nowhere`, `loop_a <-> loop_b`.
fn filestat_get() {
    let file = path_filestat(P, N, "file.txt").unwrap();
    check_eq!((file.filetype, file.size, file.nlink), (REGULAR_FILE, 5, 1));
    check_eq!(path_filestat(P, FOLLOW, "file.txt"), Ok(file));
    // The same file as seen through an open descriptor.
    let fd = open(P, FOLLOW, "file.txt", 0, rights::FD_READ | rights::FD_FILESTAT_GET, 0, 0).unwrap();
    let by_fd = fd_filestat(fd).unwrap();
    check_eq!((by_fd.dev, by_fd.ino, by_fd.size, by_fd.mtim), (file.dev, file.ino, 5, file.mtim));
    close(fd);
    let dir = path_filestat(P, N, "dir").unwrap();
    check_eq!(dir.filetype, DIRECTORY);
    // A symlink: itself without SYMLINK_FOLLOW (size = length of its contents), its target with.
    let link = path_filestat(P, N, "link_file").unwrap();
    check_eq!((link.filetype, link.size), (SYMBOLIC_LINK, 8));
    check!(link.ino != file.ino);
    let followed = path_filestat(P, FOLLOW, "link_file").unwrap();
    check_eq!((followed.ino, followed.filetype, followed.size), (file.ino, REGULAR_FILE, 5));
    check_eq!(filetype_of(P, N, "link_dir"), Ok(SYMBOLIC_LINK));
    check_eq!(path_filestat(P, FOLLOW, "link_dir").map(|s| (s.ino, s.filetype)), Ok((dir.ino, DIRECTORY)));
    check_eq!(filetype_of(P, N, "dangling"), Ok(SYMBOLIC_LINK));
    check_eq!(filetype_of(P, FOLLOW, "dangling"), Err(NOENT));
    check_eq!(filetype_of(P, N, "loop_a"), Ok(SYMBOLIC_LINK));
    check_eq!(filetype_of(P, FOLLOW, "loop_a"), Err(LOOP));
    // Intermediate symlinks are followed whatever the flags.
    check_eq!(path_filestat(P, N, "link_dir/../file.txt").map(|s| s.ino), Ok(file.ino));
    // `.`, `..` and trailing slashes.
    let root = path_filestat(P, N, ".").unwrap();
    check_eq!(root.filetype, DIRECTORY);
    check_eq!(fd_filestat(P).map(|s| s.ino), Ok(root.ino));
    check_eq!(path_filestat(P, N, "dir/..").map(|s| s.ino), Ok(root.ino));
    check_eq!(path_filestat(P, N, "dir/").map(|s| s.ino), Ok(dir.ino));
    check_eq!(path_filestat(P, N, "dir/.").map(|s| s.ino), Ok(dir.ino));
    check_eq!(filetype_of(P, N, "file.txt/"), Err(NOTDIR));
    check_eq!(filetype_of(P, FOLLOW, "file.txt/"), Err(NOTDIR));
    check_eq!(filetype_of(P, N, "file.txt/."), Err(NOTDIR));
    check_eq!(path_filestat(P, FOLLOW, "link_dir/").map(|s| s.ino), Ok(dir.ino));
    check_eq!(filetype_of(P, FOLLOW, "link_file/"), Err(NOTDIR));
    // Missing entries and bad paths.
    check_eq!(filetype_of(P, N, "missing"), Err(NOENT));
    check_eq!(filetype_of(P, N, "missing/x"), Err(NOENT));
    check_eq!(filetype_of(P, N, ""), Err(NOENT));
    check_eq!(filetype_of(P, N, "file.txt\0"), Err(INVAL));
    check_eq!(filetype_of(P, 2, "file.txt"), Err(INVAL));
    // Rights and descriptors.
    let blind = dir_without(".", rights::PATH_FILESTAT_GET);
    check_eq!(filetype_of(blind, N, "file.txt"), Err(NOTCAPABLE));
    check_eq!(filetype_of(99, N, "file.txt"), Err(BADF));
    // The result pointer: out of bounds is `fault`, misaligned is `inval`.
    let path = "file.txt";
    // SAFETY: the pointers are checked by the host, which must refuse them.
    let e = unsafe { test_programs::raw::path_filestat_get(P, N, path.as_ptr(), 8, 0xffff_fff0usize as *mut u8) };
    check_eq!(e, FAULT);
    let mut buf = [0u64; 9];
    let misaligned = unsafe { buf.as_mut_ptr().cast::<u8>().add(1) };
    // SAFETY: a live buffer with room for a filestat after the offset.
    let e = unsafe { test_programs::raw::path_filestat_get(P, N, path.as_ptr(), 8, misaligned) };
    check_eq!(e, INVAL);
}

/// Times used by the `set_times` subcommand (nanoseconds since the epoch).
const T1: u64 = 1_000_000_000_123_456_789;
const T2: u64 = 1_100_000_000_000_000_000;
const T3: u64 = 1_234_567_890_000_000_000;

/// Fixture: `file.txt`, `now.txt`, `dir/`, `link_file -> file.txt`, `dangling -> nowhere`.
fn filestat_set_times() {
    let times = |flags, path| path_filestat(P, flags, path).map(|s| (s.atim, s.mtim));
    check_eq!(set_times(P, N, "file.txt", T1, T2, fst::ATIM | fst::MTIM), SUCCESS);
    check_eq!(times(N, "file.txt"), Ok((T1, T2)));
    // One at a time; the other is left alone.
    check_eq!(set_times(P, N, "file.txt", 0, T1, fst::MTIM), SUCCESS);
    check_eq!(times(N, "file.txt"), Ok((T1, T1)));
    check_eq!(set_times(P, N, "file.txt", T2, 0, fst::ATIM), SUCCESS);
    check_eq!(times(N, "file.txt"), Ok((T2, T1)));
    check_eq!(set_times(P, N, "file.txt", 5, 5, 0), SUCCESS);
    check_eq!(times(N, "file.txt"), Ok((T2, T1)));
    // Directories, with or without a trailing slash.
    check_eq!(set_times(P, N, "dir", T1, T1, fst::ATIM | fst::MTIM), SUCCESS);
    check_eq!(set_times(P, N, "dir/", T1, T2, fst::MTIM), SUCCESS);
    check_eq!(times(N, "dir"), Ok((T1, T2)));
    // A symlink without SYMLINK_FOLLOW: the link's own times, not the target's.
    check_eq!(set_times(P, N, "link_file", T2, T2, fst::ATIM | fst::MTIM), SUCCESS);
    check_eq!(times(N, "link_file"), Ok((T2, T2)));
    check_eq!(times(N, "file.txt"), Ok((T2, T1)));
    // With SYMLINK_FOLLOW: the target's.
    check_eq!(set_times(P, FOLLOW, "link_file", T3, T3, fst::ATIM | fst::MTIM), SUCCESS);
    check_eq!(times(N, "file.txt"), Ok((T3, T3)));
    // (Following the link read it, which may update its access time.)
    check_eq!(times(N, "link_file").map(|t| t.1), Ok(T2));
    check_eq!(set_times(P, N, "dangling", T1, T1, fst::ATIM | fst::MTIM), SUCCESS);
    check_eq!(set_times(P, FOLLOW, "dangling", T1, T1, fst::ATIM | fst::MTIM), NOENT);
    // Now: the realtime clock at the call.
    let mut before = 0u64;
    // SAFETY: a live local.
    check_eq!(unsafe { test_programs::raw::clock_time_get(0, 1, &mut before) }, SUCCESS);
    check_eq!(set_times(P, N, "now.txt", T1, T1, fst::ATIM_NOW | fst::MTIM_NOW), SUCCESS);
    let mut after = 0u64;
    // SAFETY: a live local.
    check_eq!(unsafe { test_programs::raw::clock_time_get(0, 1, &mut after) }, SUCCESS);
    let (atim, mtim) = times(N, "now.txt").unwrap();
    // The filesystem may round to its granularity: allow 10 ms.
    check!(atim + 10_000_000 >= before && atim <= after);
    check!(mtim + 10_000_000 >= before && mtim <= after);
    // MTIM_NOW alone keeps the access time.
    check_eq!(set_times(P, N, "file.txt", 0, 0, fst::MTIM_NOW), SUCCESS);
    let (atim, mtim) = times(N, "file.txt").unwrap();
    check_eq!(atim, T3);
    check!(mtim + 10_000_000 >= before);
    check_eq!(set_times(P, N, "file.txt", 0, T3, fst::MTIM), SUCCESS);
    // Contradictory or unknown flags.
    check_eq!(set_times(P, N, "file.txt", 0, 0, fst::ATIM | fst::ATIM_NOW), INVAL);
    check_eq!(set_times(P, N, "file.txt", 0, 0, fst::MTIM | fst::MTIM_NOW), INVAL);
    check_eq!(set_times(P, N, "file.txt", 0, 0, 16), INVAL);
    check_eq!(set_times(P, 2, "file.txt", 0, 0, fst::MTIM), INVAL);
    // Missing entries and bad paths.
    check_eq!(set_times(P, N, "missing", 0, 0, fst::MTIM_NOW), NOENT);
    check_eq!(set_times(P, N, "file.txt/", 0, 0, fst::MTIM_NOW), NOTDIR);
    check_eq!(set_times(P, N, "", 0, 0, fst::MTIM_NOW), NOENT);
    check_eq!(set_times(P, N, "../outside.txt", 0, 0, fst::MTIM_NOW), PERM);
    // Rights.
    let blind = dir_without(".", rights::PATH_FILESTAT_SET_TIMES);
    check_eq!(set_times(blind, N, "now.txt", 0, 0, fst::MTIM_NOW), NOTCAPABLE);
    check_eq!(times(N, "file.txt"), Ok((T3, T3)));
}

/// Fixture: `file.txt` = "hello", `other.txt` = "other", `dir/`, `sub/`,
/// `link_file -> file.txt`, `dangling -> nowhere`.
fn path_link() {
    let file = path_filestat(P, N, "file.txt").unwrap();
    check_eq!(link(P, N, "file.txt", P, "hard.txt"), SUCCESS);
    check_eq!(path_filestat(P, N, "hard.txt").map(|s| (s.ino, s.nlink)), Ok((file.ino, 2)));
    check_eq!(read_file(P, N, "hard.txt"), Ok("hello".into()));
    check_eq!(link(P, N, "file.txt", P, "sub/hard2.txt"), SUCCESS);
    check_eq!(path_filestat(P, N, "file.txt").map(|s| s.nlink), Ok(3));
    // Writing through one name changes the other.
    check_eq!(write_file(P, "hard.txt", "changed"), Ok(()));
    check_eq!(read_file(P, N, "file.txt"), Ok("changed".into()));
    // The new name must not exist.
    check_eq!(link(P, N, "file.txt", P, "other.txt"), EXIST);
    check_eq!(link(P, N, "file.txt", P, "dir"), EXIST);
    check_eq!(link(P, N, "file.txt", P, "link_file"), EXIST);
    check_eq!(link(P, N, "file.txt", P, "."), EXIST);
    check_eq!(link(P, N, "file.txt", P, "new/"), NOENT);
    check_eq!(link(P, N, "file.txt", P, "missing/x"), NOENT);
    // The source must exist and not be a directory.
    check_eq!(link(P, N, "missing", P, "x"), NOENT);
    check_eq!(link(P, N, "dir", P, "dir_link"), PERM);
    check_eq!(link(P, N, ".", P, "dot_link"), PERM);
    check_eq!(link(P, N, "file.txt/", P, "x"), NOTDIR);
    // A symlink source: the link itself without SYMLINK_FOLLOW, the target with.
    check_eq!(link(P, N, "link_file", P, "link_copy"), SUCCESS);
    check_eq!(filetype_of(P, N, "link_copy"), Ok(SYMBOLIC_LINK));
    check_eq!(readlink(P, "link_copy", 64), Ok("file.txt".into()));
    check_eq!(link(P, FOLLOW, "link_file", P, "followed.txt"), SUCCESS);
    check_eq!(path_filestat(P, N, "followed.txt").map(|s| (s.filetype, s.ino)), Ok((REGULAR_FILE, file.ino)));
    check_eq!(link(P, FOLLOW, "dangling", P, "x"), NOENT);
    check_eq!(link(P, N, "dangling", P, "dangling_copy"), SUCCESS);
    check_eq!(filetype_of(P, N, "dangling_copy"), Ok(SYMBOLIC_LINK));
    // Between two descriptors.
    let sub = dir_without("sub", 0);
    check_eq!(link(P, N, "other.txt", sub, "other_in_sub.txt"), SUCCESS);
    check_eq!(link(sub, N, "hard2.txt", P, "back.txt"), SUCCESS);
    // Rights: PATH_LINK_SOURCE on the old descriptor, PATH_LINK_TARGET on the new one.
    let no_source = dir_without(".", rights::PATH_LINK_SOURCE);
    let no_target = dir_without(".", rights::PATH_LINK_TARGET);
    check_eq!(link(no_source, N, "file.txt", P, "refused1"), NOTCAPABLE);
    check_eq!(link(P, N, "file.txt", no_target, "refused2"), NOTCAPABLE);
    check_eq!(link(no_target, N, "file.txt", no_source, "refused3"), SUCCESS);
    check_eq!(unlink(P, "refused3"), SUCCESS);
    // Bad arguments.
    check_eq!(link(P, 2, "file.txt", P, "x"), INVAL);
    check_eq!(link(P, N, "", P, "x"), NOENT);
    check_eq!(link(P, N, "file.txt", P, ""), NOENT);
    check_eq!(link(99, N, "file.txt", P, "x"), BADF);
    check_eq!(link(P, N, "file.txt", 99, "x"), BADF);
    check_eq!(path_filestat(P, N, "file.txt").map(|s| s.nlink), Ok(5));
}

/// Fixture: `file.txt`, `dir/`, `link_file -> file.txt`, `dangling -> nowhere/at/all`,
/// `long -> aaaa…` (200 bytes), `sub/up -> ../file.txt`, `link_out -> ../outside.txt`.
fn path_readlink() {
    check_eq!(readlink(P, "link_file", 64), Ok("file.txt".into()));
    // Exactly the length, a shorter buffer (cut), an empty one.
    check_eq!(readlink(P, "link_file", 8), Ok("file.txt".into()));
    check_eq!(readlink(P, "link_file", 4), Ok("file".into()));
    check_eq!(readlink(P, "link_file", 0), Ok("".into()));
    check_eq!(readlink(P, "dangling", 64), Ok("nowhere/at/all".into()));
    let long = "a".repeat(200);
    check_eq!(readlink(P, "long", 256), Ok(long.clone()));
    check_eq!(readlink(P, "long", 100), Ok(long[..100].to_string()));
    check_eq!(readlink(P, "sub/up", 64), Ok("../file.txt".into()));
    // The contents are given as stored, even when following them would escape.
    check_eq!(readlink(P, "link_out", 64), Ok("../outside.txt".into()));
    // The bytes past the ones placed are not touched.
    let mut buf = [0xaau8; 8];
    let mut used = 0u32;
    let path = "link_file";
    // SAFETY: a live buffer, string and local.
    let e = unsafe { test_programs::raw::path_readlink(P, path.as_ptr(), 9, buf.as_mut_ptr(), 3, &mut used) };
    check_eq!((e, used), (SUCCESS, 3));
    check_eq!(buf, [b'f', b'i', b'l', 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
    // Not a symlink.
    check_eq!(readlink(P, "file.txt", 64), Err(INVAL));
    check_eq!(readlink(P, "dir", 64), Err(INVAL));
    check_eq!(readlink(P, ".", 64), Err(INVAL));
    check_eq!(readlink(P, "missing", 64), Err(NOENT));
    check_eq!(readlink(P, "link_file/", 64), Err(NOTDIR));
    check_eq!(readlink(P, "", 64), Err(NOENT));
    // Rights and bad buffers.
    let blind = dir_without(".", rights::PATH_READLINK);
    check_eq!(readlink(blind, "link_file", 64), Err(NOTCAPABLE));
    // SAFETY: the host must refuse the pointers.
    let e =
        unsafe { test_programs::raw::path_readlink(P, path.as_ptr(), 9, 0xffff_fff0usize as *mut u8, 64, &mut used) };
    check_eq!(e, FAULT);
    // SAFETY: as above.
    let e = unsafe {
        test_programs::raw::path_readlink(P, path.as_ptr(), 9, buf.as_mut_ptr(), 8, 0xffff_fff0usize as *mut u32)
    };
    check_eq!(e, FAULT);
}

/// Fixture: `empty/`, `full/x.txt`, `file.txt`, `target/` (empty), `link_dir -> target`,
/// `dangling -> nowhere`, `nested/a/b/`, `doomed/`.
fn remove_directory() {
    check_eq!(rmdir(P, "empty"), SUCCESS);
    check_eq!(filetype_of(P, N, "empty"), Err(NOENT));
    check_eq!(rmdir(P, "empty"), NOENT);
    check_eq!(rmdir(P, "full"), NOTEMPTY);
    check_eq!(rmdir(P, "nested"), NOTEMPTY);
    check_eq!(rmdir(P, "nested/a/b/"), SUCCESS);
    check_eq!(rmdir(P, "file.txt"), NOTDIR);
    check_eq!(rmdir(P, "file.txt/"), NOTDIR);
    // A symlink, even to an empty directory, is not removed, nor is its target.
    check_eq!(rmdir(P, "link_dir"), NOTDIR);
    check_eq!(rmdir(P, "dangling"), NOTDIR);
    check_eq!(filetype_of(P, N, "link_dir"), Ok(SYMBOLIC_LINK));
    check_eq!(filetype_of(P, N, "target"), Ok(DIRECTORY));
    // `.` is `inval`.
    check_eq!(rmdir(P, "."), INVAL);
    check_eq!(rmdir(P, "nested/a/."), INVAL);
    check_eq!(rmdir(P, "missing"), NOENT);
    check_eq!(rmdir(P, "missing/x"), NOENT);
    check_eq!(rmdir(P, ""), NOENT);
    check_eq!(rmdir(P, ".."), PERM);
    // A path ending in `..` is `notempty`, as on Linux (the directory it names holds the one
    // the path came through).
    check_eq!(rmdir(P, "nested/.."), NOTEMPTY);
    check_eq!(rmdir(P, "nested/a/.."), NOTEMPTY);
    check_eq!(filetype_of(P, N, "nested/a"), Ok(DIRECTORY));
    // Rights.
    let blind = dir_without(".", rights::PATH_REMOVE_DIRECTORY);
    check_eq!(rmdir(blind, "nested/a"), NOTCAPABLE);
    // A removed directory still held open: nothing can be created in it.
    let doomed = dir_without("doomed", 0);
    check_eq!(rmdir(P, "doomed"), SUCCESS);
    check_eq!(mkdir(doomed, "x"), NOENT);
    check_eq!(open(doomed, FOLLOW, "x", oflags::CREAT, rights::FD_WRITE, 0, 0), Err(NOENT));
}

/// Fixture: `a.txt` = "A", `b.txt` = "B", `c.txt` = "C", `e.txt` = "E", `e2.txt` = "E2",
/// `link_e2 -> e2.txt`, `d1/inner.txt`, `d2/`, `d3/x.txt`, `d5/`, `link_file -> c.txt`,
/// `link_dir -> d5`, `open.txt` = "still here".
fn path_rename() {
    // A file to a new name, then over an existing file.
    check_eq!(rename(P, "a.txt", P, "a2.txt"), SUCCESS);
    check_eq!(filetype_of(P, N, "a.txt"), Err(NOENT));
    check_eq!(rename(P, "a2.txt", P, "b.txt"), SUCCESS);
    check_eq!(read_file(P, N, "b.txt"), Ok("A".into()));
    check_eq!(filetype_of(P, N, "a2.txt"), Err(NOENT));
    // A directory to a new name, then over an empty directory; never over a non-empty one.
    check_eq!(rename(P, "d1", P, "d1_renamed"), SUCCESS);
    check_eq!(read_file(P, N, "d1_renamed/inner.txt"), Ok("inner".into()));
    check_eq!(rename(P, "d1_renamed", P, "d2"), SUCCESS);
    check_eq!(read_file(P, N, "d2/inner.txt"), Ok("inner".into()));
    check_eq!(rename(P, "d2", P, "d3"), NOTEMPTY);
    // File over directory, directory over file, directory into itself.
    check_eq!(rename(P, "c.txt", P, "d3"), ISDIR);
    check_eq!(rename(P, "d3", P, "c.txt"), NOTDIR);
    check_eq!(rename(P, "d2", P, "d2/inside"), INVAL);
    // Trailing slashes: fine on directories, `notdir` on files.
    check_eq!(rename(P, "d5/", P, "d6/"), SUCCESS);
    check_eq!(rename(P, "d6", P, "d5"), SUCCESS);
    check_eq!(rename(P, "c.txt/", P, "x"), NOTDIR);
    check_eq!(rename(P, "c.txt", P, "x/"), NOTDIR);
    // To itself: nothing happens. Over a hard link to itself: nothing happens (POSIX).
    check_eq!(rename(P, "c.txt", P, "c.txt"), SUCCESS);
    check_eq!(link(P, N, "c.txt", P, "c_hard.txt"), SUCCESS);
    check_eq!(rename(P, "c.txt", P, "c_hard.txt"), SUCCESS);
    check_eq!(read_file(P, N, "c.txt"), Ok("C".into()));
    check_eq!(read_file(P, N, "c_hard.txt"), Ok("C".into()));
    // A symlink is renamed itself; its target stays.
    check_eq!(rename(P, "link_file", P, "link_moved"), SUCCESS);
    check_eq!(readlink(P, "link_moved", 64), Ok("c.txt".into()));
    check_eq!(read_file(P, FOLLOW, "link_moved"), Ok("C".into()));
    check_eq!(rename(P, "link_dir", P, "link_dir2"), SUCCESS);
    check_eq!(filetype_of(P, N, "d5"), Ok(DIRECTORY));
    // A file over a symlink replaces the link, not its target.
    check_eq!(rename(P, "e.txt", P, "link_e2"), SUCCESS);
    check_eq!(filetype_of(P, N, "link_e2"), Ok(REGULAR_FILE));
    check_eq!(read_file(P, N, "e2.txt"), Ok("E2".into()));
    // `.` and `..` cannot be renamed or replaced.
    check_eq!(rename(P, ".", P, "x"), BUSY);
    check_eq!(rename(P, "d3/..", P, "x"), BUSY);
    check_eq!(rename(P, "c.txt", P, "."), BUSY);
    check_eq!(rename(P, "c.txt", P, "d3/.."), BUSY);
    // Missing entries.
    check_eq!(rename(P, "missing", P, "x"), NOENT);
    check_eq!(rename(P, "c.txt", P, "missing/x"), NOENT);
    check_eq!(rename(P, "", P, "x"), NOENT);
    check_eq!(rename(P, "c.txt", P, ""), NOENT);
    // An open file survives its rename.
    let fd = open(P, FOLLOW, "open.txt", 0, rights::FD_READ, 0, 0).unwrap();
    check_eq!(rename(P, "open.txt", P, "d3/moved_open.txt"), SUCCESS);
    let mut buf = [0u8; 32];
    check_eq!(test_programs::read(fd, &mut buf), Ok(10));
    close(fd);
    // Between descriptors.
    let d3 = dir_without("d3", 0);
    check_eq!(rename(P, "b.txt", d3, "b_in_d3.txt"), SUCCESS);
    check_eq!(rename(d3, "x.txt", P, "x_from_d3.txt"), SUCCESS);
    // Rights: PATH_RENAME_SOURCE on the first descriptor, PATH_RENAME_TARGET on the second.
    let no_source = dir_without(".", rights::PATH_RENAME_SOURCE);
    let no_target = dir_without(".", rights::PATH_RENAME_TARGET);
    check_eq!(rename(no_source, "c.txt", P, "refused.txt"), NOTCAPABLE);
    check_eq!(rename(P, "c.txt", no_target, "refused.txt"), NOTCAPABLE);
    check_eq!(rename(no_target, "c_hard.txt", no_source, "c_hard2.txt"), SUCCESS);
    check_eq!(rename(99, "c.txt", P, "x"), BADF);
    check_eq!(rename(P, "c.txt", 99, "x"), BADF);
}

/// Fixture: `file.txt` = "hello", `dir/`.
fn path_symlink() {
    check_eq!(symlink("file.txt", P, "l1"), SUCCESS);
    check_eq!(readlink(P, "l1", 64), Ok("file.txt".into()));
    check_eq!(read_file(P, FOLLOW, "l1"), Ok("hello".into()));
    // Absolute contents are refused; nothing is created.
    check_eq!(symlink("/etc/passwd", P, "abs"), PERM);
    check_eq!(symlink("/", P, "abs"), PERM);
    check_eq!(symlink("//file.txt", P, "abs"), PERM);
    check_eq!(filetype_of(P, N, "abs"), Err(NOENT));
    // Dangling is fine; so are contents that would leave the sandbox (checked at each use).
    check_eq!(symlink("nowhere", P, "dangling"), SUCCESS);
    check_eq!(filetype_of(P, N, "dangling"), Ok(SYMBOLIC_LINK));
    check_eq!(read_file(P, FOLLOW, "dangling"), Err(NOENT));
    check_eq!(symlink("../outside.txt", P, "out"), SUCCESS);
    check_eq!(symlink("..", P, "up"), SUCCESS);
    // Contents are relative to the link's directory.
    check_eq!(symlink("../file.txt", P, "dir/l2"), SUCCESS);
    check_eq!(read_file(P, FOLLOW, "dir/l2"), Ok("hello".into()));
    check_eq!(symlink("dir", P, "ldir"), SUCCESS);
    check_eq!(filetype_of(P, FOLLOW, "ldir"), Ok(DIRECTORY));
    check_eq!(read_file(P, FOLLOW, "ldir/l2"), Ok("hello".into()));
    // The new name must not exist.
    check_eq!(symlink("x", P, "file.txt"), EXIST);
    check_eq!(symlink("x", P, "dir"), EXIST);
    check_eq!(symlink("x", P, "l1"), EXIST);
    check_eq!(symlink("x", P, "dangling"), EXIST);
    check_eq!(symlink("x", P, "."), EXIST);
    check_eq!(symlink("x", P, "file.txt/"), EXIST);
    check_eq!(symlink("x", P, "new/"), NOENT);
    check_eq!(symlink("x", P, "missing/l"), NOENT);
    // Bad contents or paths.
    check_eq!(symlink("", P, "empty"), NOENT);
    check_eq!(symlink("a\0b", P, "nul"), INVAL);
    check_eq!(symlink("x", P, "nul\0"), INVAL);
    check_eq!(symlink(&"t".repeat(5000), P, "long"), NAMETOOLONG);
    check_eq!(symlink("x", P, "../escaped_symlink"), PERM);
    check_eq!(symlink("x", P, ""), NOENT);
    // Rights.
    let blind = dir_without(".", rights::PATH_SYMLINK);
    check_eq!(symlink("file.txt", blind, "refused"), NOTCAPABLE);
    check_eq!(symlink("file.txt", 99, "refused"), BADF);
    for name in ["abs", "empty", "nul", "long", "refused"] {
        check_eq!(filetype_of(P, N, name), Err(NOENT));
    }
}

/// Fixture: `file.txt`, `keep.txt` = "keep", `dir/`, `link_file -> keep.txt`,
/// `link_dir -> dir`, `dangling -> nowhere`, `loop_a <-> loop_b`, `sub/inner.txt`,
/// `open.txt` = "open".
fn unlink_file() {
    check_eq!(unlink(P, "file.txt"), SUCCESS);
    check_eq!(filetype_of(P, N, "file.txt"), Err(NOENT));
    check_eq!(unlink(P, "file.txt"), NOENT);
    check_eq!(unlink(P, "sub/inner.txt"), SUCCESS);
    // Directories are `isdir`.
    check_eq!(unlink(P, "dir"), ISDIR);
    check_eq!(unlink(P, "dir/"), ISDIR);
    check_eq!(unlink(P, "."), ISDIR);
    check_eq!(unlink(P, "sub/.."), ISDIR);
    // Symlinks: the link goes, the target stays.
    check_eq!(unlink(P, "link_file"), SUCCESS);
    check_eq!(read_file(P, N, "keep.txt"), Ok("keep".into()));
    check_eq!(unlink(P, "link_dir"), SUCCESS);
    check_eq!(filetype_of(P, N, "dir"), Ok(DIRECTORY));
    check_eq!(unlink(P, "dangling"), SUCCESS);
    check_eq!(unlink(P, "loop_a"), SUCCESS);
    check_eq!(filetype_of(P, N, "loop_b"), Ok(SYMBOLIC_LINK));
    // Trailing slashes and non-directory parents.
    check_eq!(unlink(P, "keep.txt/"), NOTDIR);
    check_eq!(unlink(P, "keep.txt/x"), NOTDIR);
    check_eq!(unlink(P, "missing"), NOENT);
    check_eq!(unlink(P, "missing/x"), NOENT);
    check_eq!(unlink(P, ""), NOENT);
    // An open file stays readable after its last name is gone.
    let fd = open(P, FOLLOW, "open.txt", 0, rights::FD_READ, 0, 0).unwrap();
    check_eq!(unlink(P, "open.txt"), SUCCESS);
    let mut buf = [0u8; 16];
    check_eq!(test_programs::read(fd, &mut buf), Ok(4));
    close(fd);
    // Rights.
    let blind = dir_without(".", rights::PATH_UNLINK_FILE);
    check_eq!(unlink(blind, "keep.txt"), NOTCAPABLE);
    check_eq!(unlink(99, "keep.txt"), BADF);
}
