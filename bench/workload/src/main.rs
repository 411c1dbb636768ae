//! The benchmark workloads, one subcommand each, run the same way natively and as a wasm32-wasip1
//! guest. Each times its own phases with `Instant` and prints `phase NAME NANOSECONDS` on
//! standard error (standard output may be `/dev/null`), so every runner is measured alike and
//! compilation and instantiation are not counted.
//!
//! Files are made beneath the current directory (natively, the runner's scratch directory; as a
//! guest, the preopen `.` mapped to it).
//!
//! ```text
//! bench-workload hello
//! bench-workload write [COUNT]          COUNT x 16-byte writes to fd 1 (default 1,000,000)
//! bench-workload clock [COUNT]          COUNT monotonic clock reads (default 1,000,000)
//! bench-workload copy [MIB]             a MIB-MiB file copied with a 64 KiB buffer (default 256)
//! bench-workload files [COUNT]          create, list, stat and remove COUNT files (default 10,000)
//! bench-workload churn [COUNT]          COUNT x create/write/close/unlink (default 20,000)
//! ```

use std::fs::{self, File};
use std::hint::black_box;
use std::io::{Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::time::Instant;

fn phase(name: &str, start: Instant) {
    eprintln!("phase {name} {}", start.elapsed().as_nanos());
}

fn count(arg: Option<&String>, default: u64) -> u64 {
    arg.map_or(default, |a| a.parse().expect("a count"))
}

/// COUNT 16-byte writes to fd 1, each one `write(2)` / `fd_write` (no buffering).
fn write(n: u64) {
    // SAFETY: fd 1 is open for the life of the process; ManuallyDrop never closes it.
    #[allow(unsafe_code)]
    let mut out = ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
    let buf = *b"0123456789abcde\n";
    let start = Instant::now();
    for _ in 0..n {
        let written = out.write(black_box(&buf)).expect("write to stdout");
        assert_eq!(written, buf.len());
    }
    phase("write", start);
}

/// COUNT monotonic clock reads (`clock_gettime` / `clock_time_get`).
fn clock(n: u64) {
    let start = Instant::now();
    let mut last = start;
    for _ in 0..n {
        let now = black_box(Instant::now());
        assert!(now >= last);
        last = now;
    }
    phase("clock", start);
}

/// A MIB-MiB file written once (untimed), then copied with a 64 KiB buffer.
fn copy(mib: u64) {
    let mut buf = vec![0u8; 64 * 1024];
    {
        let mut src = File::create("copy-src").expect("create copy-src");
        for (i, b) in buf.iter_mut().enumerate() {
            *b = i as u8;
        }
        for _ in 0..mib * 16 {
            src.write_all(&buf).expect("write copy-src");
        }
    }
    let start = Instant::now();
    let mut src = File::open("copy-src").expect("open copy-src");
    let mut dst = File::create("copy-dst").expect("create copy-dst");
    let mut total = 0u64;
    loop {
        let n = src.read(&mut buf).expect("read copy-src");
        if n == 0 {
            break;
        }
        dst.write_all(&buf[..n]).expect("write copy-dst");
        total += n as u64;
    }
    drop(dst);
    phase("copy", start);
    assert_eq!(total, mib << 20);
    fs::remove_file("copy-src").expect("remove copy-src");
    fs::remove_file("copy-dst").expect("remove copy-dst");
}

/// COUNT empty files created in a fresh directory, listed in full, each stat'ed by path, then
/// removed (untimed).
fn files(n: u64) {
    let dir = format!("files-{n}");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).expect("create the directory");
    let names: Vec<String> = (0..n).map(|i| format!("{dir}/file-{i:06}")).collect();

    let start = Instant::now();
    for name in &names {
        File::create(name).expect("create a file");
    }
    phase("create", start);

    let start = Instant::now();
    let mut listed = 0u64;
    for entry in fs::read_dir(&dir).expect("open the directory") {
        black_box(entry.expect("an entry").file_name());
        listed += 1;
    }
    phase("readdir", start);
    assert_eq!(listed, n);

    let start = Instant::now();
    let mut bytes = 0u64;
    for name in &names {
        bytes += fs::metadata(name).expect("stat a file").len();
    }
    phase("stat", start);
    assert_eq!(bytes, 0);

    fs::remove_dir_all(&dir).expect("remove the directory");
}

/// COUNT times: create a file, write 100 bytes, close it, unlink it.
fn churn(n: u64) {
    let dir = "churn";
    let _ = fs::remove_dir_all(dir);
    fs::create_dir(dir).expect("create the directory");
    let data = [b'x'; 100];
    let start = Instant::now();
    for i in 0..n {
        let name = format!("{dir}/f{i}");
        let mut f = File::create(&name).expect("create a file");
        f.write_all(&data).expect("write a file");
        drop(f);
        fs::remove_file(&name).expect("unlink a file");
    }
    phase("churn", start);
    fs::remove_dir(dir).expect("remove the directory");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = args.get(2);
    match args.get(1).map(String::as_str) {
        Some("hello") => println!("Hello, world!"),
        Some("write") => write(count(arg, 1_000_000)),
        Some("clock") => clock(count(arg, 1_000_000)),
        Some("copy") => copy(count(arg, 256)),
        Some("files") => files(count(arg, 10_000)),
        Some("churn") => churn(count(arg, 20_000)),
        _ => {
            eprintln!("usage: bench-workload hello|write|clock|copy|files|churn [N]");
            std::process::exit(2);
        }
    }
}
