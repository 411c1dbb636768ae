//! `sock_*` errors that need no client: listening sockets' rights and type, `sock_accept` with
//! nothing pending, bad flags, bad descriptors, descriptors that are not sockets, and guest
//! addresses outside memory.
//!
//! Run with `./` preopened at 3 (holding `file.txt`), and listeners (fds 4, 5, ...) given as the
//! arguments. Prints `sock errors ok` on success; exits 1 naming the failed check otherwise.

use test_programs::errno::{BADF, FAULT, INVAL, NOTCAPABLE};
use test_programs::rights::{FD_READ, FD_WRITE};
use test_programs::sock::errno::{AGAIN, NOTSOCK};
use test_programs::sock::rights::{POLL_FD_READWRITE, SOCK_ACCEPT, SOCK_SHUTDOWN};
use test_programs::sock::{self, EVENT_CLOCK, OUT_OF_BOUNDS, SHUT_RD, SHUT_WR, SOCKET_STREAM, raw};
use test_programs::{PREOPEN, check, check_eq, close, fdflags, fdstat, open, read, write};

fn set_flags(fd: u32, flags: u32) -> u16 {
    // SAFETY: no pointers.
    unsafe { test_programs::raw::fd_fdstat_set_flags(fd, flags) }
}

fn main() {
    let listeners: Vec<u32> = std::env::args().skip(1).map(|a| a.parse().expect("a descriptor")).collect();
    check!(!listeners.is_empty());
    for (i, &fd) in listeners.iter().enumerate() {
        // Listeners come after the preopen, in order.
        check_eq!(fd, PREOPEN + 1 + i as u32);
        let (filetype, flags, base, inheriting) = fdstat(fd).unwrap_or_else(|e| panic!("fdstat {fd}: {e}"));
        check_eq!(filetype, SOCKET_STREAM);
        check_eq!(flags, 0);
        check_eq!(base & (SOCK_ACCEPT | POLL_FD_READWRITE), SOCK_ACCEPT | POLL_FD_READWRITE);
        // A listener cannot be read, written or shut down; what it accepts can.
        check_eq!(base & (FD_READ | FD_WRITE | SOCK_SHUTDOWN), 0);
        check_eq!(inheriting & (FD_READ | FD_WRITE | SOCK_SHUTDOWN), FD_READ | FD_WRITE | SOCK_SHUTDOWN);
    }
    let listener = listeners[0];

    // Nothing is pending: accepting on a listener made non-blocking says so, whatever the flags
    // asked for the new descriptor. (The flags are those of the accepted descriptor, as with
    // POSIX `accept4`: on a blocking listener, `sock_accept(NONBLOCK)` waits for a client.)
    check_eq!(set_flags(listener, fdflags::NONBLOCK), 0);
    check_eq!(fdstat(listener).map(|s| s.1), Ok(fdflags::NONBLOCK as u16));
    check_eq!(sock::accept(listener, 0), Err(AGAIN));
    check_eq!(sock::accept(listener, fdflags::NONBLOCK), Err(AGAIN));
    check_eq!(set_flags(listener, 0), 0);
    check_eq!(fdstat(listener).map(|s| s.1), Ok(0));
    // A poll over the listener with nothing pending: only the timeout fires.
    let events = sock::poll(&[sock::sub_read(1, listener), sock::sub_timeout(2, 20_000_000)]);
    check_eq!(events.as_ref().map(|e| e.len()), Ok(1));
    let event = events.unwrap()[0];
    check_eq!((event.userdata, event.kind, event.error), (2, EVENT_CLOCK, 0));

    // Flags other than NONBLOCK: inval, before anything else is looked at.
    for flags in
        [fdflags::APPEND, fdflags::DSYNC, fdflags::SYNC, fdflags::NONBLOCK | fdflags::APPEND, 8, 1 << 5, 1 << 16]
    {
        check_eq!(sock::accept(listener, flags), Err(INVAL));
    }
    // The result address outside memory: fault, and no connection is waited for.
    // SAFETY: the runtime checks the address; nothing is written.
    check_eq!(unsafe { raw::sock_accept(listener, 0, OUT_OF_BOUNDS as *mut u32) }, FAULT);

    // Bad descriptors.
    for fd in [99, u32::MAX] {
        check_eq!(sock::accept(fd, 0), Err(BADF));
        check_eq!(sock::recv1(fd, &mut [0; 4], 0), Err(BADF));
        check_eq!(sock::send(fd, &[b"x"]), Err(BADF));
        check_eq!(sock::shutdown(fd, SHUT_WR), BADF);
    }

    // The listener has neither FD_READ nor FD_WRITE nor SOCK_SHUTDOWN.
    check_eq!(read(listener, &mut [0; 4]), Err(NOTCAPABLE));
    check_eq!(write(listener, b"x"), Err(NOTCAPABLE));
    check_eq!(sock::recv1(listener, &mut [0; 4], 0), Err(NOTCAPABLE));
    check_eq!(sock::send(listener, &[b"x"]), Err(NOTCAPABLE));
    check_eq!(sock::shutdown(listener, SHUT_RD), NOTCAPABLE);

    // Descriptors that are not sockets: `notsock` (57) whatever their rights, as
    // `shutdown(STDOUT_FILENO, SHUT_RD)` is `ENOTSOCK` in C, never `notcapable`.
    let file = open(PREOPEN, 0, "file.txt", 0, FD_READ | FD_WRITE, 0, 0).unwrap_or_else(|e| panic!("open: {e}"));
    for fd in [0, 1, PREOPEN, file] {
        check_eq!(sock::accept(fd, 0), Err(NOTSOCK));
        check_eq!(sock::accept(fd, fdflags::NONBLOCK), Err(NOTSOCK));
        check_eq!(sock::shutdown(fd, SHUT_RD | SHUT_WR), NOTSOCK);
        check_eq!(sock::recv1(fd, &mut [0; 4], 0), Err(NOTSOCK));
        check_eq!(sock::send(fd, &[b"x"]), Err(NOTSOCK));
    }
    // Nothing was read or written by them.
    let mut buf = [0u8; 16];
    check_eq!(read(file, &mut buf).map(|n| buf[..n as usize].to_vec()), Ok(b"contents".to_vec()));
    check_eq!(close(file), 0);

    println!("sock errors ok");
}
