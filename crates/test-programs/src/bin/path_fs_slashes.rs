//! Trailing slashes, `/.`, dangling symlinks, symlink loops, the hop limit, and lookups that
//! do not follow a final symlink, across the `path_*` functions.
//!
//! Fixture: `file.txt` = "hello", `dir/inner.txt` = "inner", `empty/`, `link_dir -> dir`,
//! `link_file -> file.txt`, `link_dir_slash -> dir/`, `dangling -> nowhere`,
//! `loop_a -> loop_b`, `loop_b -> loop_a`, `self -> self`.

use test_programs::errno::*;
use test_programs::path_fs::errno::BUSY;
use test_programs::path_fs::filetype::{DIRECTORY, REGULAR_FILE, SYMBOLIC_LINK};
use test_programs::path_fs::rights::{ALL, FD_READ};
use test_programs::path_fs::{filetype_of, fst, link, mkdir, read_file, readlink, rename, rmdir, set_times, unlink};
use test_programs::{FOLLOW, PREOPEN as P, check_eq, close, fdstat, oflags, open, path_filestat, symlink};

const N: u32 = 0;

/// The file type of what `path_open` opens at `path`, or the errno.
fn opened_type(lookup: u32, path: &str, oflags: u32) -> Result<u8, u16> {
    let fd = open(P, lookup, path, oflags, FD_READ, 0, 0)?;
    let filetype = fdstat(fd).unwrap().0;
    close(fd);
    Ok(filetype)
}

/// The inode `path_filestat_get` reports, or the errno.
fn ino(lookup: u32, path: &str) -> Result<u64, u16> {
    path_filestat(P, lookup, path).map(|s| s.ino)
}

