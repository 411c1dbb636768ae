//! Writes into a mount with `quota=1K`: growth past 1024 bytes added fails with `dquot` (19),
//! overwriting in place costs nothing, and what was written stays.

use test_programs::{FOLLOW, PREOPEN, check_eq, oflags, open, raw, rights, seek, write};

const DQUOT: u16 = 19;

fn main() {
    let all = rights::FD_WRITE | rights::FD_SEEK | (1 << 22) | (1 << 8); // + set_size, allocate
    let a = open(PREOPEN, FOLLOW, "a.txt", oflags::CREAT | oflags::TRUNC, all, 0, 0).unwrap();
    check_eq!(write(a, &[b'a'; 800]), Ok(800));
    check_eq!(write(a, &[b'a'; 300]), Err(DQUOT));
    // SAFETY: no pointers.
    unsafe {
        check_eq!(raw::fd_filestat_set_size(a, 2000), DQUOT);
        check_eq!(raw::fd_allocate(a, 0, 5000), DQUOT);
    }
    // Overwriting what exists adds nothing.
    check_eq!(seek(a, 0, 0), Ok(0));
    check_eq!(write(a, &[b'A'; 500]), Ok(500));
    // The quota covers the whole mount, across files.
    let b = open(PREOPEN, FOLLOW, "b.txt", oflags::CREAT | oflags::TRUNC, all, 0, 0).unwrap();
    check_eq!(write(b, &[b'b'; 200]), Ok(200));
    check_eq!(write(b, &[b'b'; 100]), Err(DQUOT));
    let iov = raw::Iovec { buf: b"BB".as_ptr(), len: 2 };
    let mut n = 0u32;
    // SAFETY: an iovec over a live buffer.
    check_eq!(unsafe { raw::fd_pwrite(b, &iov, 1, 0, &mut n) }, 0);
    check_eq!(n, 2);
    // Exactly up to the limit still works: 800 + 200 + 24 = 1024.
    check_eq!(write(b, &[b'b'; 24]), Ok(24));
    check_eq!(write(b, b"!"), Err(DQUOT));
    println!("quota ok");
}
