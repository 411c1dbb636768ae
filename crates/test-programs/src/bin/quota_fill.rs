//! The review's disk-filling attack on a quota mount: make as many directories, symlinks with
//! 4,000-byte targets, or one-byte files (argument 1: which) as the quota allows, at most
//! 20,000, and print how many and the errno that stopped it.

use std::fs;
use test_programs::PREOPEN;

fn count(what: &str, mut make: impl FnMut(usize) -> std::io::Result<()>) {
    let mut n = 0;
    let stopped = loop {
        if n == 20_000 {
            break "none".to_string();
        }
        match make(n) {
            Ok(()) => n += 1,
            Err(e) => break format!("{}", e.raw_os_error().unwrap_or(-1)),
        }
    };
    println!("{what}: {n} (stopped by errno {stopped})");
}

fn main() {
    let target = "t".repeat(4000);
    match std::env::args().nth(1).as_deref() {
        Some("directories") => count("directories", |n| fs::create_dir(format!("d{n}"))),
        Some("symlinks") => count("symlinks", |n| match test_programs::symlink(&target, PREOPEN, &format!("s{n}")) {
            0 => Ok(()),
            e => Err(std::io::Error::from_raw_os_error(i32::from(e))),
        }),
        Some("files") => count("files", |n| fs::write(format!("f{n}"), b"x")),
        other => panic!("what to make: directories, symlinks or files, not {other:?}"),
    }
}
