//! Reads every clock many times and checks each reading is a multiple of the resolution that
//! `clock_res_get` reports (given as the first argument, in nanoseconds), and that monotonic
//! readings never decrease.

use test_programs::{check, check_eq, errno, raw};

fn read(id: u32) -> u64 {
    let mut t = 0u64;
    // SAFETY: pointer to a live local.
    check_eq!(unsafe { raw::clock_time_get(id, 0, &mut t) }, errno::SUCCESS);
    t
}

fn main() {
    let expected: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap();
    for id in 0..4 {
        let mut res = 0u64;
        // SAFETY: pointer to a live local.
        check_eq!(unsafe { raw::clock_res_get(id, &mut res) }, errno::SUCCESS);
        check_eq!(res, expected);
    }
    let mut last = 0;
    let mut distinct = 0;
    for i in 0..20_000u64 {
        let id = (i % 4) as u32;
        let t = read(id);
        check_eq!(t % expected, 0);
        if id == 1 {
            check!(t >= last);
            if t != last {
                distinct += 1;
            }
            last = t;
        }
    }
    // Time did move on, in steps of the resolution.
    check!(distinct >= 1);
    println!("ok");
}
