//! Spawns threads that wait, until a spawn fails (the runner's thread limit): prints how many
//! were made and the error, then lets them finish and joins them.

use std::sync::{Arc, Mutex};
use std::thread;

fn main() {
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let mut handles = Vec::new();
    let error = loop {
        let gate = gate.clone();
        match thread::Builder::new().spawn(move || drop(gate.lock().unwrap())) {
            Ok(h) => handles.push(h),
            Err(e) => break e,
        }
        if handles.len() > 1000 {
            println!("no limit");
            std::process::exit(1);
        }
    };
    println!("spawned {} then: {}", handles.len(), error.kind());
    drop(held);
    handles.into_iter().for_each(|h| h.join().unwrap());
    // After they are gone, threads can be made again.
    println!("again {}", thread::spawn(|| 1).join().unwrap());
}
