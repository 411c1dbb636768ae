//! Prints everything a run could differ in: wall time, monotonic deltas, random bytes, how
//! long a sleep took, and a directory listing (of `listing/` in the preopen). With the
//! argument `files`, instead: makes, changes, renames and lists files in the preopen and
//! prints their identities and times.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use test_programs::fd_fs::{dirents, readdir};
use test_programs::{PREOPEN, open, path_filestat, rights};

/// Files made in the preopen, with everything `stat` and `readdir` tell of them.
fn files() {
    std::fs::create_dir("scratch").unwrap();
    for name in ["m", "c", "x", "a"] {
        std::fs::write(format!("scratch/{name}"), name.repeat(100)).unwrap();
    }
    std::fs::rename("scratch/x", "scratch/y").unwrap();
    std::fs::hard_link("scratch/a", "scratch/a2").unwrap();
    assert_eq!(test_programs::symlink("a", PREOPEN, "scratch/l"), 0);
    std::fs::OpenOptions::new().append(true).open("scratch/m").unwrap();
    let dir = open(PREOPEN, 0, "scratch", 2, rights::FD_READDIR | rights::PATH_FILESTAT_GET, 0, 0).unwrap();
    let mut buf = vec![0u8; 4096];
    let used = readdir(dir, &mut buf, 0).unwrap();
    // Deliberately not sorted: the order is what the runtime gives.
    println!("scratch ino={}", path_filestat(PREOPEN, 0, "scratch").unwrap().ino);
    for entry in dirents(&buf[..used]) {
        let name = String::from_utf8(entry.name).unwrap();
        if name == "." || name == ".." {
            continue;
        }
        let m = path_filestat(dir, 0, &name).unwrap();
        println!(
            "{name} ino={} d_ino={} dev={} nlink={} size={} a={} m={} c={}",
            m.ino, entry.ino, m.dev, m.nlink, m.size, m.atim, m.mtim, m.ctim
        );
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("files") {
        return files();
    }
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    println!("wall: {}.{:09}", wall.as_secs(), wall.subsec_nanos());
    let start = Instant::now();
    let mut deltas = Vec::new();
    let mut last = start;
    for _ in 0..5 {
        let now = Instant::now();
        deltas.push((now - last).as_nanos());
        last = now;
    }
    println!("monotonic deltas: {deltas:?}");
    let mut bytes = [0u8; 32];
    // SAFETY: a live buffer.
    assert_eq!(unsafe { test_programs::raw::random_get(bytes.as_mut_ptr(), 32) }, 0);
    println!("random: {}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let seconds: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    let before = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds) + Duration::from_micros(1500));
    println!("sleep took: {:?}", before.elapsed());
    let mut names: Vec<String> =
        std::fs::read_dir("listing").unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    // Deliberately not sorted here: the order is what the runtime gives.
    names.truncate(20);
    println!("listing: {names:?}");
    let cpu = {
        let mut t = 0u64;
        // SAFETY: pointer to a live local.
        unsafe { test_programs::raw::clock_time_get(2, 0, &mut t) };
        t
    };
    println!("cpu: {cpu}");
}