fn main() {
    let dir_ino = ino(N, "dir").unwrap();
    let file_ino = ino(N, "file.txt").unwrap();

    // A trailing slash on a file: `notdir`, whatever the call.
    for lookup in [N, FOLLOW] {
        check_eq!(opened_type(lookup, "file.txt/", 0), Err(NOTDIR));
        check_eq!(opened_type(lookup, "file.txt/.", 0), Err(NOTDIR));
        check_eq!(filetype_of(P, lookup, "file.txt/"), Err(NOTDIR));
        check_eq!(filetype_of(P, lookup, "file.txt/."), Err(NOTDIR));
        check_eq!(filetype_of(P, lookup, "file.txt//"), Err(NOTDIR));
        check_eq!(set_times(P, lookup, "file.txt/", 0, 0, fst::MTIM_NOW), NOTDIR);
        check_eq!(link(P, lookup, "file.txt/", P, "x"), NOTDIR);
    }
    check_eq!(open(P, FOLLOW, "file.txt/", oflags::CREAT, FD_READ, 0, 0), Err(ISDIR));
    check_eq!(unlink(P, "file.txt/"), NOTDIR);
    check_eq!(rmdir(P, "file.txt/"), NOTDIR);
    check_eq!(rename(P, "file.txt/", P, "x"), NOTDIR);
    check_eq!(rename(P, "file.txt", P, "x/"), NOTDIR);
    check_eq!(mkdir(P, "file.txt/x"), NOTDIR);

    // A trailing slash on a directory is fine.
    check_eq!(opened_type(N, "dir/", 0), Ok(DIRECTORY));
    check_eq!(opened_type(N, "dir/", oflags::DIRECTORY), Ok(DIRECTORY));
    check_eq!(opened_type(N, "dir//", 0), Ok(DIRECTORY));
    check_eq!(opened_type(N, "dir/.", 0), Ok(DIRECTORY));
    check_eq!(ino(N, "dir/"), Ok(dir_ino));
    check_eq!(read_file(P, N, "dir//inner.txt"), Ok("inner".into()));
    check_eq!(set_times(P, N, "dir/", 0, 0, fst::MTIM_NOW), 0);
    check_eq!(rename(P, "dir/", P, "dir2/"), 0);
    check_eq!(rename(P, "dir2", P, "dir/"), 0);
    check_eq!(mkdir(P, "made/"), 0);
    check_eq!(rmdir(P, "made/"), 0);
    check_eq!(unlink(P, "dir/"), ISDIR);

    // A trailing slash on a symlink follows it for path_open, whatever the lookup flags, and
    // for path_filestat_get with SYMLINK_FOLLOW.
    check_eq!(opened_type(N, "link_dir/", 0), Ok(DIRECTORY));
    check_eq!(opened_type(FOLLOW, "link_dir/", 0), Ok(DIRECTORY));
    check_eq!(opened_type(N, "link_dir/", oflags::DIRECTORY), Ok(DIRECTORY));
    check_eq!(ino(FOLLOW, "link_dir/"), Ok(dir_ino));
    check_eq!(opened_type(N, "link_file/", 0), Err(NOTDIR));
    check_eq!(opened_type(FOLLOW, "link_file/", 0), Err(NOTDIR));
    check_eq!(filetype_of(P, FOLLOW, "link_file/"), Err(NOTDIR));
    check_eq!(filetype_of(P, N, "link_file/"), Err(NOTDIR));
    check_eq!(readlink(P, "link_file/", 64), Err(NOTDIR));
    check_eq!(link(P, N, "link_file/", P, "x"), NOTDIR);
    // A symlink whose contents end in `/` is followed to a directory.
    check_eq!(opened_type(FOLLOW, "link_dir_slash", 0), Ok(DIRECTORY));
    check_eq!(ino(FOLLOW, "link_dir_slash"), Ok(dir_ino));
    check_eq!(opened_type(N, "link_dir_slash", 0), Err(LOOP));
    // unlink, rmdir and rename act on the link itself: with a trailing slash, `notdir`.
    check_eq!(unlink(P, "link_dir/"), NOTDIR);
    check_eq!(unlink(P, "link_file/"), NOTDIR);
    check_eq!(unlink(P, "dangling/"), NOTDIR);
    check_eq!(rmdir(P, "link_dir/"), NOTDIR);
    check_eq!(rmdir(P, "dangling/"), NOTDIR);
    check_eq!(rename(P, "link_dir/", P, "x"), NOTDIR);
    check_eq!(rename(P, "link_file/", P, "x"), NOTDIR);
    check_eq!(rename(P, "empty", P, "link_dir/"), NOTDIR);
    check_eq!(filetype_of(P, N, "link_dir"), Ok(SYMBOLIC_LINK));
    check_eq!(filetype_of(P, N, "empty"), Ok(DIRECTORY));

    // `/.` after a symlink: the symlink is followed as a directory.
    check_eq!(opened_type(N, "link_dir/.", 0), Ok(DIRECTORY));
    check_eq!(ino(N, "link_dir/."), Ok(dir_ino));
    check_eq!(ino(N, "link_dir/./inner.txt"), ino(N, "dir/inner.txt"));
    check_eq!(opened_type(N, "link_file/.", 0), Err(NOTDIR));
    check_eq!(filetype_of(P, N, "link_file/."), Err(NOTDIR));
    check_eq!(rmdir(P, "link_dir/."), INVAL);
    check_eq!(unlink(P, "link_dir/."), ISDIR);
    check_eq!(mkdir(P, "link_dir/."), EXIST);
    check_eq!(rename(P, "link_dir/.", P, "x"), BUSY);

    // Dangling symlinks.
    check_eq!(filetype_of(P, N, "dangling"), Ok(SYMBOLIC_LINK));
    check_eq!(filetype_of(P, FOLLOW, "dangling"), Err(NOENT));
    check_eq!(filetype_of(P, FOLLOW, "dangling/"), Err(NOENT));
    check_eq!(opened_type(FOLLOW, "dangling", 0), Err(NOENT));
    check_eq!(opened_type(N, "dangling", 0), Err(LOOP));
    check_eq!(opened_type(N, "dangling/", 0), Err(NOENT));
    check_eq!(filetype_of(P, N, "dangling/x"), Err(NOENT));
    check_eq!(mkdir(P, "dangling/x"), NOENT);
    check_eq!(readlink(P, "dangling", 64), Ok("nowhere".into()));
    check_eq!(set_times(P, FOLLOW, "dangling", 0, 0, fst::MTIM_NOW), NOENT);
    check_eq!(link(P, FOLLOW, "dangling", P, "x"), NOENT);
    check_eq!(open(P, N, "dangling/", oflags::CREAT, FD_READ, 0, 0), Err(ISDIR));
    check_eq!(filetype_of(P, N, "nowhere"), Err(NOENT));

    // Loops: `loop` whenever the link is followed; the link itself is fine.
    for path in ["loop_a", "self"] {
        check_eq!(filetype_of(P, N, path), Ok(SYMBOLIC_LINK));
        check_eq!(filetype_of(P, FOLLOW, path), Err(LOOP));
        check_eq!(filetype_of(P, FOLLOW, &format!("{path}/")), Err(LOOP));
        check_eq!(filetype_of(P, N, &format!("{path}/x")), Err(LOOP));
        check_eq!(filetype_of(P, N, &format!("{path}/.")), Err(LOOP));
        check_eq!(opened_type(FOLLOW, path, 0), Err(LOOP));
        check_eq!(opened_type(N, path, 0), Err(LOOP));
        check_eq!(opened_type(N, &format!("{path}/"), 0), Err(LOOP));
        check_eq!(open(P, FOLLOW, path, oflags::CREAT, FD_READ, 0, 0), Err(LOOP));
        check_eq!(open(P, N, path, oflags::CREAT, FD_READ, 0, 0), Err(LOOP));
        check_eq!(mkdir(P, &format!("{path}/x")), LOOP);
        check_eq!(set_times(P, FOLLOW, path, 0, 0, fst::MTIM_NOW), LOOP);
        check_eq!(link(P, FOLLOW, path, P, "x"), LOOP);
        check_eq!(unlink(P, &format!("{path}/x")), LOOP);
        check_eq!(rename(P, &format!("{path}/x"), P, "x"), LOOP);
        check_eq!(readlink(P, &format!("{path}/x"), 64), Err(LOOP));
    }
    check_eq!(readlink(P, "loop_a", 64), Ok("loop_b".into()));

    // At most 40 symlinks per resolution: a chain of 40 resolves, one of 41 is `loop`.
    for i in 0..41 {
        check_eq!(symlink(&format!("c{}", i + 1), P, &format!("c{i}")), 0);
    }
    check_eq!(symlink("file.txt", P, "c41"), 0);
    check_eq!(ino(FOLLOW, "c2"), Ok(file_ino));
    check_eq!(read_file(P, FOLLOW, "c2"), Ok("hello".into()));
    check_eq!(ino(FOLLOW, "c1"), Err(LOOP));
    check_eq!(opened_type(FOLLOW, "c1", 0), Err(LOOP));
    for i in 0..42 {
        check_eq!(unlink(P, &format!("c{i}")), 0);
    }

    // Without SYMLINK_FOLLOW, the final symlink is the object: stat and times are the
    // link's, open is `loop`, a hard link copies the link. Earlier components are followed.
    check_eq!(filetype_of(P, N, "link_file"), Ok(SYMBOLIC_LINK));
    let before = path_filestat(P, N, "file.txt").unwrap().mtim;
    check_eq!(set_times(P, N, "link_file", 7, 7, fst::ATIM | fst::MTIM), 0);
    check_eq!(path_filestat(P, N, "link_file").map(|s| s.mtim), Ok(7));
    check_eq!(path_filestat(P, N, "file.txt").map(|s| s.mtim), Ok(before));
    check_eq!(opened_type(N, "link_file", 0), Err(LOOP));
    check_eq!(open(P, N, "link_file", oflags::TRUNC, ALL, 0, 0), Err(LOOP));
    check_eq!(read_file(P, N, "file.txt"), Ok("hello".into()));
    check_eq!(link(P, N, "link_file", P, "link_copy"), 0);
    check_eq!(filetype_of(P, N, "link_copy"), Ok(SYMBOLIC_LINK));
    check_eq!(unlink(P, "link_copy"), 0);
    check_eq!(filetype_of(P, N, "link_dir/inner.txt"), Ok(REGULAR_FILE));
    check_eq!(read_file(P, N, "link_dir/inner.txt"), Ok("inner".into()));
    check_eq!(mkdir(P, "link_dir/via_link"), 0);
    check_eq!(rmdir(P, "link_dir/via_link"), 0);

    // Without SYMLINK_FOLLOW, a trailing slash still follows a final symlink (POSIX), except
    // for calls that act on the name itself, where the link is not a directory.
    check_eq!(ino(N, "link_dir/"), Ok(dir_ino));
    check_eq!(filetype_of(P, N, "link_dir/"), Ok(DIRECTORY));
    check_eq!(filetype_of(P, N, "dangling/"), Err(NOENT));
    check_eq!(filetype_of(P, N, "loop_a/"), Err(LOOP));
    check_eq!(set_times(P, N, "link_dir/", 0, 0, fst::MTIM_NOW), 0);
    check_eq!(mkdir(P, "link_dir/"), EXIST);
    check_eq!(mkdir(P, "dangling/"), EXIST);
    check_eq!(link(P, N, "link_dir/", P, "x"), PERM);
    check_eq!(readlink(P, "link_dir/", 64), Err(INVAL));
    check_eq!(readlink(P, "file.txt/", 64), Err(NOTDIR));
    check_eq!(unlink(P, "link_dir/"), NOTDIR);
    check_eq!(rmdir(P, "link_dir/"), NOTDIR);
    check_eq!(rename(P, "link_dir/", P, "x"), NOTDIR);
    check_eq!(filetype_of(P, N, "link_dir"), Ok(SYMBOLIC_LINK));
    println!("ok");
}
