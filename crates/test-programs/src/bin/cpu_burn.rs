//! Burns CPU for the number of milliseconds given (wall time, on the monotonic clock), then
//! prints the process and thread CPU time it was charged, in milliseconds.

use test_programs::raw;

fn clock(id: u32) -> u64 {
    let mut t = 0u64;
    // SAFETY: pointer to a live local.
    unsafe { raw::clock_time_get(id, 0, &mut t) };
    t
}

fn main() {
    let ms: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let start = clock(1);
    let mut x = 0u64;
    while clock(1) - start < ms * 1_000_000 {
        for i in 0..10_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
    }
    std::hint::black_box(x);
    println!("process_ms={} thread_ms={}", clock(2) / 1_000_000, clock(3) / 1_000_000);
}
