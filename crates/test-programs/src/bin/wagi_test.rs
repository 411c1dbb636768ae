//! A WAGI guest for `lucent serve`'s tests: what it does is chosen by PATH_INFO.
//! `/env` lists the CGI variables and arguments; `/echo` returns the body; `/status` answers
//! 404 with a header; `/redirect` gives a Location; `/counter` counts in a global (1 on every
//! fresh instance); `/fds` says whether a descriptor left open by an earlier request is there;
//! `/trap` traps; `/loop` spins; `/sleep` sleeps 1 s; `/big` writes 2 MiB; `/nothing` writes no
//! header; `/stderr` logs a line; `/file?PATH` returns the file at PATH; `/scratch` counts what
//! `/tmp` held, writes a file there, and tries to write beneath `/site`.
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn main() {
    let info = std::env::var("PATH_INFO").unwrap_or_default();
    let mut out = std::io::stdout().lock();
    match info.as_str() {
        "/env" => {
            writeln!(out, "Content-Type: text/plain\n").unwrap();
            let mut vars: Vec<(String, String)> = std::env::vars().collect();
            vars.sort();
            for (name, value) in vars {
                writeln!(out, "{name}={value}").unwrap();
            }
            for arg in std::env::args() {
                writeln!(out, "arg {arg}").unwrap();
            }
        }
        "/echo" => {
            let mut body = Vec::new();
            std::io::stdin().read_to_end(&mut body).unwrap();
            write!(out, "Content-Type: application/octet-stream\n\n").unwrap();
            out.write_all(&body).unwrap();
        }
        "/status" => write!(out, "Status: 404 Not Here\nContent-Type: text/plain\nX-Guest: yes\n\ngone\n").unwrap(),
        "/redirect" => write!(out, "Location: /elsewhere\n\n").unwrap(),
        "/counter" => {
            let n = COUNTER.fetch_add(1, Ordering::SeqCst) + 1;
            write!(out, "Content-Type: text/plain\n\n{n}\n").unwrap();
        }
        "/fds" => {
            // Counts the descriptors past the standard streams, then leaves one more open (a
            // file in the preopened `/data`): a fresh instance never sees it.
            let open = (3..64).filter(|fd| unsafe { wasi::fd_fdstat_get(*fd) }.is_ok()).count();
            std::mem::forget(std::fs::File::open("/data").unwrap());
            write!(out, "Content-Type: text/plain\n\n{open}\n").unwrap();
        }
        "/trap" => std::process::abort(),
        "/loop" => loop {
            std::hint::black_box(0);
        },
        "/sleep" => {
            std::thread::sleep(std::time::Duration::from_secs(1));
            write!(out, "Content-Type: text/plain\n\nslept\n").unwrap();
        }
        "/big" => {
            write!(out, "Content-Type: text/plain\n\n").unwrap();
            let chunk = [b'x'; 64 << 10];
            for _ in 0..32 {
                if out.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
        "/file" => {
            let path = std::env::var("QUERY_STRING").unwrap_or_default();
            match std::fs::read(&path) {
                Ok(data) => {
                    write!(out, "Content-Type: application/octet-stream\n\n").unwrap();
                    out.write_all(&data).unwrap();
                }
                Err(e) => write!(out, "Status: 500 Internal Server Error\n\n{path}: {e}\n").unwrap(),
            }
        }
        "/scratch" => {
            let before = std::fs::read_dir("/tmp").unwrap().count();
            std::fs::write("/tmp/mine", "request data").unwrap();
            let site = match std::fs::write("/site/new", "x") {
                Ok(()) => "written".to_string(),
                // The WASI errno itself (std names few of them).
                Err(e) => format!("errno {}", e.raw_os_error().unwrap_or(-1)),
            };
            write!(out, "Content-Type: text/plain\n\ntmp held {before}; /site: {site}\n").unwrap();
        }
        "/nothing" => write!(out, "just text\n").unwrap(),
        "/stderr" => {
            eprintln!("a line for the log");
            write!(out, "Content-Type: text/plain\n\nlogged\n").unwrap();
        }
        other => write!(out, "Status: 400 Bad Request\nContent-Type: text/plain\n\nunknown case {other}\n").unwrap(),
    }
}
