//! clock_res_get and clock_time_get on every clock, and their error cases.

use test_programs::{check, check_eq, errno, raw};

fn time(id: u32) -> u64 {
    let mut t = 0u64;
    // SAFETY: pointer to a live local.
    check_eq!(unsafe { raw::clock_time_get(id, 1, &mut t) }, errno::SUCCESS);
    t
}

fn main() {
    for id in 0..4 {
        let mut res = 0u64;
        // SAFETY: pointer to a live local.
        check_eq!(unsafe { raw::clock_res_get(id, &mut res) }, errno::SUCCESS);
        check!(res > 0 && res <= 1_000_000_000);
    }
    // Realtime is after 2020-01-01 and agrees with std.
    let now = time(0);
    check!(now > 1_577_836_800_000_000_000);
    let std_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    check!(std_now.abs_diff(now) < 60_000_000_000);
    // Monotonic never goes back.
    let mut last = time(1);
    for _ in 0..1000 {
        let t = time(1);
        check!(t >= last);
        last = t;
    }
    // CPU time grows while the guest works.
    let cpu0 = time(2);
    let mut x = 0u64;
    for i in 0..5_000_000u64 {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    std::hint::black_box(x);
    check!(time(2) > cpu0);
    check!(time(3) > 0);
    // Unknown clocks and bad pointers.
    let mut t = 0u64;
    // SAFETY: the runtime checks every pointer.
    unsafe {
        check_eq!(raw::clock_time_get(4, 0, &mut t), errno::INVAL);
        check_eq!(raw::clock_res_get(u32::MAX, &mut t), errno::INVAL);
        check_eq!(raw::clock_time_get(0, 0, 0xffff_fff8usize as *mut u64), errno::FAULT);
        check_eq!(raw::clock_res_get(1, 0xffff_fff8usize as *mut u64), errno::FAULT);
        check_eq!(raw::clock_time_get(1, 0, (&mut t as *mut u64).cast::<u8>().add(1).cast()), errno::INVAL);
    }
    println!("clocks ok");
}
