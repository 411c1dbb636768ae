//! `proc_raise` and `sched_yield`. The subcommand (first argument) picks the case:
//!
//! * `continue`: signals whose default action is to ignore or stop return 0 and the guest goes
//!   on; unknown signals are `inval`; `sched_yield` returns 0. Prints `still running`.
//! * `raise N`: prints `before N`, raises signal `N`, then prints `after N` (which a signal
//!   that ends the process never lets it do).

use test_programs::poll::{raise, say, sched_yield, signal};
use test_programs::{check_eq, errno};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("continue") => go_on(),
        Some("raise") => {
            let sig: u32 = args[2].parse().unwrap();
            say(&format!("before {sig}\n"));
            let e = raise(sig);
            say(&format!("after {sig}: {e}\n"));
        }
        other => panic!("unknown subcommand {other:?}"),
    }
}

fn go_on() {
    for _ in 0..100 {
        check_eq!(sched_yield(), 0);
    }
    for sig in [
        signal::NONE,
        signal::WINCH,
        signal::CHLD,
        signal::TSTP,
        signal::CONT,
        signal::URG,
        signal::STOP,
        signal::TTIN,
        signal::TTOU,
    ] {
        check_eq!((sig, raise(sig)), (sig, 0));
    }
    // Numbers whose low byte is a valid signal are not truncated to it.
    for sig in [31, 32, 64, 255, 256, 256 + signal::TERM, 256 + signal::KILL, 0x1_0000 + signal::TERM, u32::MAX] {
        check_eq!((sig, raise(sig)), (sig, errno::INVAL));
    }
    check_eq!(raise(signal::NONE), 0);
    say("still running\n");
}
