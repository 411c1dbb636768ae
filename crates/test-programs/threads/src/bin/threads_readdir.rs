//! Four threads list one directory descriptor at once, 20 times each, with small buffers and
//! cookies (`fd_readdir`): every listing must be whole, each name once. Prints how many
//! listings were complete.

use std::collections::BTreeSet;
use std::thread;

const FILES: usize = 300;

/// Every name in the directory `fd`, read 256 bytes at a time.
fn list(fd: u32) -> Vec<String> {
    let mut names = Vec::new();
    let mut cookie = 0u64;
    let mut buf = [0u8; 256];
    loop {
        let used = unsafe { wasi::fd_readdir(fd, buf.as_mut_ptr(), buf.len(), cookie).unwrap() };
        let mut at = 0;
        let mut progressed = false;
        // Whole entries only: a header (24 bytes) and its name.
        while at + 24 <= used {
            let next = u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
            let len = u32::from_le_bytes(buf[at + 16..at + 20].try_into().unwrap()) as usize;
            if at + 24 + len > used {
                break;
            }
            names.push(String::from_utf8_lossy(&buf[at + 24..at + 24 + len]).into_owned());
            cookie = next;
            at += 24 + len;
            progressed = true;
        }
        if used < buf.len() {
            return names;
        }
        assert!(progressed, "an entry larger than the buffer");
    }
}

fn main() {
    std::fs::create_dir("d").unwrap();
    for i in 0..FILES {
        std::fs::write(format!("d/file-with-a-longish-name-{i:04}"), "").unwrap();
    }
    let fd = unsafe { wasi::path_open(3, 0, "d", wasi::OFLAGS_DIRECTORY, wasi::RIGHTS_FD_READDIR, 0, 0).unwrap() };
    let expected: BTreeSet<String> = (0..FILES)
        .map(|i| format!("file-with-a-longish-name-{i:04}"))
        .chain([".".to_string(), "..".to_string()])
        .collect();
    let listers: Vec<_> = (0..4)
        .map(|_| {
            let expected = expected.clone();
            thread::spawn(move || {
                (0..20)
                    .filter(|_| {
                        let names = list(fd);
                        names.len() == expected.len() && names.into_iter().collect::<BTreeSet<_>>() == expected
                    })
                    .count()
            })
        })
        .collect();
    let complete: usize = listers.into_iter().map(|h| h.join().unwrap()).sum();
    println!("complete listings: {complete} of 80");
}
