//! `fd_readdir`. The subcommand (first argument) picks the case; some print what they saw for
//! the host to compare with its own view. Fixture (in the preopen, fd 3): `many/` with 200
//! files, `one/` with one file, `few/` with `a`, `b`, `c`, and `kinds/` with `file.txt`,
//! `subdir/` and `link` (a symlink to `file.txt`).

use test_programs::fd_fs::{BAD_PTR, DIRENT_SIZE, Dirent, dirents, readdir, subcommand};
use test_programs::{FOLLOW, PREOPEN, check, check_eq, close, errno, oflags, open, raw, rights};

fn open_dir(path: &str) -> u32 {
    open(PREOPEN, FOLLOW, path, oflags::DIRECTORY, rights::FD_READDIR | rights::PATH_OPEN, 0, 0).unwrap()
}

/// Reads the whole directory at once.
fn read_all(fd: u32) -> Vec<Dirent> {
    let mut buf = vec![0u8; 64 * 1024];
    let used = readdir(fd, &mut buf, 0).unwrap();
    check!(used < buf.len());
    dirents(&buf[..used])
}

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "cookies" => cookies(),
        "truncated" => truncated(),
        "past_end" => past_end(),
        "types" => types(),
        "errors" => errors(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

/// Reads `many/` through a small buffer, resuming each time from the last complete entry's
/// `d_next`, and prints the sorted names; the cookies handed out stay valid while other reads
/// happen in between.
fn cookies() {
    let fd = open_dir("many");
    let other = open_dir("many");
    let mut names: Vec<String> = Vec::new();
    let mut cookies_seen = Vec::new();
    let mut cookie = 0u64;
    let mut calls = 0;
    loop {
        let mut buf = [0u8; 100];
        let used = readdir(fd, &mut buf, cookie).unwrap();
        calls += 1;
        check!(calls < 1000);
        let entries = dirents(&buf[..used]);
        // 100 bytes always hold at least one entry of `many/` (24 + at most 8 bytes).
        check!(!entries.is_empty() || used == 0);
        for e in &entries {
            check_eq!(e.namlen as usize, e.name.len());
            names.push(String::from_utf8(e.name.clone()).unwrap());
            cookie = e.next;
            cookies_seen.push(cookie);
        }
        if used < buf.len() {
            break;
        }
        // Something else reads in between: another descriptor from the start, and this one
        // from an earlier cookie.
        if calls % 7 == 0 {
            let _ = read_all(other);
            let earlier = cookies_seen[cookies_seen.len() / 2];
            let mut scratch = [0u8; 100];
            let n = readdir(fd, &mut scratch, earlier).unwrap();
            check!(!dirents(&scratch[..n]).is_empty());
        }
    }
    check!(calls > 10);
    // Every entry once, every cookie distinct.
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    check_eq!(sorted.len(), names.len());
    let mut distinct = cookies_seen.clone();
    distinct.sort();
    distinct.dedup();
    check_eq!(distinct.len(), cookies_seen.len());
    // The same listing as one big read.
    let all: Vec<String> = read_all(fd).into_iter().map(|e| String::from_utf8(e.name).unwrap()).collect();
    check_eq!(all, names);
    println!("names: {}", sorted.join(","));
}

/// A buffer too small for one entry comes back full (bufused == buf_len), cut off; a larger
/// one then gets the entry.
fn truncated() {
    let fd = open_dir("one");
    let all = read_all(fd);
    check_eq!(all.len(), 3);
    let first = &all[0];
    let mut whole = Vec::new();
    whole.extend_from_slice(&first.next.to_le_bytes());
    whole.extend_from_slice(&first.ino.to_le_bytes());
    whole.extend_from_slice(&first.namlen.to_le_bytes());
    whole.push(first.filetype);
    let header_len = whole.len();
    whole.extend_from_slice(&first.name);
    check_eq!(header_len, 21);

    // Smaller than a header, exactly a header, a header and part of the name.
    for len in [1, 10, DIRENT_SIZE, DIRENT_SIZE + first.name.len() - 1] {
        let mut buf = vec![0u8; len];
        check_eq!(readdir(fd, &mut buf, 0), Ok(len));
        check!(dirents(&buf).is_empty());
        // What is there is the start of the entry (the header's padding aside).
        check_eq!(&buf[..len.min(header_len)], &whole[..len.min(header_len)]);
        if len > DIRENT_SIZE {
            check_eq!(&buf[DIRENT_SIZE..], &first.name[..len - DIRENT_SIZE]);
        }
    }
    // Exactly one entry: full again (the reader must call again), and the entry is complete.
    let exact = DIRENT_SIZE + first.name.len();
    let mut buf = vec![0u8; exact];
    check_eq!(readdir(fd, &mut buf, 0), Ok(exact));
    check_eq!(dirents(&buf), vec![first.clone()]);
    // One byte more: the first entry and one byte of the next.
    let mut buf = vec![0u8; exact + 1];
    check_eq!(readdir(fd, &mut buf, 0), Ok(exact + 1));
    check_eq!(dirents(&buf), vec![first.clone()]);
    // Resuming from its cookie with a small buffer, then a big one, gets the next entry.
    let mut small = [0u8; 8];
    check_eq!(readdir(fd, &mut small, first.next), Ok(8));
    let mut big = vec![0u8; 4096];
    let used = readdir(fd, &mut big, first.next).unwrap();
    check_eq!(dirents(&big[..used]), all[1..].to_vec());
}

/// A cookie at or past the end gives an empty buffer.
fn past_end() {
    let fd = open_dir("few");
    let all = read_all(fd);
    check_eq!(all.len(), 5);
    let end = all.last().unwrap().next;
    let mut buf = [0u8; 256];
    check_eq!(readdir(fd, &mut buf, end), Ok(0));
    // Cookies are the host file system's (opaque: a hash on ext4, an index on tmpfs); ones it
    // would never give are past the end.
    check_eq!(readdir(fd, &mut buf, u64::MAX), Ok(0));
    check_eq!(readdir(fd, &mut buf, i64::MAX as u64 + 1), Ok(0));
    // The second-to-last cookie gives exactly the last entry.
    let used = readdir(fd, &mut buf, all[3].next).unwrap();
    check_eq!(dirents(&buf[..used]), vec![all[4].clone()]);
    // On a fresh descriptor, never read from 0.
    let fresh = open_dir("few");
    check_eq!(readdir(fresh, &mut buf, u64::MAX), Ok(0));
    check_eq!(readdir(fresh, &mut buf, end), Ok(0));
}

/// Prints every entry of `kinds/` as `entry NAME TYPE INO` for the host to check.
fn types() {
    let fd = open_dir("kinds");
    let mut all = read_all(fd);
    all.sort_by(|a, b| a.name.cmp(&b.name));
    for e in all {
        println!("entry {} {} {}", String::from_utf8(e.name).unwrap(), e.filetype, e.ino);
    }
    // The preopen lists the same way.
    let top = read_all(PREOPEN);
    let kinds = top.iter().find(|e| e.name == b"kinds").unwrap();
    println!("top kinds {} {}", kinds.filetype, kinds.ino);
}

fn errors() {
    let mut buf = [0u8; 256];
    let mut used = 0u32;
    check_eq!(readdir(99, &mut buf, 0), Err(errno::BADF));
    // A file holds no FD_READDIR.
    let file = open(PREOPEN, FOLLOW, "kinds/file.txt", 0, rights::ALL, 0, 0).unwrap();
    check_eq!(readdir(file, &mut buf, 0), Err(errno::NOTCAPABLE));
    // A directory opened without it.
    let dir = open(PREOPEN, FOLLOW, "few", oflags::DIRECTORY, rights::PATH_OPEN, 0, 0).unwrap();
    check_eq!(readdir(dir, &mut buf, 0), Err(errno::NOTCAPABLE));
    let fd = open_dir("few");
    let mut words = [0u32; 2];
    let misaligned = words.as_mut_ptr().cast::<u8>().wrapping_add(2).cast::<u32>();
    // SAFETY: the runtime checks the pointers.
    unsafe {
        check_eq!(raw::fd_readdir(fd, BAD_PTR as *mut u8, 256, 0, &mut used), errno::FAULT);
        check_eq!(raw::fd_readdir(fd, buf.as_mut_ptr(), 256, 0, BAD_PTR as *mut u32), errno::FAULT);
        check_eq!(raw::fd_readdir(fd, buf.as_mut_ptr(), 256, 0, misaligned), errno::INVAL);
        // The buffer need not be aligned.
        check_eq!(raw::fd_readdir(fd, buf.as_mut_ptr().add(3), 200, 0, &mut used), errno::SUCCESS);
    }
    check_eq!(dirents(&buf[3..3 + used as usize]).len(), 5);
    close(fd);
    check_eq!(readdir(fd, &mut buf, 0), Err(errno::BADF));
}
