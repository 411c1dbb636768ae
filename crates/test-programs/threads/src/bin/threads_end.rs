//! How a threaded program ends, one case per argument:
//!
//! - `exit-from-thread`: a thread calls `proc_exit(7)` while main reads a silent stdin;
//! - `exit-while-joining`: a thread calls `proc_exit(9)` while main joins it (parked in
//!   `memory.atomic.wait`);
//! - `trap-in-thread`: a thread traps while main sleeps 30 s;
//! - `panic-in-thread`: a thread panics (which aborts: wasm has no unwinding) while main waits
//!   on a channel;
//! - `main-returns`: main returns while another thread spins;
//! - `spin`: two threads spin while main joins them (for `--timeout`).

use std::io::Read;
use std::thread;
use std::time::Duration;

fn spin() {
    let mut x = 0u64;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("exit-from-thread") => {
            thread::spawn(|| {
                thread::sleep(Duration::from_millis(100));
                std::process::exit(7);
            });
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        }
        Some("exit-while-joining") => {
            let h = thread::spawn(|| {
                thread::sleep(Duration::from_millis(100));
                std::process::exit(9);
            });
            let _ = h.join();
        }
        Some("trap-in-thread") => {
            thread::spawn(|| {
                thread::sleep(Duration::from_millis(100));
                core::arch::wasm32::unreachable();
            });
            thread::sleep(Duration::from_secs(30));
        }
        Some("panic-in-thread") => {
            let (_tx, rx) = std::sync::mpsc::channel::<()>();
            thread::spawn(|| panic!("thread gave up"));
            let _ = rx.recv();
        }
        Some("main-returns") => {
            thread::spawn(spin);
            thread::sleep(Duration::from_millis(50));
        }
        Some("spin") => {
            let handles: Vec<_> = (0..2).map(|_| thread::spawn(spin)).collect();
            handles.into_iter().for_each(|h| h.join().unwrap());
        }
        other => panic!("unknown case {other:?}"),
    }
    println!("main returned");
}
