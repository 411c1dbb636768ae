//! `sock_*` on connections accepted from the listener (argument 1), against two clients the
//! host test drives. Each step the test waits for is announced on stdout:
//!
//! * `accepting`: blocks in `sock_accept`. Client A connects and sends `peekaboo`.
//! * (no line) A reads `send1`, then sends `hello `, pauses, and sends `world`.
//! * (no line) A reads `fdwrite` and sends `fdread`.
//! * (no line) A sees end of stream (the guest shut down writing) and sends `after-wr`.
//! * `second`: waits for the listener in `poll_oneoff`. Client B connects, sends `bye` and
//!   closes.
//! * `done`.
//!
//! Exits 1 naming the failed check otherwise.

use test_programs::errno::{BADF, FAULT, INVAL, NOTCAPABLE};
use test_programs::raw::Iovec;
use test_programs::rights::{FD_READ, FD_WRITE};
use test_programs::sock::errno::{AGAIN, PIPE};
use test_programs::sock::rights::{POLL_FD_READWRITE, SOCK_ACCEPT, SOCK_SHUTDOWN};
use test_programs::sock::{
    self, EVENT_CLOCK, EVENT_FD_READ, HANGUP, OUT_OF_BOUNDS, RECV_PEEK, RECV_WAITALL, SHUT_RD, SHUT_WR, SOCKET_STREAM,
    raw,
};
use test_programs::{check, check_eq, close, fdflags, fdstat, read, write};

fn set_flags(fd: u32, flags: u32) -> u16 {
    // SAFETY: no pointers.
    unsafe { test_programs::raw::fd_fdstat_set_flags(fd, flags) }
}

/// `sock_recv` with one iovec of `len` bytes at `buf`, and the results at `n` and `ro`.
fn recv_raw(fd: u32, buf: usize, len: u32, n: usize, ro: usize) -> u16 {
    let iov = Iovec { buf: buf as *const u8, len };
    // SAFETY: the runtime checks every address; these calls are expected to fail.
    unsafe { raw::sock_recv(fd, &iov, 1, 0, n as *mut u32, ro as *mut u16) }
}

