//! `poll_oneoff` with clock subscriptions only: relative and absolute timeouts on every clock,
//! deadlines in the past, several clocks at once (the earliest fires), and the event array
//! written at the out pointer. Times are measured with the monotonic clock; only lower bounds
//! are exact, upper bounds are loose.

use test_programs::poll::{ABSTIME, Event, MS, RawEvent, Subscription, clock, monotonic, now, poll, poll_raw};
use test_programs::{check, check_eq};

/// Upper bound for a wait of a few tens of milliseconds, or for one that must not wait at all.
const LOOSE: u64 = 1000 * MS;

fn main() {
    relative_sleep();
    absolute_deadlines();
    past_deadlines();
    cpu_time_clocks();
    earliest_fires();
    equal_deadlines();
    event_array();
    println!("poll clocks ok");
}

/// A relative 10 ms timeout on the monotonic clock takes at least 10 ms.
fn relative_sleep() {
    for precision in [0, 1, MS, u64::MAX] {
        let userdata = 0xfeed_0001_0000_0001;
        let t0 = monotonic();
        let events = poll(&[Subscription::clock(userdata, clock::MONOTONIC, 10 * MS, precision, 0)]);
        let elapsed = monotonic() - t0;
        check_eq!(events, Ok(vec![Event::clock(userdata)]));
        check!(elapsed >= 10 * MS);
        check!(elapsed < LOOSE);
    }
    // Realtime, relative.
    let t0 = monotonic();
    check_eq!(poll(&[Subscription::clock(2, clock::REALTIME, 10 * MS, 0, 0)]), Ok(vec![Event::clock(2)]));
    let elapsed = monotonic() - t0;
    check!(elapsed >= 10 * MS);
    check!(elapsed < LOOSE);
    // A zero timeout fires at once.
    check_eq!(poll(&[Subscription::timeout(3, 0)]), Ok(vec![Event::clock(3)]));
}

/// Absolute deadlines 20 ms ahead on the monotonic and realtime clocks: the call returns once
/// that clock has reached the deadline.
fn absolute_deadlines() {
    let t0 = monotonic();
    let deadline = t0 + 20 * MS;
    let events = poll(&[Subscription::clock(4, clock::MONOTONIC, deadline, 0, ABSTIME)]);
    let t1 = monotonic();
    check_eq!(events, Ok(vec![Event::clock(4)]));
    check!(t1 >= deadline);
    check!(t1 - t0 < LOOSE);

    let t0 = monotonic();
    let deadline = now(clock::REALTIME).unwrap() + 20 * MS;
    let events = poll(&[Subscription::clock(5, clock::REALTIME, deadline, 0, ABSTIME)]);
    let after = now(clock::REALTIME).unwrap();
    let elapsed = monotonic() - t0;
    check_eq!(events, Ok(vec![Event::clock(5)]));
    check!(after >= deadline);
    check!(elapsed < LOOSE);
}

/// Absolute deadlines already passed fire at once (were they taken as relative timeouts, these
/// would wait a second or more).
fn past_deadlines() {
    let realtime_1970 = 1_000_000_000;
    let monotonic_past = monotonic().saturating_sub(1);
    let cases = [
        (clock::MONOTONIC, monotonic_past),
        (clock::MONOTONIC, 0),
        (clock::REALTIME, realtime_1970),
        (clock::REALTIME, now(clock::REALTIME).unwrap() - 1),
        (clock::PROCESS_CPUTIME, 0),
        (clock::THREAD_CPUTIME, 0),
    ];
    for (i, (id, timeout)) in cases.into_iter().enumerate() {
        let userdata = 100 + i as u64;
        let t0 = monotonic();
        let events = poll(&[Subscription::clock(userdata, id, timeout, 0, ABSTIME)]);
        let elapsed = monotonic() - t0;
        check_eq!((id, events), (id, Ok(vec![Event::clock(userdata)])));
        check!(elapsed < 500 * MS);
    }
}

/// Relative timeouts on the CPU-time clocks return (a waiting guest uses no CPU time).
fn cpu_time_clocks() {
    for id in [clock::PROCESS_CPUTIME, clock::THREAD_CPUTIME] {
        let t0 = monotonic();
        let events = poll(&[Subscription::clock(200 + u64::from(id), id, 10 * MS, 0, 0)]);
        let elapsed = monotonic() - t0;
        check_eq!((id, events), (id, Ok(vec![Event::clock(200 + u64::from(id))])));
        check!(elapsed < 5 * LOOSE);
    }
}

/// Of several clock subscriptions, only the earliest fires.
fn earliest_fires() {
    let t0 = monotonic();
    let subs = [
        Subscription::timeout(1, 2000 * MS),
        Subscription::clock(2, clock::MONOTONIC, t0 + 5000 * MS, 0, ABSTIME),
        Subscription::clock(0xdead_beef_cafe_f00d, clock::MONOTONIC, 10 * MS, 0, 0),
        Subscription::clock(4, clock::REALTIME, 3000 * MS, 0, 0),
    ];
    let events = poll(&subs);
    let elapsed = monotonic() - t0;
    check_eq!(events, Ok(vec![Event::clock(0xdead_beef_cafe_f00d)]));
    check!(elapsed >= 10 * MS);
    check!(elapsed < LOOSE);
}

/// Two subscriptions with the same timeout both fire.
fn equal_deadlines() {
    let events = poll(&[Subscription::timeout(7, 10 * MS), Subscription::timeout(8, 10 * MS)]).unwrap();
    check_eq!(events.len(), 2);
    check!(events.contains(&Event::clock(7)));
    check!(events.contains(&Event::clock(8)));
}

/// The events are written at the out pointer, `nevents` of them; the rest of the array is
/// left alone.
fn event_array() {
    let subs = [Subscription::timeout(1, 5000 * MS), Subscription::timeout(2, MS), Subscription::timeout(3, 3000 * MS)];
    let mut out = [RawEvent([0xaa; 32]); 4];
    let mut nevents = 0xffff_ffffu32;
    // SAFETY: live arrays and a live local.
    let e = unsafe { poll_raw(subs.as_ptr().cast(), out.as_mut_ptr().cast(), 3, &mut nevents) };
    check_eq!(e, 0);
    check_eq!(nevents, 1);
    check_eq!(Event::decode(&out[0]), Event::clock(2));
    for raw in &out[1..] {
        check!(raw.0 == [0xaa; 32]);
    }
}
