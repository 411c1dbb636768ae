//! Random bytes per thread: three threads, spawned in order, each draw 8 bytes; printed in
//! spawn order. Under `--deterministic` the output is the same at every run.

use std::thread;

fn main() {
    let handles: Vec<_> = (0..3)
        .map(|_| {
            thread::spawn(|| {
                let mut buf = [0u8; 8];
                unsafe { wasi::random_get(buf.as_mut_ptr(), buf.len()).unwrap() };
                buf.iter().map(|b| format!("{b:02x}")).collect::<String>()
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        println!("thread {i}: {}", h.join().unwrap());
    }
}
