//! Opens `swap/outside.txt` again and again while the host swaps `swap` between a real
//! directory (whose `outside.txt` says "inside") and symlinks leading out of the sandbox.
//! Reading "secret" would be an escape. Prints the tally.
//! Arguments: the least number of iterations, and the number of opens and refusals to see
//! before stopping (it stops after 100 times the first number in any case).

use test_programs::{FOLLOW, PREOPEN, close, open, read, rights};

fn main() {
    let iterations: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let each: u32 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(0);
    let (mut opened, mut refused, mut escaped) = (0u32, 0u32, 0u32);
    let paths = ["swap/outside.txt", "swap/./outside.txt", "swap/../swap/outside.txt"];
    let mut i = 0u32;
    while i < iterations || ((opened < each || refused < each) && i < iterations.saturating_mul(100)) {
        i += 1;
        let path = paths[i as usize % paths.len()];
        match open(PREOPEN, FOLLOW, path, 0, rights::FD_READ, 0, 0) {
            Ok(fd) => {
                let mut buf = [0u8; 16];
                let n = read(fd, &mut buf).unwrap_or(0) as usize;
                close(fd);
                if &buf[..n] == b"inside" {
                    opened += 1;
                } else {
                    escaped += 1;
                    eprintln!("escape: {path} read {:?}", String::from_utf8_lossy(&buf[..n]));
                }
            }
            Err(_) => refused += 1,
        }
    }
    println!("escaped={escaped}");
    eprintln!("iterations={i}");
    eprintln!("opened={opened} refused={refused}");
}
