//! A guest for the containerd shim's tests: what it does is its first argument.
//! `hello ARGS...` prints its arguments and `$GREETING`; `cat PATH` prints a file; `exit N`
//! exits with N; `trap` executes `unreachable`; `spin` loops forever; `grow` allocates 1 MiB
//! at a time until memory runs out and prints how much it held; `kernel` tries to reach the
//! container's `/proc`, `/sys` and `/dev` and prints what each attempt gave.
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut out = std::io::stdout().lock();
    match args.get(1).map(String::as_str) {
        Some("hello") => {
            writeln!(out, "hello from {}: {:?}", args[0], &args[2..]).unwrap();
            writeln!(out, "GREETING={}", std::env::var("GREETING").unwrap_or_default()).unwrap();
        }
        Some("cat") => out.write_all(&std::fs::read(&args[2]).unwrap()).unwrap(),
        Some("exit") => std::process::exit(args[2].parse().unwrap()),
        Some("trap") => {
            writeln!(out, "about to trap").unwrap();
            out.flush().unwrap();
            core::arch::wasm32::unreachable()
        }
        Some("spin") => {
            writeln!(out, "spinning").unwrap();
            out.flush().unwrap();
            let mut n = 0u64;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        Some("grow") => {
            let mut held: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut chunk = Vec::new();
                if chunk.try_reserve_exact(1 << 20).is_err() {
                    break;
                }
                chunk.resize(1 << 20, 1);
                held.push(chunk);
            }
            writeln!(out, "held {} MiB", held.len()).unwrap();
        }
        Some("kernel") => {
            for path in ["/proc/self/mem", "/proc/self/environ", "/sys/fs/cgroup", "/dev/null", "/proc"] {
                let what = match std::fs::File::options().read(true).open(path) {
                    Ok(_) => "opened".to_string(),
                    Err(e) => format!("errno {}", e.raw_os_error().unwrap_or(-1)),
                };
                writeln!(out, "{path}: {what}").unwrap();
            }
            let listed: Vec<String> = match std::fs::read_dir("/") {
                Ok(entries) => entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
                Err(e) => vec![format!("errno {}", e.raw_os_error().unwrap_or(-1))],
            };
            writeln!(out, "/ holds proc: {}", listed.iter().any(|n| n == "proc")).unwrap();
        }
        other => {
            eprintln!("unknown command {other:?}");
            std::process::exit(2);
        }
    }
}
