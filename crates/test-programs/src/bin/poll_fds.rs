//! `poll_oneoff` on descriptors that are ready at once (stdout, regular files) and on ones
//! that cannot be waited on (per-subscription errors), and the errors of the whole call.
//! Fixture: `data.txt` = "0123456789" and a directory `sub` in the preopen (fd 3); stdout and
//! stderr are pipes.

use test_programs::poll::{
    Event, MS, POLL_FD_READWRITE, RawEvent, Subscription, eventtype, find, monotonic, poll, poll_raw,
};
use test_programs::{PREOPEN, check, check_eq, close, errno, oflags, open, raw, read, rights, seek};

/// Upper bound for a call that must not wait.
const AT_ONCE: u64 = 500 * MS;

fn main() {
    stdout_writable();
    regular_file();
    bad_descriptor();
    without_poll_right();
    directories();
    call_errors();
    println!("poll fds ok");
}

fn ready(userdata: u64, kind: u8, nbytes: u64) -> Event {
    Event { userdata, error: 0, kind, nbytes, flags: 0 }
}

fn failed(userdata: u64, kind: u8, error: u16) -> Event {
    Event { userdata, error, kind, nbytes: 0, flags: 0 }
}

/// Polls `subs`, checking the call did not wait.
fn poll_at_once(subs: &[Subscription]) -> Vec<Event> {
    let t0 = monotonic();
    let events = poll(subs).unwrap_or_else(|e| {
        eprintln!("poll_oneoff failed with {e}");
        std::process::exit(1)
    });
    let elapsed = monotonic() - t0;
    if elapsed >= AT_ONCE {
        eprintln!("poll_oneoff waited {elapsed} ns for {events:?}");
        std::process::exit(1);
    }
    events
}

/// Stdout and stderr (pipes with room) are writable at once, before a long timeout.
fn stdout_writable() {
    let events = poll_at_once(&[Subscription::write(11, 1)]);
    check_eq!(events.len(), 1);
    check_eq!((events[0].userdata, events[0].error, events[0].kind), (11, 0, eventtype::FD_WRITE));
    check_eq!(events[0].flags, 0);

    let events =
        poll_at_once(&[Subscription::timeout(1, 5000 * MS), Subscription::write(12, 1), Subscription::write(13, 2)]);
    check_eq!(events.len(), 2);
    check_eq!(find(&events, 12).map(|e| (e.error, e.kind)), Some((0, eventtype::FD_WRITE)));
    check_eq!(find(&events, 13).map(|e| (e.error, e.kind)), Some((0, eventtype::FD_WRITE)));

    // A timer that has already expired is reported with the ready descriptor, not hidden by
    // it: a guest polling an always-ready descriptor still sees its timer fire.
    let events = poll_at_once(&[Subscription::write(14, 1), Subscription::timeout(15, 0)]);
    check_eq!(events.len(), 2);
    check_eq!(find(&events, 14).map(|e| (e.error, e.kind)), Some((0, eventtype::FD_WRITE)));
    check_eq!(find(&events, 15).map(|e| (e.error, e.kind)), Some((0, eventtype::CLOCK)));
}

