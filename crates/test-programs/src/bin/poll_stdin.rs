//! `poll_oneoff` on a stdin pipe the test drives by hand. Each line on stdout is a sync point:
//!
//! 1. `ready`, then stdin is open and empty: a poll with a 50 ms timeout gets the clock event;
//!    `empty: timeout`.
//! 2. The test writes `hello` (5 bytes) and keeps the pipe open: the poll gets `fd_read` with
//!    `nbytes` 5 and no hang-up; polled again (unread), it is ready at once, also together
//!    with a clock and a regular file; `data: hello`.
//! 3. The test closes stdin: the poll gets `fd_read` with the hang-up flag; `hangup`.
//!
//! Fixture: `data.txt` = "0123456789" in the preopen (fd 3).

use test_programs::poll::{
    ABSTIME, Event, HANGUP, MS, POLL_FD_READWRITE, Subscription, clock, eventtype, find, monotonic, poll, say,
};
use test_programs::{PREOPEN, check, check_eq, open, read, rights, seek};

/// A timeout long enough that it firing means the test failed.
const LONG: u64 = 20_000 * MS;

fn main() {
    say("ready\n");

    // 1. Open and empty: the clock fires after 50 ms.
    let t0 = monotonic();
    let events = poll(&[Subscription::read(1, 0), Subscription::timeout(2, 50 * MS)]);
    let elapsed = monotonic() - t0;
    check_eq!(events, Ok(vec![Event::clock(2)]));
    check!(elapsed >= 50 * MS);
    check!(elapsed < 2000 * MS);
    say("empty: timeout\n");

    // 2. Five bytes arrive (the poll may start before or after they do).
    let events = poll(&[Subscription::read(3, 0), Subscription::timeout(4, LONG)]);
    check_eq!(events, Ok(vec![Event { userdata: 3, error: 0, kind: eventtype::FD_READ, nbytes: 5, flags: 0 }]));
    // Unread, they are ready at once: with a zero timeout ...
    let events = poll(&[Subscription::read(5, 0), Subscription::timeout(6, 0)]).unwrap();
    check_eq!(find(&events, 5), Some(Event { userdata: 5, error: 0, kind: eventtype::FD_READ, nbytes: 5, flags: 0 }));
    check!(events.iter().all(|e| e.userdata == 5 || e.userdata == 6));
    // ... and mixed with a long clock and a regular file.
    let file = open(PREOPEN, 0, "data.txt", 0, rights::FD_READ | rights::FD_SEEK | POLL_FD_READWRITE, 0, 0).unwrap();
    check_eq!(seek(file, 4, 0), Ok(4));
    let t0 = monotonic();
    let events =
        poll(&[Subscription::timeout(7, LONG), Subscription::read(8, file), Subscription::read(9, 0)]).unwrap();
    check!(monotonic() - t0 < 2000 * MS);
    check_eq!(events.len(), 2);
    check_eq!(find(&events, 8), Some(Event { userdata: 8, error: 0, kind: eventtype::FD_READ, nbytes: 6, flags: 0 }));
    check_eq!(find(&events, 9), Some(Event { userdata: 9, error: 0, kind: eventtype::FD_READ, nbytes: 5, flags: 0 }));
    // ... and before the longest timeouts there are, relative and absolute.
    for (userdata, flags) in [(12, 0), (13, ABSTIME)] {
        let far = Subscription::clock(userdata, clock::MONOTONIC, u64::MAX, 0, flags);
        let events = poll(&[far, Subscription::read(14, 0)]);
        check_eq!(events, Ok(vec![Event { userdata: 14, error: 0, kind: eventtype::FD_READ, nbytes: 5, flags: 0 }]));
    }
    let mut buf = [0u8; 16];
    check_eq!(read(0, &mut buf), Ok(5));
    check_eq!(&buf[..5], b"hello");
    say("data: hello\n");

    // 3. The test closes stdin: hang-up, nothing left to read.
    let events = poll(&[Subscription::read(10, 0), Subscription::timeout(11, u64::MAX)]);
    check_eq!(events, Ok(vec![Event { userdata: 10, error: 0, kind: eventtype::FD_READ, nbytes: 0, flags: HANGUP }]));
    check_eq!(read(0, &mut buf), Ok(0));
    say("hangup\n");
}