fn main() {
    let listener: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).expect("the listener's descriptor");

    // Client A. The test connects only after this line: the accept blocks.
    println!("accepting");
    let a = sock::accept(listener, 0).unwrap_or_else(|e| panic!("sock_accept: {e}"));
    check!(a > listener);
    let (filetype, flags, base, inheriting) = fdstat(a).unwrap_or_else(|e| panic!("fdstat: {e}"));
    check_eq!(filetype, SOCKET_STREAM);
    check_eq!(flags, 0);
    let wanted = FD_READ | FD_WRITE | POLL_FD_READWRITE | SOCK_SHUTDOWN;
    check_eq!(base & wanted, wanted);
    check_eq!(base & SOCK_ACCEPT, 0);
    check_eq!(inheriting, 0);
    check_eq!(sock::accept(a, 0), Err(NOTCAPABLE));

    // Bad arguments are refused before anything is received: `peekaboo` is still there after.
    let mut buf = [0u8; 16];
    let (mut n, mut ro) = (0u32, 0u16);
    let (n_at, ro_at, buf_at) = (&raw mut n as usize, &raw mut ro as usize, buf.as_mut_ptr() as usize);
    check_eq!(recv_raw(a, OUT_OF_BOUNDS, 8, n_at, ro_at), FAULT);
    check_eq!(recv_raw(a, buf_at, 8, OUT_OF_BOUNDS, ro_at), FAULT);
    check_eq!(recv_raw(a, buf_at, 8, n_at, OUT_OF_BOUNDS), FAULT);
    // SAFETY: the iovec array is outside memory; the runtime checks it.
    let e = unsafe { raw::sock_recv(a, OUT_OF_BOUNDS as *const Iovec, 1, 0, &mut n, &mut ro) };
    check_eq!(e, FAULT);
    check_eq!(sock::recv1(a, &mut buf, 4), Err(INVAL));
    check_eq!(sock::recv1(a, &mut buf, RECV_PEEK | 4), Err(INVAL));

    // RECV_PEEK leaves the data queued: a second peek sees it again, then a plain receive.
    let first = sock::recv1(a, &mut buf[..8], RECV_PEEK).unwrap_or_else(|e| panic!("peek: {e}"));
    check!(!first.is_empty() && b"peekaboo".starts_with(&first));
    let again = sock::recv1(a, &mut buf[..8], RECV_PEEK).unwrap_or_else(|e| panic!("peek again: {e}"));
    check!(again.starts_with(&first) && b"peekaboo".starts_with(&again));
    // Into two buffers; RECV_WAITALL so that both are filled.
    let (mut head, mut tail) = ([0u8; 3], [0u8; 5]);
    check_eq!(sock::recv(a, &mut [&mut head, &mut tail], RECV_WAITALL), Ok((8, 0)));
    check_eq!((&head, &tail), (b"pee", b"kaboo"));

    // sock_send: bad addresses are refused, then two buffers are sent as one stream.
    let bad = Iovec { buf: OUT_OF_BOUNDS as *const u8, len: 4 };
    // SAFETY: the runtime checks the addresses.
    check_eq!(unsafe { raw::sock_send(a, &bad, 1, 0, &mut n) }, FAULT);
    let good = Iovec { buf: b"x".as_ptr(), len: 1 };
    // SAFETY: as above.
    check_eq!(unsafe { raw::sock_send(a, &good, 1, 0, OUT_OF_BOUNDS as *mut u32) }, FAULT);
    check_eq!(sock::send(a, &[b"sen", b"d1"]), Ok(5));

    // RECV_WAITALL: the client sends `hello `, pauses, then `world`; one call gets both.
    let mut eleven = [0u8; 11];
    check_eq!(sock::recv1(a, &mut eleven, RECV_WAITALL), Ok(b"hello world".to_vec()));

    // Non-blocking, with nothing to read: sock_recv and fd_read say `again`.
    check_eq!(set_flags(a, fdflags::NONBLOCK), 0);
    check_eq!(fdstat(a).map(|s| s.1), Ok(fdflags::NONBLOCK as u16));
    check_eq!(sock::recv1(a, &mut buf, 0), Err(AGAIN));
    check_eq!(sock::recv1(a, &mut buf, RECV_PEEK), Err(AGAIN));
    check_eq!(read(a, &mut buf), Err(AGAIN));
    // And poll_oneoff sees nothing to read: only the timeout fires.
    let events = sock::poll(&[sock::sub_read(1, a), sock::sub_timeout(2, 50_000_000)]);
    check_eq!(events.as_ref().map(|e| e.len()), Ok(1));
    let event = events.unwrap()[0];
    check_eq!((event.userdata, event.kind, event.error), (2, EVENT_CLOCK, 0));
    check_eq!(set_flags(a, 0), 0);
    check_eq!(fdstat(a).map(|s| s.1), Ok(0));

    // fd_write and fd_read work on a socket too.
    check_eq!(write(a, b"fdwrite"), Ok(7));
    let events = sock::poll(&[sock::sub_read(1, a)]).unwrap_or_else(|e| panic!("poll_oneoff: {e}"));
    check_eq!(events.len(), 1);
    let event = events[0];
    check_eq!((event.userdata, event.kind, event.error, event.flags), (1, EVENT_FD_READ, 0, 0));
    check!(event.nbytes >= 1 && event.nbytes <= 6);
    let mut got = Vec::new();
    for _ in 0..6 {
        let n = read(a, &mut buf[..6 - got.len()]).unwrap_or_else(|e| panic!("fd_read: {e}"));
        check!(n > 0);
        got.extend_from_slice(&buf[..n as usize]);
        if got.len() == 6 {
            break;
        }
    }
    check_eq!(&got[..], b"fdread");

    // sock_shutdown: no direction, or an unknown one, is inval.
    for how in [0, 4, 8, SHUT_RD | 4, SHUT_RD | SHUT_WR | 4, 1 << 8] {
        check_eq!(sock::shutdown(a, how), INVAL);
    }
    // Shutting down writing: the client sees the end of the stream; sending is `pipe`.
    check_eq!(sock::shutdown(a, SHUT_WR), 0);
    check_eq!(sock::send(a, &[b"late"]), Err(PIPE));
    check_eq!(write(a, b"late"), Err(PIPE));
    // Reading still works.
    check_eq!(sock::recv1(a, &mut buf[..8], RECV_WAITALL), Ok(b"after-wr".to_vec()));
    // Shutting down reading: receiving gets end of stream at once.
    check_eq!(sock::shutdown(a, SHUT_RD), 0);
    check_eq!(sock::recv1(a, &mut buf, 0), Ok(b"".to_vec()));
    check_eq!(close(a), 0);
    check_eq!(sock::recv1(a, &mut buf, 0), Err(BADF));

    // Client B: wait for it with poll_oneoff on the listener, then accept it non-blocking.
    println!("second");
    let events = sock::poll(&[sock::sub_read(7, listener)]).unwrap_or_else(|e| panic!("poll_oneoff: {e}"));
    check_eq!(events.len(), 1);
    check_eq!((events[0].userdata, events[0].kind, events[0].error), (7, EVENT_FD_READ, 0));
    // Narrow the listener's inheriting rights first: the connection gets no more than them.
    let (_, _, listener_base, _) = fdstat(listener).unwrap();
    let keep = (1u64 << 1) | (1 << 3) | (1 << 21) | (1 << 27) | (1 << 28); // read, set_flags, filestat_get, poll, shutdown
    // SAFETY: no pointers.
    check_eq!(unsafe { test_programs::raw::fd_fdstat_set_rights(listener, listener_base, keep) }, 0);
    let b = sock::accept(listener, fdflags::NONBLOCK).unwrap_or_else(|e| panic!("sock_accept(NONBLOCK): {e}"));
    check_eq!(fdstat(b).map(|s| s.2), Ok(keep));
    check_eq!(fdstat(b).map(|s| s.1), Ok(fdflags::NONBLOCK as u16));
    check_eq!(set_flags(b, 0), 0);
    check_eq!(sock::recv1(b, &mut buf[..3], RECV_WAITALL), Ok(b"bye".to_vec()));
    // The client has closed: end of stream, and poll_oneoff says it is ready with nothing to
    // read and the peer hung up (the spec: "the peer of this socket has closed").
    check_eq!(sock::recv1(b, &mut buf, 0), Ok(b"".to_vec()));
    let events = sock::poll(&[sock::sub_read(3, b)]).unwrap_or_else(|e| panic!("poll_oneoff: {e}"));
    check_eq!(events.len(), 1);
    let event = events[0];
    check_eq!((event.userdata, event.kind, event.error, event.nbytes), (3, EVENT_FD_READ, 0, 0));
    check_eq!(event.flags & HANGUP, HANGUP);
    // Once this side has shut down writing too, the connection is hung up.
    check_eq!(sock::shutdown(b, SHUT_WR), 0);
    let events = sock::poll(&[sock::sub_read(3, b)]).unwrap_or_else(|e| panic!("poll_oneoff: {e}"));
    check_eq!(events.len(), 1);
    let event = events[0];
    check_eq!((event.userdata, event.kind, event.error, event.nbytes), (3, EVENT_FD_READ, 0, 0));
    check_eq!(event.flags & HANGUP, HANGUP);
    check_eq!(close(b), 0);
    println!("done");
}
