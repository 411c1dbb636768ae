//! Holds its preopen while the host renames the directory away: after the rename, paths still
//! resolve beneath the same directory (now under another name) and never beside it.

use std::io::BufRead;
use test_programs::{FOLLOW, PREOPEN, check_eq, close, errno, open, read, rights};

fn read_file(path: &str) -> Result<String, u16> {
    let fd = open(PREOPEN, FOLLOW, path, 0, rights::FD_READ, 0, 0)?;
    let mut buf = [0u8; 64];
    let n = read(fd, &mut buf).unwrap() as usize;
    close(fd);
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn main() {
    check_eq!(read_file("file.txt"), Ok("held".to_string()));
    println!("ready");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).unwrap();
    // The host has renamed the directory and put a decoy where it was.
    check_eq!(read_file("file.txt"), Ok("held".to_string()));
    check_eq!(read_file("../outside.txt"), Err(errno::PERM));
    check_eq!(read_file("../sandbox/file.txt"), Err(errno::PERM));
    check_eq!(read_file("sub/../file.txt"), Ok("held".to_string()));
    let fd =
        open(PREOPEN, FOLLOW, "created-after-move.txt", test_programs::oflags::CREAT, rights::FD_WRITE, 0, 0).unwrap();
    check_eq!(test_programs::write(fd, b"moved"), Ok(5));
    println!("done");
}
