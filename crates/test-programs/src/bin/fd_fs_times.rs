//! `fd_filestat_set_times`. The subcommand (first argument) picks the case; some print the
//! times they saw for the host to compare with its own view.
//! Fixture: `t.txt` = "times" and the directory `d/` in the preopen (fd 3).

use test_programs::fd_fs::{fstflags, now, rights as more, set_times, subcommand};
use test_programs::{FOLLOW, PREOPEN, check, check_eq, close, errno, fd_filestat, oflags, open, rights};

const A: u32 = fstflags::ATIM;
const A_NOW: u32 = fstflags::ATIM_NOW;
const M: u32 = fstflags::MTIM;
const M_NOW: u32 = fstflags::MTIM_NOW;

/// Some explicit times, in nanoseconds since the epoch (2009 and 2005).
const ATIM: u64 = 1_234_567_890_123_456_789;
const MTIM: u64 = 1_111_111_111_987_654_321;
const ATIM2: u64 = 1_300_000_000_000_000_001;
const MTIM2: u64 = 1_400_000_000_999_999_999;
/// Far enough from now that "close to now" cannot hold by accident.
const OLD: u64 = 1_000_000_000_000_000_000;
/// How close to the clock a `*_NOW` time must be.
const SLACK: u64 = 5_000_000_000;

fn open_times(path: &str) -> u32 {
    let base = rights::FD_READ | rights::FD_FILESTAT_GET | more::FD_FILESTAT_SET_TIMES;
    open(PREOPEN, FOLLOW, path, 0, base, 0, 0).unwrap()
}

fn times(fd: u32) -> (u64, u64) {
    let st = fd_filestat(fd).unwrap();
    (st.atim, st.mtim)
}

fn near(t: u64, before: u64, after: u64) -> bool {
    t + SLACK >= before && t <= after + SLACK
}

fn main() {
    let cmd = subcommand();
    match cmd.as_str() {
        "now" => set_now(),
        "time_and_now" => time_and_now(),
        "explicit" => explicit(),
        "huge" => huge(),
        "errors" => errors(),
        other => panic!("unknown subcommand {other:?}"),
    }
    println!("{cmd} ok");
}

/// `*_NOW` sets a time close to the realtime clock; each flag touches only its own time.
fn set_now() {
    let fd = open_times("t.txt");
    check_eq!(set_times(fd, OLD, OLD, A | M), errno::SUCCESS);
    check_eq!(times(fd), (OLD, OLD));

    let before = now();
    check_eq!(set_times(fd, 0, 0, A_NOW), errno::SUCCESS);
    let after = now();
    let (atim, mtim) = times(fd);
    check!(near(atim, before, after));
    check_eq!(mtim, OLD);

    check_eq!(set_times(fd, OLD, 0, A), errno::SUCCESS);
    let before = now();
    check_eq!(set_times(fd, 0, 0, M_NOW), errno::SUCCESS);
    let after = now();
    let (atim, mtim) = times(fd);
    check_eq!(atim, OLD);
    check!(near(mtim, before, after));

    // An explicit time for one and NOW for the other.
    check_eq!(set_times(fd, ATIM, 0, A | M_NOW), errno::SUCCESS);
    let (atim, mtim) = times(fd);
    check_eq!(atim, ATIM);
    check!(near(mtim, before, now()));

    // Both NOW: both close to now (the time values passed are ignored).
    let before = now();
    check_eq!(set_times(fd, 7, 7, A_NOW | M_NOW), errno::SUCCESS);
    let after = now();
    let (atim, mtim) = times(fd);
    check!(near(atim, before, after));
    check!(near(mtim, before, after));
    println!("now atim={atim} mtim={mtim} clock={after}");
}

/// A time and NOW for the same timestamp, or unknown flag bits: inval, and nothing changes.
fn time_and_now() {
    let fd = open_times("t.txt");
    check_eq!(set_times(fd, ATIM, MTIM, A | M), errno::SUCCESS);
    for flags in
        [A | A_NOW, M | M_NOW, A | A_NOW | M, A | M | M_NOW, A | A_NOW | M | M_NOW, 16, A | 16, 0x8000, 0x10000]
    {
        check_eq!(set_times(fd, ATIM2, MTIM2, flags), errno::INVAL);
        check_eq!(times(fd), (ATIM, MTIM));
    }
    // No flags: nothing to do.
    check_eq!(set_times(fd, ATIM2, MTIM2, 0), errno::SUCCESS);
    check_eq!(times(fd), (ATIM, MTIM));
}

/// Explicit times round-trip to the nanosecond; each flag sets only its own time. Also on a
/// directory, with the epoch itself.
fn explicit() {
    let fd = open_times("t.txt");
    check_eq!(set_times(fd, ATIM, MTIM, A | M), errno::SUCCESS);
    check_eq!(times(fd), (ATIM, MTIM));
    check_eq!(set_times(fd, ATIM2, 0, A), errno::SUCCESS);
    check_eq!(times(fd), (ATIM2, MTIM));
    check_eq!(set_times(fd, 0, MTIM2, M), errno::SUCCESS);
    check_eq!(times(fd), (ATIM2, MTIM2));

    let base = rights::FD_READDIR | rights::FD_FILESTAT_GET | more::FD_FILESTAT_SET_TIMES;
    let dir = open(PREOPEN, FOLLOW, "d", oflags::DIRECTORY, base, 0, 0).unwrap();
    check_eq!(set_times(dir, 0, 5, A | M), errno::SUCCESS);
    check_eq!(times(dir), (0, 5));
    // The preopen holds the right too.
    check_eq!(set_times(PREOPEN, ATIM, MTIM, A | M), errno::SUCCESS);
    check_eq!(times(PREOPEN), (ATIM, MTIM));
}

/// u64::MAX nanoseconds (year 2554) is more than some filesystems store: prints what the call
/// returned and what reads back, for the host to check.
fn huge() {
    let fd = open_times("t.txt");
    check_eq!(set_times(fd, ATIM, MTIM, A | M), errno::SUCCESS);
    let e = set_times(fd, u64::MAX, u64::MAX, A | M);
    let (atim, mtim) = times(fd);
    println!("huge errno={e} atim={atim} mtim={mtim}");
    let e = set_times(fd, 0, u64::MAX - 1, M);
    let (atim2, mtim2) = times(fd);
    println!("huge mtim only errno={e} atim={atim2} mtim={mtim2}");
}

fn errors() {
    check_eq!(set_times(99, 0, 0, A | M), errno::BADF);
    // Without FD_FILESTAT_SET_TIMES.
    let ro = open(PREOPEN, FOLLOW, "t.txt", 0, rights::FD_READ | rights::FD_FILESTAT_GET, 0, 0).unwrap();
    check_eq!(set_times(ro, ATIM, MTIM, A | M), errno::NOTCAPABLE);
    check_eq!(set_times(ro, 0, 0, A_NOW | M_NOW), errno::NOTCAPABLE);
    let dir = open(PREOPEN, FOLLOW, "d", oflags::DIRECTORY, rights::FD_READDIR, 0, 0).unwrap();
    check_eq!(set_times(dir, ATIM, MTIM, A | M), errno::NOTCAPABLE);
    let fd = open_times("t.txt");
    close(fd);
    check_eq!(set_times(fd, 0, 0, A | M), errno::BADF);
}
