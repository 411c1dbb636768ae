//! `fd_filestat_get`. The subcommand (first argument) picks the case; `show` prints what it
//! saw for the host to compare with its own view.
//! Fixture: `file.txt` = "hello" with a hard link `hard.txt`, and `sub/` in the preopen (fd 3).

use test_programs::fd_fs::{BAD_PTR, filetype, subcommand};
use test_programs::{FOLLOW, Filestat, PREOPEN, check_eq, close, errno, fd_filestat, oflags, open, raw, rights, write};

fn show(what: &str, st: &Filestat) {
    println!(
        "{what} dev={} ino={} filetype={} nlink={} size={} atim={} mtim={} ctim={}",
        st.dev, st.ino, st.filetype, st.nlink, st.size, st.atim, st.mtim, st.ctim
    );
}

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "show" => show_all(),
        "errors" => errors(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

fn show_all() {
    // The size follows writes (first, so that the directory is not changed after it is shown).
    let new =
        open(PREOPEN, FOLLOW, "new.txt", oflags::CREAT, rights::FD_WRITE | rights::FD_FILESTAT_GET, 0, 0).unwrap();
    check_eq!(fd_filestat(new).unwrap().size, 0);
    check_eq!(fd_filestat(new).unwrap().nlink, 1);
    check_eq!(write(new, b"four"), Ok(4));
    check_eq!(fd_filestat(new).unwrap().size, 4);

    let file = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_READ | rights::FD_FILESTAT_GET, 0, 0).unwrap();
    let st = fd_filestat(file).unwrap();
    check_eq!(st.filetype, filetype::REGULAR_FILE);
    check_eq!(st.size, 5);
    check_eq!(st.nlink, 2);
    show("file", &st);
    // The hard link is the same file.
    let hard = open(PREOPEN, FOLLOW, "hard.txt", 0, rights::FD_FILESTAT_GET, 0, 0).unwrap();
    check_eq!(fd_filestat(hard), Ok(st));

    let st = fd_filestat(PREOPEN).unwrap();
    check_eq!(st.filetype, filetype::DIRECTORY);
    show("preopen", &st);
    let sub = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::FD_FILESTAT_GET, 0, 0).unwrap();
    let st = fd_filestat(sub).unwrap();
    check_eq!(st.filetype, filetype::DIRECTORY);
    show("sub", &st);
}

fn errors() {
    check_eq!(fd_filestat(99), Err(errno::BADF));
    // Without FD_FILESTAT_GET, on a file and on a directory.
    let file = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_READ, 0, 0).unwrap();
    check_eq!(fd_filestat(file), Err(errno::NOTCAPABLE));
    let dir = open(PREOPEN, FOLLOW, "sub", oflags::DIRECTORY, rights::FD_READDIR, 0, 0).unwrap();
    check_eq!(fd_filestat(dir), Err(errno::NOTCAPABLE));
    // Result outside memory: fault; misaligned: inval; nothing written either way.
    let fd = open(PREOPEN, FOLLOW, "file.txt", 0, rights::FD_FILESTAT_GET, 0, 0).unwrap();
    let mut buf = [0x5555_5555_5555_5555u64; 9];
    // SAFETY: the runtime checks the pointers; the misaligned one is inside `buf`.
    unsafe {
        check_eq!(raw::fd_filestat_get(fd, BAD_PTR as *mut u8), errno::FAULT);
        check_eq!(raw::fd_filestat_get(fd, buf.as_mut_ptr().cast::<u8>().add(4)), errno::INVAL);
    }
    check_eq!(buf, [0x5555_5555_5555_5555u64; 9]);
    close(fd);
    check_eq!(fd_filestat(fd), Err(errno::BADF));
}
