//! The review's host-memory attack: hold many descriptors on one big directory, each having
//! read its first entries, so that a host keeping a listing per descriptor would hold the
//! directory many times over. Arguments: the directory (beneath the preopen) and how many
//! descriptors. Prints how many entries each first read returned, then waits for its stdin to
//! close (while the host test measures the runner's memory), then reads one descriptor to the
//! end and prints how many entries it has.

use std::io::Read;
use test_programs::fd_fs::{dirents, readdir};
use test_programs::{FOLLOW, PREOPEN, oflags, open, rights};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("a directory");
    let count: usize = args.next().and_then(|n| n.parse().ok()).expect("how many descriptors");
    let mut buf = vec![0u8; 4096];
    let mut fds = Vec::new();
    let mut first = 0;
    for _ in 0..count {
        let fd = open(PREOPEN, FOLLOW, &dir, oflags::DIRECTORY, rights::FD_READDIR, 0, 0).expect("open the directory");
        let used = readdir(fd, &mut buf, 0).expect("readdir");
        first = dirents(&buf[..used.min(buf.len())]).len();
        fds.push(fd);
    }
    println!("held {} descriptors, {first} entries each", fds.len());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    // Read the last one to the end, page by page.
    let fd = *fds.last().expect("a descriptor");
    let (mut total, mut cookie) = (0, 0);
    loop {
        let used = readdir(fd, &mut buf, cookie).expect("readdir");
        // An entry cut off at the end of the buffer is not decoded: it is read again from the
        // cookie of the one before.
        let entries = dirents(&buf[..used]);
        let Some(last) = entries.last() else { break };
        total += entries.len();
        cookie = last.next;
        if used < buf.len() {
            break;
        }
    }
    println!("{total} entries");
}