/// A regular file is always ready; `nbytes` for reading is what is left after the position.
fn regular_file() {
    let fd = open(PREOPEN, 0, "data.txt", 0, rights::FD_READ | rights::FD_SEEK | POLL_FD_READWRITE, 0, 0).unwrap();
    check_eq!(poll_at_once(&[Subscription::read(1, fd)]), vec![ready(1, eventtype::FD_READ, 10)]);
    check_eq!(seek(fd, 3, 0), Ok(3));
    check_eq!(poll_at_once(&[Subscription::read(2, fd)]), vec![ready(2, eventtype::FD_READ, 7)]);
    let mut buf = [0u8; 2];
    check_eq!(read(fd, &mut buf), Ok(2));
    check_eq!(poll_at_once(&[Subscription::read(3, fd)]), vec![ready(3, eventtype::FD_READ, 5)]);
    check_eq!(seek(fd, 0, 2), Ok(10));
    check_eq!(poll_at_once(&[Subscription::read(4, fd)]), vec![ready(4, eventtype::FD_READ, 0)]);
    check_eq!(seek(fd, 20, 0), Ok(20));
    check_eq!(poll_at_once(&[Subscription::read(5, fd)]), vec![ready(5, eventtype::FD_READ, 0)]);
    check_eq!(seek(fd, 6, 0), Ok(6));
    // Before a long timeout, the file is ready and the clock is not reported.
    check_eq!(
        poll_at_once(&[Subscription::timeout(6, 5000 * MS), Subscription::read(7, fd)]),
        vec![ready(7, eventtype::FD_READ, 4)]
    );
    // The same descriptor twice: two events.
    let events = poll_at_once(&[Subscription::read(8, fd), Subscription::read(9, fd)]);
    check_eq!(events.len(), 2);
    check_eq!(find(&events, 8), Some(ready(8, eventtype::FD_READ, 4)));
    check_eq!(find(&events, 9), Some(ready(9, eventtype::FD_READ, 4)));
    // Polling moved nothing.
    check_eq!(read(fd, &mut buf), Ok(2));
    check_eq!(&buf, b"67");
    close(fd);

    let wfd = open(PREOPEN, 0, "data.txt", 0, rights::FD_WRITE | POLL_FD_READWRITE, 0, 0).unwrap();
    let events = poll_at_once(&[Subscription::write(8, wfd)]);
    check_eq!(events.len(), 1);
    check_eq!((events[0].userdata, events[0].error, events[0].kind), (8, 0, eventtype::FD_WRITE));
    close(wfd);
}

/// A descriptor that does not exist gives its subscription a `badf` event; the call returns
/// at once, with the other ready events.
fn bad_descriptor() {
    check_eq!(poll_at_once(&[Subscription::read(1, 99)]), vec![failed(1, eventtype::FD_READ, errno::BADF)]);
    check_eq!(poll_at_once(&[Subscription::write(2, u32::MAX)]), vec![failed(2, eventtype::FD_WRITE, errno::BADF)]);

    let events = poll_at_once(&[Subscription::read(3, 99), Subscription::write(4, 1)]);
    check_eq!(events.len(), 2);
    check_eq!(find(&events, 3), Some(failed(3, eventtype::FD_READ, errno::BADF)));
    check_eq!(find(&events, 4).map(|e| (e.error, e.kind)), Some((0, eventtype::FD_WRITE)));

    // A long timeout does not delay the error, and has not fired.
    let events = poll_at_once(&[Subscription::timeout(5, 5000 * MS), Subscription::read(6, 99)]);
    check_eq!(events, vec![failed(6, eventtype::FD_READ, errno::BADF)]);

    // A closed descriptor.
    let fd = open(PREOPEN, 0, "data.txt", 0, rights::FD_READ | POLL_FD_READWRITE, 0, 0).unwrap();
    check_eq!(close(fd), 0);
    check_eq!(poll_at_once(&[Subscription::read(7, fd)]), vec![failed(7, eventtype::FD_READ, errno::BADF)]);

    // Several bad ones, and a good file among them.
    let fd = open(PREOPEN, 0, "data.txt", 0, rights::FD_READ | POLL_FD_READWRITE, 0, 0).unwrap();
    let events = poll_at_once(&[
        Subscription::read(8, 98),
        Subscription::read(9, fd),
        Subscription::write(10, 97),
        Subscription::timeout(11, 5000 * MS),
    ]);
    check_eq!(events.len(), 3);
    check_eq!(find(&events, 8), Some(failed(8, eventtype::FD_READ, errno::BADF)));
    check_eq!(find(&events, 9), Some(ready(9, eventtype::FD_READ, 10)));
    check_eq!(find(&events, 10), Some(failed(10, eventtype::FD_WRITE, errno::BADF)));
    close(fd);
}

