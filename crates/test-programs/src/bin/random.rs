//! random_get: fills buffers, differs between calls, checks bounds.

use test_programs::{check, check_eq, errno, raw};

fn main() {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    // SAFETY: live buffers; the runtime checks the bad pointer.
    unsafe {
        check_eq!(raw::random_get(a.as_mut_ptr(), 32), errno::SUCCESS);
        check_eq!(raw::random_get(b.as_mut_ptr(), 32), errno::SUCCESS);
        check_eq!(raw::random_get(a.as_mut_ptr(), 0), errno::SUCCESS);
        check_eq!(raw::random_get(0xffff_ff00usize as *mut u8, 0x1000), errno::FAULT);
        // Each call is bounded (16 MiB), whatever memory the guest has.
        check_eq!(raw::random_get(a.as_mut_ptr(), (16 << 20) + 1), errno::INVAL);
    }
    check!(a != b);
    check!(a != [0u8; 32]);
    let mut big = vec![0u8; 1 << 20];
    // SAFETY: a live buffer.
    check_eq!(unsafe { raw::random_get(big.as_mut_ptr(), big.len() as u32) }, errno::SUCCESS);
    // A megabyte of randomness has every byte value.
    let mut seen = [false; 256];
    for byte in &big {
        seen[*byte as usize] = true;
    }
    check!(seen.iter().all(|s| *s));
    println!("random ok");
}
