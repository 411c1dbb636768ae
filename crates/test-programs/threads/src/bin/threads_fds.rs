//! A descriptor storm. Four writers each, 2,000 times: open one of their two files twice with
//! `O_APPEND`, renumber the first descriptor onto the second (closing it), write one byte
//! naming the file, and close. Two others at once open, renumber and close descriptors of
//! their own, and read, stat and re-narrow (`fd_fdstat_set_rights`, to the rights they already
//! have) every number the writers may be using. Every number a thread closes or renumbers onto
//! is its own, so whatever the schedule, each file must hold exactly the bytes written through
//! it: a byte in the wrong file means the host gave a descriptor the wrong object (an old one
//! restored by a racing update, say). Nothing may panic the host and no descriptor may be
//! left open. Prints the descriptors open before and after, and per file what was written and
//! found.

use std::thread;

const RIGHTS: wasi::Rights = wasi::RIGHTS_FD_READ | wasi::RIGHTS_FD_WRITE | wasi::RIGHTS_FD_FILESTAT_GET;

/// `path_open` beneath the preopen (fd 3), creating, appending.
fn open(name: &str) -> Option<u32> {
    unsafe { wasi::path_open(3, 0, name, wasi::OFLAGS_CREAT, RIGHTS, 0, wasi::FDFLAGS_APPEND).ok() }
}

fn open_descriptors() -> Vec<u32> {
    (0..256).filter(|fd| unsafe { wasi::fd_fdstat_get(*fd).is_ok() }).collect()
}

/// The byte writer `t` writes into its file `k`, and that file's name.
fn mark(t: u32, k: u32) -> (u8, String) {
    (b'a' + (2 * t + k) as u8, format!("file{t}{k}"))
}

/// Opens `name` twice and renumbers the first onto the second: the descriptor left.
fn open_renumbered(name: &str) -> Option<u32> {
    let first = open(name)?;
    let Some(second) = open(name) else {
        let _ = unsafe { wasi::fd_close(first) };
        return None;
    };
    match unsafe { wasi::fd_renumber(first, second) } {
        Ok(()) => Some(second),
        Err(_) => {
            let _ = unsafe { wasi::fd_close(second) };
            Some(first)
        }
    }
}

fn main() {
    let before = open_descriptors();
    let writers: Vec<_> = (0..4u32)
        .map(|t| {
            thread::spawn(move || {
                let mut written = [0u32; 2];
                for i in 0..2000u32 {
                    let k = i % 2;
                    let (byte, name) = mark(t, k);
                    let Some(fd) = open_renumbered(&name) else { continue };
                    let data = [byte];
                    if let Ok(1) = unsafe { wasi::fd_write(fd, &[wasi::Ciovec { buf: data.as_ptr(), buf_len: 1 }]) } {
                        written[k as usize] += 1;
                    }
                    let _ = unsafe { wasi::fd_close(fd) };
                }
                written
            })
        })
        .collect();
    let others: Vec<_> = (0..2u32)
        .map(|c| {
            thread::spawn(move || {
                let mut buf = [0u8; 8];
                for i in 0..2000u32 {
                    for theirs in 4..24 {
                        let _ = unsafe { wasi::fd_fdstat_get(theirs) };
                        let _ = unsafe { wasi::fd_fdstat_set_rights(theirs, RIGHTS, 0) };
                        let _ = unsafe { wasi::fd_read(theirs, &[wasi::Iovec { buf: buf.as_mut_ptr(), buf_len: 8 }]) };
                        let _ = unsafe { wasi::fd_filestat_get(theirs) };
                    }
                    if let Some(fd) = open_renumbered(&format!("other{c}{}", i % 3)) {
                        let _ = unsafe { wasi::fd_close(fd) };
                    }
                }
            })
        })
        .collect();
    let written: Vec<[u32; 2]> = writers.into_iter().map(|h| h.join().unwrap()).collect();
    others.into_iter().for_each(|h| h.join().unwrap());
    let after = open_descriptors();
    println!("before {before:?} after {after:?}");
    for (t, written) in (0..).zip(&written) {
        for k in 0..2 {
            let (byte, name) = mark(t, k);
            let bytes = std::fs::read(&name).unwrap_or_default();
            let foreign = bytes.iter().filter(|b| **b != byte).count();
            println!("{name} written {} found {} foreign {foreign}", written[k as usize], bytes.len());
        }
    }
}