/// A descriptor without `poll_fd_readwrite` gives `notcapable`.
fn without_poll_right() {
    let fd = open(PREOPEN, 0, "data.txt", 0, rights::FD_READ | rights::FD_WRITE, 0, 0).unwrap();
    check_eq!(poll_at_once(&[Subscription::read(1, fd)]), vec![failed(1, eventtype::FD_READ, errno::NOTCAPABLE)]);
    check_eq!(poll_at_once(&[Subscription::write(2, fd)]), vec![failed(2, eventtype::FD_WRITE, errno::NOTCAPABLE)]);
    close(fd);

    // Dropped from a descriptor that had it.
    let fd = open(PREOPEN, 0, "data.txt", 0, rights::FD_READ | POLL_FD_READWRITE, 0, 0).unwrap();
    check_eq!(poll_at_once(&[Subscription::read(3, fd)]), vec![ready(3, eventtype::FD_READ, 10)]);
    // SAFETY: no pointers.
    check_eq!(unsafe { raw::fd_fdstat_set_rights(fd, rights::FD_READ, 0) }, 0);
    let events = poll_at_once(&[Subscription::read(4, fd), Subscription::write(5, 1)]);
    check_eq!(events.len(), 2);
    check_eq!(find(&events, 4), Some(failed(4, eventtype::FD_READ, errno::NOTCAPABLE)));
    check_eq!(find(&events, 5).map(|e| (e.error, e.kind)), Some((0, eventtype::FD_WRITE)));
    close(fd);
}

/// Directories cannot be polled: the preopen has no `poll_fd_readwrite` (`notcapable`), and
/// neither has a directory opened with every right.
fn directories() {
    check_eq!(poll_at_once(&[Subscription::read(1, PREOPEN)]), vec![failed(1, eventtype::FD_READ, errno::NOTCAPABLE)]);
    check_eq!(
        poll_at_once(&[Subscription::write(2, PREOPEN)]),
        vec![failed(2, eventtype::FD_WRITE, errno::NOTCAPABLE)]
    );
    let sub = open(PREOPEN, 0, "sub", oflags::DIRECTORY, rights::DIR, rights::ALL, 0).unwrap();
    let events = poll_at_once(&[Subscription::read(3, sub)]);
    check_eq!(events, vec![failed(3, eventtype::FD_READ, errno::NOTCAPABLE)]);
    close(sub);
}

/// `poll_oneoff` on addresses that may lie outside memory; returns the errno.
fn poll_at(input: *const u8, out: *mut u8, n: u32, nevents: *mut u32) -> u16 {
    // SAFETY: the host checks every address; the ones in bounds are live buffers of the caller.
    unsafe { poll_raw(input, out, n, nevents) }
}

/// Errors of the whole call: no subscriptions, too many, arrays out of bounds.
fn call_errors() {
    let subs = [Subscription::timeout(1, 0)];
    let mut out = [RawEvent([0; 32]); 2];
    let mut nevents = 77u32;
    check_eq!(poll_at(subs.as_ptr().cast(), out.as_mut_ptr().cast(), 0, &mut nevents), errno::INVAL);
    check_eq!(nevents, 77);

    // Past the end of memory.
    let end = core::arch::wasm32::memory_size(0) * 65536;
    let near_end = (end - 24) as *mut u8;
    check_eq!(poll_at(near_end, out.as_mut_ptr().cast(), 1, &mut nevents), errno::FAULT);
    check_eq!(poll_at(end as *const u8, out.as_mut_ptr().cast(), 1, &mut nevents), errno::FAULT);
    let two = [Subscription::timeout(1, 0); 2];
    // The events array has room for one event but two subscriptions: checked before waiting.
    check_eq!(poll_at(two.as_ptr().cast(), (end - 40) as *mut u8, 2, &mut nevents), errno::FAULT);
    check_eq!(poll_at(subs.as_ptr().cast(), out.as_mut_ptr().cast(), 1, end as *mut u32), errno::FAULT);
    check_eq!(nevents, 77);

    // At most 4096 subscriptions: 4096 zero timeouts all fire; 4097 is inval.
    let many = vec![Subscription::timeout(5, 0); 4097];
    let mut events = vec![RawEvent([0; 32]); 4097];
    check_eq!(poll_at(many.as_ptr().cast(), events.as_mut_ptr().cast(), 4097, &mut nevents), errno::INVAL);
    check_eq!(nevents, 77);
    check_eq!(poll_at(many.as_ptr().cast(), events.as_mut_ptr().cast(), 4096, &mut nevents), 0);
    check_eq!(nevents, 4096);
    check!(events[..4096].iter().all(|e| Event::decode(e) == Event::clock(5)));
    check_eq!(poll_at(many.as_ptr().cast(), events.as_mut_ptr().cast(), u32::MAX, &mut nevents), errno::INVAL);
}
