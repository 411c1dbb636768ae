//! Standard streams: gathered writes, reading stdin to the end, and what stdio descriptors
//! refuse.

use std::io::Read;
use test_programs::{check, check_eq, errno, raw, seek, write};

fn main() {
    // A gathered write with an empty buffer in the middle.
    let parts: [&[u8]; 3] = [b"gathered ", b"", b"write\n"];
    let iovs: Vec<raw::Iovec> = parts.iter().map(|p| raw::Iovec { buf: p.as_ptr(), len: p.len() as u32 }).collect();
    let mut n = 0u32;
    // SAFETY: iovecs over live slices.
    check_eq!(unsafe { raw::fd_write(1, iovs.as_ptr(), iovs.len() as u32, &mut n) }, errno::SUCCESS);
    check_eq!(n, 15);
    // Zero iovecs write nothing.
    check_eq!(unsafe { raw::fd_write(1, iovs.as_ptr(), 0, &mut n) }, errno::SUCCESS);
    check_eq!(n, 0);
    check_eq!(write(2, b"to stderr\n"), Ok(10));

    // stdin to the end, echoed upper-case.
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    print!("{}", input.to_uppercase());

    // The streams are the host's: no seeking, flags not ours to change.
    check_eq!(seek(1, 0, 0), Err(errno::NOTCAPABLE));
    check!(unsafe { raw::fd_fdstat_set_flags(1, test_programs::fdflags::APPEND) } != errno::SUCCESS);
    let (_, _, base, _) = test_programs::fdstat(0).unwrap();
    check!(base & test_programs::rights::FD_READ != 0);
    // Standard input is for reading, the others for writing.
    check_eq!(test_programs::read(1, &mut [0u8; 4]), Err(errno::NOTCAPABLE));
    check_eq!(write(0, b"x"), Err(errno::NOTCAPABLE));
    // Unknown descriptors.
    check_eq!(write(99, b"x"), Err(errno::BADF));
    check_eq!(write(u32::MAX, b"x"), Err(errno::BADF));
}
