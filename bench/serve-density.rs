//! Density for `bench/serve.sh`: opens N connections to a `lucent serve` of the test guest,
//! sends `GET /sleep` (the guest sleeps 1 s in `poll_oneoff`) on every one before reading any
//! answer, then reads them all and checks each. Prints how long sending took, when the last
//! answer came, and the server's resident memory: before, at its peak while the guests slept,
//! and the difference per request in flight.
//!
//!   serve-density ADDR N SERVER_PID
//!
//! Standard library only: `bench/serve.sh` builds it with `rustc -O`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The server's resident memory, in KiB.
fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, n, pid] = args.as_slice() else {
        eprintln!("usage: serve-density ADDR N SERVER_PID");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N");
    let request = b"GET /sleep HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
    let before = rss_kib(pid);
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done, pid) = (peak.clone(), done.clone(), pid.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(&pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let start = Instant::now();
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = TcpStream::connect(addr.as_str()).expect("connect");
        stream.write_all(request).expect("send");
        streams.push(stream);
    }
    let sent = start.elapsed();
    let mut good = 0;
    let mut first_answer = None;
    for mut stream in streams {
        let mut raw = Vec::new();
        stream.set_read_timeout(Some(Duration::from_secs(120))).expect("timeout");
        if stream.read_to_end(&mut raw).is_ok() && raw.starts_with(b"HTTP/1.1 200") && raw.ends_with(b"\r\n\r\nslept\n") {
            good += 1;
        }
        first_answer.get_or_insert_with(|| start.elapsed());
    }
    let drained = start.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let peak = peak.load(Ordering::Relaxed);
    println!("requests: {n}, all sent (connected, written) after {:.2} s", sent.as_secs_f64());
    println!("answered correctly (200, \"slept\"): {good} of {n}");
    println!(
        "first answer read at {:.2} s, all answered (drained) at {:.2} s after the first request",
        first_answer.unwrap_or_default().as_secs_f64(),
        drained.as_secs_f64()
    );
    println!(
        "server RSS: {:.1} MiB before, {:.1} MiB at peak: {:.1} KiB per request in flight",
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak.saturating_sub(before) as f64 / n as f64
    );
    if good != n {
        std::process::exit(1);
    }
}
