//! Eight threads append 500 records each to one file opened with `O_APPEND`, each record one
//! write: the host test checks that none is lost or interleaved.

use std::io::Write;
use std::sync::Arc;
use std::thread;

fn main() {
    let file = Arc::new(std::fs::OpenOptions::new().create(true).append(true).open("log.txt").unwrap());
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let file = file.clone();
            thread::spawn(move || {
                for n in 0..500 {
                    let record = format!("thread {t} record {n:03} {}\n", "x".repeat(40));
                    (&*file).write_all(record.as_bytes()).unwrap();
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    println!("appended");
}
