//! Writes into a mount whose quota is four allocation units (argument 1: the unit, in bytes).
//! File data costs whole units, every new name 256 bytes plus its length, a directory a unit
//! more, a symlink its target in units; past the quota calls fail with `dquot` (19) and change
//! nothing; overwriting in place costs nothing; and a second mount with another quota
//! (argument 2: its descriptor) is another device for renames and links (`xdev`, 75).

use test_programs::path_fs::{link, mkdir, rename};
use test_programs::{FOLLOW, PREOPEN, check_eq, oflags, open, raw, rights, seek, symlink, write};

const DQUOT: u16 = 19;
const EXIST: u16 = 20;
const XDEV: u16 = 75;

fn main() {
    let mut args = std::env::args().skip(1);
    let unit: usize = args.next().and_then(|a| a.parse().ok()).expect("the allocation unit");
    let other: u32 = args.next().and_then(|a| a.parse().ok()).expect("the other mount's descriptor");
    let entry = |name: &str| 256 + name.len();
    let quota = 4 * unit;
    let mut used = 0;

    let all = rights::FD_WRITE | rights::FD_SEEK | (1 << 22) | (1 << 8); // + set_size, allocate
    let a = open(PREOPEN, FOLLOW, "a.txt", oflags::CREAT | oflags::TRUNC, all, 0, 0).unwrap();
    used += entry("a.txt");
    // 800 bytes take a whole unit; filling the unit costs nothing more.
    check_eq!(write(a, &vec![b'a'; 800]), Ok(800));
    used += unit;
    check_eq!(write(a, &vec![b'a'; unit - 800]), Ok((unit - 800) as u32));
    // A second unit.
    check_eq!(write(a, b"a"), Ok(1));
    used += unit;
    // SAFETY: no pointers.
    unsafe {
        check_eq!(raw::fd_filestat_set_size(a, (10 * unit) as u64), DQUOT);
        check_eq!(raw::fd_allocate(a, 0, (10 * unit) as u64), DQUOT);
    }
    // Overwriting what exists adds nothing.
    check_eq!(seek(a, 0, 0), Ok(0));
    check_eq!(write(a, &[b'A'; 500]), Ok(500));
    // The quota covers the whole mount, across files.
    let b = open(PREOPEN, FOLLOW, "b.txt", oflags::CREAT | oflags::TRUNC, all, 0, 0).unwrap();
    used += entry("b.txt");
    check_eq!(write(b, &[b'b'; 200]), Ok(200));
    used += unit;
    let left = quota - used;
    assert!(left < unit, "the unit is the one expected");
    // A new unit does not fit, nor does a directory or a symlink (each needs one).
    check_eq!(seek(b, unit as i64, 0), Ok(unit as u64));
    check_eq!(write(b, b"!"), Err(DQUOT));
    check_eq!(mkdir(PREOPEN, "d"), DQUOT);
    check_eq!(symlink("a.txt", PREOPEN, "s"), DQUOT);
    // A hard link is a new name only: it fits, until the names use up what is left.
    check_eq!(link(PREOPEN, 0, "a.txt", PREOPEN, "a2"), 0);
    let mut left = left - entry("a2");
    let mut n = 0;
    while left >= entry("l00") {
        check_eq!(link(PREOPEN, 0, "a.txt", PREOPEN, &format!("l{n:02}")), 0);
        left -= entry("l00");
        n += 1;
    }
    check_eq!(link(PREOPEN, 0, "a.txt", PREOPEN, &format!("l{n:02}")), DQUOT);
    check_eq!(open(PREOPEN, FOLLOW, "c.txt", oflags::CREAT, all, 0, 0).map(drop), Err(DQUOT));
    // Opening an existing file with CREAT costs nothing; with EXCL it is `exist`, as without a
    // quota, even with no room left.
    check_eq!(open(PREOPEN, FOLLOW, "a.txt", oflags::CREAT, all, 0, 0).map(drop), Ok(()));
    check_eq!(open(PREOPEN, FOLLOW, "a.txt", oflags::CREAT | oflags::EXCL, all, 0, 0).map(drop), Err(EXIST));
    // Data cannot be moved or linked in from, or out to, another quota.
    check_eq!(rename(other, "elsewhere.txt", PREOPEN, "moved.txt"), XDEV);
    check_eq!(link(other, 0, "elsewhere.txt", PREOPEN, "linked.txt"), XDEV);
    check_eq!(rename(PREOPEN, "a.txt", other, "out.txt"), XDEV);
    println!("quota ok");
}
