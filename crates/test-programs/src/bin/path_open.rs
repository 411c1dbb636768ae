//! path_open: flags, rights and the sandbox. Every escape attempt must fail with `perm` and
//! leave `../outside.txt` unread.
//!
//! Fixture (made by the host test): `file.txt` = "hello", `sub/inner.txt` = "inner",
//! symlinks `link_in -> sub/inner.txt`, `link_sub -> sub`, `link_out -> ../outside.txt`,
//! `link_abs -> /etc/passwd`, `link_dotdot -> ..`, `sub/link_up -> ../file.txt`,
//! `sub/link_up2 -> ../../outside.txt`, `loop_a -> loop_b`, `loop_b -> loop_a`,
//! `dangling -> nowhere.txt`, `link_dir_slash -> sub/`.

use test_programs::{FOLLOW, PREOPEN, check_eq, close, errno, fdstat, oflags, open, read, rights, write};

const R: u64 = rights::FD_READ | rights::FD_SEEK;
const RW: u64 = rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK;

fn read_all(path: &str, lookup: u32) -> Result<String, u16> {
    let fd = open(PREOPEN, lookup, path, 0, R, 0, 0)?;
    let mut buf = [0u8; 64];
    let n = read(fd, &mut buf).unwrap() as usize;
    close(fd);
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn main() {
    // Plain and nested opens, `.` and `..` that stay inside.
    check_eq!(read_all("file.txt", FOLLOW), Ok("hello".into()));
    check_eq!(read_all("./file.txt", FOLLOW), Ok("hello".into()));
    check_eq!(read_all("sub/inner.txt", FOLLOW), Ok("inner".into()));
    check_eq!(read_all("sub/../file.txt", FOLLOW), Ok("hello".into()));
    check_eq!(read_all("sub//./inner.txt", FOLLOW), Ok("inner".into()));
    check_eq!(read_all("missing.txt", FOLLOW), Err(errno::NOENT));
    check_eq!(read_all("", FOLLOW), Err(errno::NOENT));

    // Escapes: `..` above the preopen, even when the path would come back in.
    check_eq!(read_all("..", FOLLOW), Err(errno::PERM));
    check_eq!(read_all("../outside.txt", FOLLOW), Err(errno::PERM));
    check_eq!(read_all("sub/../../outside.txt", FOLLOW), Err(errno::PERM));
    check_eq!(read_all("sub/../../sandbox/file.txt", FOLLOW), Err(errno::PERM));
    // Absolute paths.
    check_eq!(read_all("/etc/passwd", FOLLOW), Err(errno::PERM));
    check_eq!(read_all("/", FOLLOW), Err(errno::PERM));
    // Symlinks that leave, directly or through `..`, or absolutely.
    check_eq!(read_all("link_out", FOLLOW), Err(errno::PERM));
    check_eq!(read_all("link_abs", FOLLOW), Err(errno::PERM));
    check_eq!(read_all("link_dotdot/outside.txt", FOLLOW), Err(errno::PERM));
    check_eq!(read_all("sub/link_up2", FOLLOW), Err(errno::PERM));
    // Symlinks that stay inside are followed.
    check_eq!(read_all("link_in", FOLLOW), Ok("inner".into()));
    check_eq!(read_all("link_sub/inner.txt", FOLLOW), Ok("inner".into()));
    check_eq!(read_all("sub/link_up", FOLLOW), Ok("hello".into()));
    check_eq!(read_all("link_dir_slash/inner.txt", FOLLOW), Ok("inner".into()));
    // Without SYMLINK_FOLLOW the last component is not followed; earlier ones still are.
    check_eq!(read_all("link_in", 0), Err(errno::LOOP));
    check_eq!(read_all("link_sub/inner.txt", 0), Ok("inner".into()));
    // Loops and dangling links.
    check_eq!(read_all("loop_a", FOLLOW), Err(errno::LOOP));
    check_eq!(read_all("loop_a/x", FOLLOW), Err(errno::LOOP));
    check_eq!(read_all("dangling", FOLLOW), Err(errno::NOENT));
    // Trailing slashes need a directory.
    check_eq!(read_all("file.txt/", FOLLOW), Err(errno::NOTDIR));
    check_eq!(read_all("link_in/", FOLLOW), Err(errno::NOTDIR));
    // NUL bytes and invalid UTF-8.
    check_eq!(read_all("file.txt\0.png", FOLLOW), Err(errno::INVAL));
    let mut fd = 0u32;
    let bad_utf8 = [b'f', 0xff, b'x'];
    // SAFETY: pointers to live locals.
    let e = unsafe { test_programs::raw::path_open(PREOPEN, FOLLOW, bad_utf8.as_ptr(), 3, 0, R, 0, 0, &mut fd) };
    check_eq!(e, errno::ILSEQ);
    // Over-long paths.
    let long = "a/".repeat(2100);
    check_eq!(read_all(&long, FOLLOW), Err(errno::NAMETOOLONG));

    // Create, exclusive, truncate.
    let fd = open(PREOPEN, FOLLOW, "new.txt", oflags::CREAT | oflags::EXCL, RW, 0, 0).unwrap();
    check_eq!(write(fd, b"created"), Ok(7));
    close(fd);
    check_eq!(open(PREOPEN, FOLLOW, "new.txt", oflags::CREAT | oflags::EXCL, RW, 0, 0), Err(errno::EXIST));
    check_eq!(read_all("new.txt", FOLLOW), Ok("created".into()));
    let fd = open(PREOPEN, FOLLOW, "new.txt", oflags::TRUNC, RW, 0, 0).unwrap();
    close(fd);
    check_eq!(read_all("new.txt", FOLLOW), Ok("".into()));
    // Creating through a symlink that points inside creates the target; outside is refused.
    let fd = open(PREOPEN, FOLLOW, "dangling", oflags::CREAT, RW, 0, 0).unwrap();
    close(fd);
    check_eq!(read_all("nowhere.txt", FOLLOW), Ok("".into()));
    check_eq!(open(PREOPEN, FOLLOW, "link_out", oflags::CREAT | oflags::TRUNC, RW, 0, 0), Err(errno::PERM));
    check_eq!(open(PREOPEN, FOLLOW, "../escape.txt", oflags::CREAT, RW, 0, 0), Err(errno::PERM));
    // Directories.
    check_eq!(open(PREOPEN, FOLLOW, "file.txt", oflags::DIRECTORY, R, 0, 0), Err(errno::NOTDIR));
    check_eq!(open(PREOPEN, FOLLOW, "sub", 0, RW, 0, 0), Err(errno::ISDIR));
    // With DIRECTORY, write rights just do not apply to the directory.
    let all = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::DIR, rights::ALL, 0).unwrap();
    let (ft, _, base, _) = fdstat(all).unwrap();
    check_eq!((ft, base & rights::FD_WRITE), (3, 0));
    check_eq!(base & rights::PATH_OPEN, rights::PATH_OPEN);
    close(all);
    let dir = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::PATH_OPEN, rights::ALL, 0).unwrap();
    check_eq!(fdstat(dir).unwrap().0, 3);
    // `..` is relative to the descriptor it starts from: from `sub`, the preopen is outside.
    check_eq!(open(dir, FOLLOW, "../file.txt", 0, R, 0, 0), Err(errno::PERM));
    check_eq!(open(dir, FOLLOW, "link_up", 0, R, 0, 0), Err(errno::PERM));
    let dot = open(PREOPEN, FOLLOW, ".", 0, rights::PATH_OPEN, rights::ALL, 0).unwrap();
    check_eq!(fdstat(dot).unwrap().0, 3);

    // Rights: a directory opened without PATH_OPEN cannot open anything; one whose
    // inheriting rights lack FD_WRITE gives read-only files; CREAT needs PATH_CREATE_FILE.
    let blind = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, 0, rights::ALL, 0).unwrap();
    check_eq!(open(blind, FOLLOW, "inner.txt", 0, R, 0, 0), Err(errno::NOTCAPABLE));
    let readonly = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::PATH_OPEN, R, 0).unwrap();
    let f = open(readonly, FOLLOW, "inner.txt", 0, RW, RW, 0).unwrap();
    check_eq!(fdstat(f).unwrap().2, R);
    check_eq!(write(f, b"x"), Err(errno::NOTCAPABLE));
    check_eq!(open(readonly, FOLLOW, "created.txt", oflags::CREAT, R, 0, 0), Err(errno::NOTCAPABLE));
    check_eq!(open(readonly, FOLLOW, "inner.txt", oflags::TRUNC, R, 0, 0), Err(errno::NOTCAPABLE));
    // Flags: unknown bits are refused.
    check_eq!(open(PREOPEN, FOLLOW, "file.txt", 0x10, R, 0, 0), Err(errno::INVAL));
    check_eq!(open(PREOPEN, 2, "file.txt", 0, R, 0, 0), Err(errno::INVAL));
    check_eq!(open(PREOPEN, FOLLOW, "file.txt", 0, R, 0, 0x40), Err(errno::INVAL));
    // Not a directory / not open.
    check_eq!(open(1, FOLLOW, "file.txt", 0, R, 0, 0), Err(errno::NOTDIR));
    check_eq!(open(77, FOLLOW, "file.txt", 0, R, 0, 0), Err(errno::BADF));
    println!("path_open ok");
}
