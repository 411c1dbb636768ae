//! The CPU-time clocks of a threaded instance: two threads burn 200 ms of CPU each; then the
//! process clock shows their sum and main's thread clock only main's own. Prints both, in ms.

use std::thread;

fn cpu(clock: wasi::Clockid) -> u64 {
    unsafe { wasi::clock_time_get(clock, 1).unwrap() / 1_000_000 }
}

fn burn(ms: u64) {
    let start = cpu(wasi::CLOCKID_THREAD_CPUTIME_ID);
    let mut x = 0u64;
    while cpu(wasi::CLOCKID_THREAD_CPUTIME_ID) - start < ms {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
}

fn main() {
    let handles: Vec<_> = (0..2).map(|_| thread::spawn(|| burn(200))).collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    println!("process_ms={} thread_ms={}", cpu(wasi::CLOCKID_PROCESS_CPUTIME_ID), cpu(wasi::CLOCKID_THREAD_CPUTIME_ID));
}
