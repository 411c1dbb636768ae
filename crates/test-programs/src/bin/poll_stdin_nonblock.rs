//! Non-blocking reads on a stdin pipe the test drives by hand (Lucent emulates `NONBLOCK` on
//! the shared standard streams). Each line on stdout is a sync point:
//!
//! 1. With `NONBLOCK` set (and reported by `fd_fdstat_get`), a read of the open, empty pipe
//!    gives `again` instead of blocking; `again`.
//! 2. The test writes `data`: a read returns it; the flag clears; `append` cannot be set;
//!    `data: data`.
//! 3. The test closes stdin: a non-blocking read gives end of file (0), not `again`; `eof`.

use test_programs::fdflags::{APPEND, NONBLOCK};
use test_programs::poll::{MS, errno::AGAIN, errno::NOTSUP, flags_of, monotonic, say, set_flags, sleep};
use test_programs::{check, check_eq, read, write};

/// How long to wait for the test's next step before giving up.
const PATIENCE: u64 = 20_000 * MS;

const NB: u16 = NONBLOCK as u16;

/// Non-blocking reads until one does not give `again`.
fn read_when_ready(buf: &mut [u8]) -> Result<u32, u16> {
    let t0 = monotonic();
    loop {
        match read(0, buf) {
            Err(AGAIN) if monotonic() - t0 < PATIENCE => sleep(MS),
            other => return other,
        }
    }
}

fn main() {
    check_eq!(flags_of(0) & NB, 0);
    check_eq!(set_flags(0, NONBLOCK), 0);
    check_eq!(flags_of(0) & NB, NB);
    check_eq!(flags_of(1) & NB, 0);

    // 1. Nothing to read: again, at once, every time.
    let mut buf = [0u8; 16];
    for _ in 0..3 {
        let t0 = monotonic();
        check_eq!(read(0, &mut buf), Err(AGAIN));
        check!(monotonic() - t0 < 500 * MS);
    }
    // NONBLOCK on stdout: a pipe with room takes the write.
    check_eq!(set_flags(1, NONBLOCK), 0);
    check_eq!(flags_of(1) & NB, NB);
    check_eq!(write(1, b"again\n"), Ok(6));
    check_eq!(set_flags(1, 0), 0);
    check_eq!(flags_of(1) & NB, 0);

    // 2. The test writes "data".
    let mut got = Vec::new();
    while got.len() < 4 {
        match read_when_ready(&mut buf) {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n as usize]),
            other => {
                eprintln!("read after the test wrote: {other:?}, got {got:?} so far");
                std::process::exit(1);
            }
        }
    }
    check_eq!(&got, b"data");
    check_eq!(read(0, &mut buf), Err(AGAIN));
    // Clearing the flag; append cannot be set on stdin, whatever else is asked, and a refused
    // change changes nothing.
    check_eq!(set_flags(0, 0), 0);
    check_eq!(flags_of(0) & NB, 0);
    check_eq!(set_flags(0, APPEND), NOTSUP);
    check_eq!(set_flags(0, APPEND | NONBLOCK), NOTSUP);
    check_eq!(flags_of(0) & (NB | APPEND as u16), 0);
    check_eq!(set_flags(0, NONBLOCK), 0);
    check_eq!(flags_of(0) & NB, NB);
    say("data: data\n");

    // 3. The test closes stdin: end of file.
    check_eq!(read_when_ready(&mut buf), Ok(0));
    check_eq!(read(0, &mut buf), Ok(0));
    say("eof\n");
}
