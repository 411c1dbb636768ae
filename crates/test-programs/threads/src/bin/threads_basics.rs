//! What Rust programs do with threads, each checked: spawn and join, a mutex and a condition
//! variable, channels, scoped threads, a rayon computation, and 1,000 spawn/join cycles. One
//! line per check.

use rayon::prelude::*;
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;

fn is_prime(n: &u64) -> bool {
    let n = *n;
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

fn main() {
    println!("join {}", thread::spawn(|| 6 * 7).join().unwrap());

    let counter = Arc::new(Mutex::new(0u32));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let counter = counter.clone();
            thread::spawn(move || {
                for _ in 0..1000 {
                    *counter.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    println!("mutex {}", *counter.lock().unwrap());

    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let signaller = pair.clone();
    let waker = thread::spawn(move || {
        *signaller.0.lock().unwrap() = true;
        signaller.1.notify_one();
    });
    let mut ready = pair.0.lock().unwrap();
    while !*ready {
        ready = pair.1.wait(ready).unwrap();
    }
    drop(ready);
    waker.join().unwrap();
    println!("condvar woken");

    let (tx, rx) = mpsc::channel();
    for p in 0..4u64 {
        let tx = tx.clone();
        thread::spawn(move || (0..250u64).for_each(|i| tx.send(p * 1000 + i).unwrap()));
    }
    drop(tx);
    let received: Vec<u64> = rx.iter().collect();
    println!("mpsc {} {}", received.len(), received.iter().sum::<u64>());

    let mut values = vec![1, 2, 3, 4];
    thread::scope(|s| {
        for v in values.iter_mut() {
            s.spawn(move || *v *= 10);
        }
    });
    println!("scope {values:?}");

    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    let primes = pool.install(|| (0u64..200_000).into_par_iter().filter(is_prime).count());
    println!("rayon primes {primes}");

    let total: u64 = (0..1000u64).map(|i| thread::spawn(move || i).join().unwrap()).sum();
    println!("cycles {total}");
}
