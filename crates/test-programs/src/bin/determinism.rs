//! Prints everything a run could differ in: wall time, monotonic deltas, random bytes, how
//! long a sleep took, and a directory listing (of `listing/` in the preopen).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    println!("wall: {}.{:09}", wall.as_secs(), wall.subsec_nanos());
    let start = Instant::now();
    let mut deltas = Vec::new();
    let mut last = start;
    for _ in 0..5 {
        let now = Instant::now();
        deltas.push((now - last).as_nanos());
        last = now;
    }
    println!("monotonic deltas: {deltas:?}");
    let mut bytes = [0u8; 32];
    // SAFETY: a live buffer.
    assert_eq!(unsafe { test_programs::raw::random_get(bytes.as_mut_ptr(), 32) }, 0);
    println!("random: {}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let seconds: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    let before = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds) + Duration::from_micros(1500));
    println!("sleep took: {:?}", before.elapsed());
    let mut names: Vec<String> =
        std::fs::read_dir("listing").unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    // Deliberately not sorted here: the order is what the runtime gives.
    names.truncate(20);
    println!("listing: {names:?}");
    let cpu = {
        let mut t = 0u64;
        // SAFETY: pointer to a live local.
        unsafe { test_programs::raw::clock_time_get(2, 0, &mut t) };
        t
    };
    println!("cpu: {cpu}");
}
