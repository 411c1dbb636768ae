//! Threaded jobs, each timing itself (so compiling and instantiating never count) and printing
//! `JOB THREADS NANOSECONDS RESULT` on stderr:
//!
//! - `primes N THREADS`: count the primes below N by trial division, with rayon on THREADS
//!   threads;
//! - `mandel N THREADS`: the points of an N × N grid over the Mandelbrot set's square that
//!   stay bounded for 200 iterations, rows spread by rayon over THREADS threads;
//! - `write N THREADS`: THREADS threads each write 16 bytes to stdout N times, one unbuffered
//!   write each (`fd_write` under WASI);
//! - `spawn N`: spawn a thread that does nothing and join it, N times.

use rayon::prelude::*;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::time::Instant;

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

/// How many points of row `row` of an `n` × `n` grid over [-2, 0.5] × [-1.25, 1.25] stay
/// bounded.
fn mandel_row(row: usize, n: usize) -> u64 {
    let ci = -1.25 + 2.5 * row as f64 / n as f64;
    (0..n)
        .filter(|&col| {
            let cr = -2.0 + 2.5 * col as f64 / n as f64;
            let (mut zr, mut zi) = (0.0f64, 0.0f64);
            for _ in 0..200 {
                let (zr2, zi2) = (zr * zr, zi * zi);
                if zr2 + zi2 > 4.0 {
                    return false;
                }
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
            }
            true
        })
        .count() as u64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let job = args.get(1).map(String::as_str).unwrap_or("");
    let n: u64 = args.get(2).and_then(|a| a.parse().ok()).expect("N");
    let threads: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let started = Instant::now();
    let result = match job {
        "primes" => {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let n = usize::try_from(n).unwrap();
            pool.install(|| (0..n).into_par_iter().with_min_len(1024).filter(|&k| is_prime(k as u64)).count() as u64)
        }
        "mandel" => {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let n = usize::try_from(n).unwrap();
            pool.install(|| (0..n).into_par_iter().map(|row| mandel_row(row, n)).sum())
        }
        "write" => {
            // Standard output without std's buffer and lock: one write per call.
            let stdout = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) });
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| {
                        for _ in 0..n {
                            (&*stdout).write_all(b"0123456789abcde\n").unwrap();
                        }
                    });
                }
            });
            n * threads as u64
        }
        "spawn" => (0..n).map(|i| std::thread::spawn(move || i).join().unwrap()).sum(),
        other => panic!("unknown job {other:?}"),
    };
    eprintln!("{job} {threads} {} {result}", started.elapsed().as_nanos());
}
