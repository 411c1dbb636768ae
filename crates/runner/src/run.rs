//! `lucent run`: builds the context from the command line, loads and links the module, runs
//! it, and turns the outcome into an exit status.

use crate::cache::ModuleCache;
use crate::compile::{self, Codegen, one_line};
use crate::deadline::Deadlines;
use crate::options::{GuestArgs, RunArgs};
use anyhow::{Context as _, anyhow, bail};
use lucent_abi::Clockid;
use lucent_core::clocks::{CoarseClocks, SeededRandom, VirtualClocks, VirtualSched};
use lucent_core::env::{WasiClocks, WasiSched};
use lucent_core::fs::WasiDir;
use lucent_core::wrap::{Quota, QuotaDir, SortedDir};
use lucent_core::{Exit, WasiCtx, WasiCtxBuilder};
use lucent_host::{HostClocks, HostDir, HostFile, HostRandom, HostSched, Withheld};
use lucent_image::{Image, Options as ImageOptions};
use lucent_memfs::{MemFs, Options as MemFsOptions};
use lucent_overlay::Overlay;
use lucent_wasmtime::MemoryBudget;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{Func, Instance, Linker, Module, Store, Trap, Val, ValType, WasmBacktrace};

/// How far virtual time moves at every clock read under `--deterministic`.
const VIRTUAL_STEP_NS: u64 = 1_000;

/// Exit status when the guest runs past `--timeout` (as GNU `timeout` does).
pub const TIMEOUT_STATUS: u8 = 124;

/// The store's data: the guest's WASI context and its memory budget (`--max-memory`).
struct Guest {
    wasi: WasiCtx,
    budget: MemoryBudget,
}

/// Exit status when the guest traps (as if it had called `abort()`: 128 + SIGABRT).
pub const TRAP_STATUS: u8 = 134;
/// Exit status when Lucent itself cannot run the module.
pub const FAILURE_STATUS: u8 = 1;

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// The guest finished, with this status.
    Exited(u8),
    /// The guest trapped; the message is already printed.
    Trapped,
    /// The guest ran past `--timeout`; the message is already printed.
    TimedOut,
}

/// A parsed `--dir HOST[::GUEST[:OPTION]...]`.
#[derive(Debug, PartialEq, Eq)]
struct DirSpec<'a> {
    host: &'a str,
    guest: &'a str,
    read_only: bool,
    /// The host directory as the lower layer under an in-memory upper one.
    overlay: bool,
    quota: Option<u64>,
}

/// Parses `HOST`, `HOST::GUEST`, then options after the guest name: `:ro` (read-only), `:rw`
/// (the default), `:overlay` (changes go to memory), `:quota=SIZE` (a cap on the bytes the
/// guest adds; with `:overlay`, the upper layer's size).
fn parse_dir(spec: &str) -> anyhow::Result<DirSpec<'_>> {
    let (host, rest) = spec.split_once("::").unwrap_or((spec, spec));
    let mut parts = if rest.len() == spec.len() { vec![rest] } else { rest.split(':').collect() };
    let guest = parts.remove(0);
    let (mut read_only, mut overlay, mut quota) = (false, false, None);
    for option in parts {
        match option.split_once('=') {
            None if option == "ro" => read_only = true,
            None if option == "rw" => read_only = false,
            None if option == "overlay" => overlay = true,
            Some(("quota", size)) => {
                quota = Some(crate::options::parse_size(size).map_err(|e| anyhow!("invalid --dir `{spec}`: {e}"))?);
            }
            _ => bail!(
                "invalid --dir `{spec}`: unknown option `{option}` (expected `ro`, `rw`, `overlay` or `quota=SIZE`)"
            ),
        }
    }
    if host.is_empty() || guest.is_empty() {
        bail!("invalid --dir `{spec}`: expected HOST, HOST::GUEST or HOST::GUEST:ro");
    }
    if read_only && overlay {
        bail!("invalid --dir `{spec}`: `ro` and `overlay` exclude each other (an overlay is writable, in memory)");
    }
    Ok(DirSpec { host, guest, read_only, overlay, quota })
}

/// The size of a `--tmpfs` given none.
pub const DEFAULT_TMPFS_SIZE: u64 = 64 << 20;

/// The device number of the first `--tmpfs` (the next ones count up from it): no host
/// filesystem has it, so no in-memory file shares its `(dev, ino)` with a host file.
pub const TMPFS_DEV: u64 = 0x6c75_6365_6e74_0000;

/// The device number of the first `--dir ...:overlay`'s upper layer (the next ones count up).
pub const OVERLAY_DEV: u64 = 0x6c75_6365_6e74_2000;

/// Parses `GUEST` or `GUEST:size=SIZE`.
fn parse_tmpfs(spec: &str) -> anyhow::Result<(&str, u64)> {
    let (guest, options) = spec.split_once(':').unwrap_or((spec, ""));
    if guest.is_empty() {
        bail!("invalid --tmpfs `{spec}`: expected GUEST or GUEST:size=SIZE");
    }
    let mut size = DEFAULT_TMPFS_SIZE;
    for option in options.split(':').filter(|o| !o.is_empty()) {
        match option.split_once('=') {
            Some(("size", value)) => {
                size = crate::options::parse_size(value).map_err(|e| anyhow!("invalid --tmpfs `{spec}`: {e}"))?;
            }
            _ => bail!("invalid --tmpfs `{spec}`: unknown option `{option}` (expected `size=SIZE`)"),
        }
    }
    Ok((guest, size))
}

/// What no guest may enter: Lucent's compile caches, whose artifacts become native code in
/// this process. The one this run uses (`cache`), the one `--cache-dir` names, and the
/// default one that later runs may use. Each is made (empty, 0700) if it is missing, even with
/// `--no-cache`: a cache a later run made while this guest runs would not be withheld from it.
/// Then the directories the front-end withholds ([`GuestArgs::withhold`]), those that exist.
///
/// # Errors
///
/// If a cache directory or a directory the front-end names exists but cannot be withheld.
fn withheld(args: &GuestArgs, cache: Option<&ModuleCache>) -> anyhow::Result<Arc<Withheld>> {
    let mut withheld = Withheld::new();
    for (dir, what) in &args.withhold {
        match withheld.withhold(dir, what) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                bail!("cannot keep {what} `{}` from the guest: {e}", dir.display())
            }
            _ => {}
        }
    }
    let dirs = cache
        .map(|c| c.dir().to_path_buf())
        .into_iter()
        .chain(args.cache_dir.clone())
        .chain(ModuleCache::default_dir());
    for dir in dirs {
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir);
        match withheld.withhold(&dir, "Lucent's compile cache") {
            Ok(()) => {}
            // Nothing there, and this user (and so its guests) could not make it; or nothing
            // this user can reach.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::NotADirectory
                        | std::io::ErrorKind::PermissionDenied
                ) => {}
            Err(e) => bail!("cannot keep the compile cache `{}` from the guest: {e}", dir.display()),
        }
    }
    Ok(Arc::new(withheld))
}

/// The device number of the first `--image` (the next ones count up from it).
pub const IMAGE_DEV: u64 = 0x6c75_6365_6e74_1000;

/// What every instance of a run shares, prepared once: the directories no guest may enter
/// and the loaded `--image` trees.
#[derive(Debug)]
pub struct Mounts {
    withheld: Arc<Withheld>,
    images: Vec<MountedImage>,
}

/// An `--image`: where it is mounted, the tree, where it was loaded from.
#[derive(Debug)]
struct MountedImage {
    guest: String,
    image: Image,
    archive: std::path::PathBuf,
    /// Writable, with an in-memory layer over it (fresh for every instance).
    overlay: bool,
}

impl Mounts {
    /// Prepares the options' mounts: withholds the compile caches (see [`withheld`]) and
    /// loads every `--image`, checking that no writable `--dir` reaches one.
    ///
    /// # Errors
    ///
    /// A cache that cannot be withheld; a bad `--image`, an archive that cannot be read or
    /// has a member it refuses, or one a writable `--dir` reaches.
    pub fn prepare(args: &GuestArgs, cache: Option<&ModuleCache>) -> anyhow::Result<Mounts> {
        let withheld = withheld(args, cache)?;
        let mut images = Vec::new();
        for (i, spec) in args.images.iter().enumerate() {
            let (spec_rest, overlay) = match spec.strip_suffix(":overlay") {
                Some(rest) => (rest, true),
                None => (spec.as_str(), false),
            };
            let Some((archive, guest)) = spec_rest.split_once("::").filter(|(a, g)| !a.is_empty() && !g.is_empty())
            else {
                bail!("invalid --image `{spec}`: expected ARCHIVE::GUEST or ARCHIVE::GUEST:overlay");
            };
            let dev = IMAGE_DEV.saturating_add(u64::try_from(i).unwrap_or(u64::MAX));
            let options = ImageOptions { dev, ..ImageOptions::default() };
            let image = Image::open(Path::new(archive), &options)
                .map_err(|e| anyhow!("cannot load --image `{archive}`: {e}"))?;
            images.push(MountedImage { guest: guest.to_string(), image, archive: archive.into(), overlay });
        }
        let mounts = Mounts { withheld, images };
        mounts.check_dirs(&args.dirs)?;
        Ok(mounts)
    }

    /// Refuses a writable `--dir` beneath which a guest could reach an `--image`'s archive:
    /// it is mapped, and a guest truncating it would crash the process. An archive with other
    /// hard links is refused too (one of them could be beneath a directory).
    ///
    /// # Errors
    ///
    /// Naming the image and the directory.
    pub fn check_dirs(&self, dirs: &[String]) -> anyhow::Result<()> {
        use std::os::unix::fs::MetadataExt;
        for archive in self.images.iter().filter(|m| m.image.is_mapped()).map(|m| &m.archive) {
            let shown = archive.display();
            let real = std::fs::canonicalize(archive).map_err(|e| anyhow!("cannot load --image `{shown}`: {e}"))?;
            let links = std::fs::metadata(&real).map_err(|e| anyhow!("cannot load --image `{shown}`: {e}"))?.nlink();
            if links > 1 {
                bail!(
                    "--image `{shown}` has {links} hard links: a guest could change it through another (it is read in place); mount a copy"
                );
            }
            for spec in dirs {
                let DirSpec { host, read_only, overlay, .. } = parse_dir(spec)?;
                let Ok(dir) = std::fs::canonicalize(host) else { continue };
                if !read_only && !overlay && real.starts_with(&dir) {
                    bail!(
                        "--image `{shown}` lies beneath the writable --dir `{host}`: a guest could change the archive while it is read in place; mount the directory `:ro` or move the archive"
                    );
                }
            }
        }
        Ok(())
    }
}

/// Builds the guest's context from the command line; `guest_args` says whether ARGS are the
/// guest's arguments (rather than the parameters of an `--invoke`d function). No preopen
/// reaches into what `mounts` withholds.
fn build_ctx(args: &RunArgs, guest_args: bool, mounts: &Mounts) -> anyhow::Result<WasiCtx> {
    let argv0 = match &args.argv0 {
        Some(name) => name.as_bytes().to_vec(),
        None => args.module.as_os_str().as_bytes().to_vec(),
    };
    let mut builder = lucent_host::with_host_stdio(context_builder(&args.guest, mounts)?).arg(argv0);
    if guest_args {
        builder = builder.args(args.args.iter().map(|a| a.as_bytes()));
    }
    builder.build().map_err(|e| anyhow!("{e}"))
}

/// A context builder with everything the options give but the arguments and the standard
/// streams: clocks, randomness, environment, directories (none reaching into what `mounts`
/// withholds), in-memory directories, `mounts`' images, listening sockets and the descriptor
/// limit. A front-end adds the rest (the per-request
/// server: the request's arguments, environment and streams).
///
/// # Errors
///
/// A directory or socket that cannot be opened, a bad `--dir`, a `--start-time` too large.
pub fn context_builder(args: &GuestArgs, mounts: &Mounts) -> anyhow::Result<WasiCtxBuilder> {
    // No host streams here: opening them costs system calls the server would throw away.
    let mut builder = WasiCtxBuilder::new().random(Box::new(HostRandom));
    let (mut clocks, sched): (Arc<dyn WasiClocks>, Arc<dyn WasiSched>) = if args.deterministic {
        let epoch = args.start_time.checked_mul(1_000_000_000).ok_or_else(|| anyhow!("--start-time is too large"))?;
        let virtual_clocks = Arc::new(VirtualClocks::new(epoch, VIRTUAL_STEP_NS));
        let sched = Arc::new(VirtualSched::new(virtual_clocks.clone(), Arc::new(HostSched)));
        (virtual_clocks, sched)
    } else {
        (Arc::new(HostClocks::new()), Arc::new(HostSched))
    };
    if let Some(resolution) = args.clock_resolution {
        clocks = Arc::new(CoarseClocks::new(clocks, resolution));
    }
    builder = builder.clocks(clocks.clone()).sched(sched);
    if let Some(seed) = args.random_seed.or(args.deterministic.then_some(0)) {
        builder = builder.random(Box::new(SeededRandom::new(seed)));
    }
    if args.inherit_env {
        for (name, value) in std::env::vars_os() {
            builder = builder.env(name.as_bytes(), value.as_bytes());
        }
    }
    for spec in &args.envs {
        match spec.split_once('=') {
            Some((name, value)) => builder = builder.env(name, value),
            None => {
                if let Some(value) = std::env::var_os(spec) {
                    builder = builder.env(spec, value.as_bytes());
                }
            }
        }
    }
    // In-memory timestamps come from the guest's own realtime clock: virtual in deterministic
    // runs.
    let memory_clock = {
        let clocks = clocks.clone();
        Arc::new(move || clocks.now(Clockid::Realtime, 0).unwrap_or(0))
    };
    let mut overlays = 0u64;
    for spec in &args.dirs {
        let DirSpec { host, guest, read_only, overlay, quota } = parse_dir(spec)?;
        let host_dir = HostDir::open_ambient(Path::new(host))
            .map_err(|e| anyhow!("cannot open --dir `{host}`: {e}"))?
            .withholding(mounts.withheld.clone())
            .map_err(|e| anyhow!("cannot give the guest --dir `{host}`: {e}"))?;
        let unit = host_dir.allocation_unit();
        let mut dir: Arc<dyn WasiDir> = Arc::new(host_dir);
        if args.deterministic {
            dir = Arc::new(SortedDir::new(dir));
        }
        if overlay {
            let dev = OVERLAY_DEV.saturating_add(overlays);
            overlays = overlays.saturating_add(1);
            let limit = Some(quota.unwrap_or(DEFAULT_TMPFS_SIZE));
            let upper = MemFs::new(MemFsOptions { dev, limit, clock: memory_clock.clone() });
            let root = Overlay::new(dir, upper).map_err(|e| anyhow!("--dir `{spec}`: {e}"))?.root();
            builder = builder.preopened_dir(root, guest);
            continue;
        }
        if let Some(bytes) = quota {
            dir = Arc::new(QuotaDir::new(dir, Arc::new(Quota::with_unit(bytes, unit))));
        }
        builder = if read_only { builder.read_only_dir(dir, guest) } else { builder.preopened_dir(dir, guest) };
    }
    for (i, spec) in args.tmpfs.iter().enumerate() {
        let (guest, size) = parse_tmpfs(spec)?;
        let dev = TMPFS_DEV.saturating_add(u64::try_from(i).unwrap_or(u64::MAX));
        let fs = MemFs::new(MemFsOptions { dev, limit: Some(size), clock: memory_clock.clone() });
        builder = builder.preopened_dir(fs.root(), guest);
    }
    for MountedImage { guest, image, overlay, .. } in &mounts.images {
        if *overlay {
            let dev = OVERLAY_DEV.saturating_add(overlays);
            overlays = overlays.saturating_add(1);
            let upper = MemFs::new(MemFsOptions { dev, limit: Some(DEFAULT_TMPFS_SIZE), clock: memory_clock.clone() });
            let root = Overlay::new(image.root(), upper).map_err(|e| anyhow!("--image `{guest}`: {e}"))?.root();
            builder = builder.preopened_dir(root, guest);
        } else {
            builder = builder.read_only_dir(image.root(), guest);
        }
    }
    let first_listener_fd = 3 + args.dirs.len() + args.tmpfs.len() + mounts.images.len();
    for (i, spec) in args.tcplisten.iter().enumerate() {
        let listener = std::net::TcpListener::bind(spec.as_str())
            .map_err(|e| anyhow!("cannot listen on --tcplisten `{spec}`: {e}"))?;
        let local = listener.local_addr().map_err(|e| anyhow!("--tcplisten `{spec}`: {e}"))?;
        if spec.ends_with(":0") {
            eprintln!("lucent: --tcplisten {spec} listening on {local} (fd {})", first_listener_fd + i);
        }
        builder = builder.listener(Arc::new(HostFile::new(listener.into())));
    }
    if let Some(max) = args.max_open_files {
        builder = builder.max_open_files(max);
    }
    Ok(builder)
}

/// Refuses imports nothing provides, naming the first one.
fn check_imports(linker: &Linker<Guest>, store: &mut Store<Guest>, module: &Module, shown: &str) -> anyhow::Result<()> {
    for import in module.imports() {
        if linker.get_by_import(&mut *store, &import).is_none() {
            bail!(
                "`{shown}` imports `{}::{}`, which Lucent does not provide (--trap-unknown-imports runs it anyway, trapping if it is called)",
                import.module(),
                import.name()
            );
        }
    }
    Ok(())
}

fn parse_param(ty: &ValType, text: &str) -> anyhow::Result<Val> {
    let bad = || anyhow!("invalid argument `{text}` for a parameter of type {ty}");
    Ok(match ty {
        ValType::I32 => {
            Val::I32(text.parse::<i32>().or_else(|_| text.parse::<u32>().map(u32::cast_signed)).map_err(|_| bad())?)
        }
        ValType::I64 => {
            Val::I64(text.parse::<i64>().or_else(|_| text.parse::<u64>().map(u64::cast_signed)).map_err(|_| bad())?)
        }
        ValType::F32 => Val::F32(text.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Val::F64(text.parse::<f64>().map_err(|_| bad())?.to_bits()),
        other => bail!("cannot pass a {other} parameter from the command line"),
    })
}

fn show_result(val: &Val) -> String {
    match val {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        other => format!("{other:?}"),
    }
}

/// Prints a trap with its backtrace, or a host-side failure, for an error out of the guest.
///
/// A trap is a `Trap`, or any other error raised while guest code was on the stack (it then
/// carries a wasm backtrace), such as a call to a `--trap-unknown-imports` stub.
fn report(e: &wasmtime::Error) -> Outcome {
    if let Some(exit) = e.downcast_ref::<Exit>() {
        return Outcome::Exited((exit.0 & 0xff) as u8);
    }
    let backtrace = e.downcast_ref::<WasmBacktrace>();
    let what = match e.downcast_ref::<Trap>() {
        Some(trap) => format!("{} ({trap})", trap_kind(*trap)),
        None if backtrace.is_some() => e.root_cause().to_string(),
        None => {
            eprintln!("lucent: error: {}", one_line(e));
            return Outcome::Exited(FAILURE_STATUS);
        }
    };
    if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        eprintln!("lucent: the guest ran past its --timeout and was stopped");
        return Outcome::TimedOut;
    }
    let mut message = format!("lucent: guest trapped: {what}");
    if let Some(backtrace) = backtrace {
        // Its display starts with its own heading ("error while executing at wasm backtrace:").
        message.push_str(&format!("\n{backtrace}"));
    }
    eprintln!("{}", message.trim_end());
    Outcome::Trapped
}

/// Whether an error out of instantiating or calling a guest is the guest's doing (a trap, a
/// `proc_exit`, or a host error raised while guest code was on the stack) rather than the
/// host's (the memory limit, a full pool, a missing export).
pub fn raised_by_guest(e: &wasmtime::Error) -> bool {
    e.downcast_ref::<Trap>().is_some()
        || e.downcast_ref::<Exit>().is_some()
        || e.downcast_ref::<WasmBacktrace>().is_some()
}

/// A trap's kind in plain words; wasmtime's own message follows it in parentheses.
fn trap_kind(trap: Trap) -> &'static str {
    match trap {
        Trap::StackOverflow => "stack overflow",
        Trap::MemoryOutOfBounds => "out-of-bounds memory access",
        Trap::HeapMisaligned => "misaligned atomic access",
        Trap::TableOutOfBounds => "out-of-bounds table access",
        Trap::IndirectCallToNull => "call through a null table entry",
        Trap::BadSignature => "indirect call with the wrong signature",
        Trap::IntegerOverflow => "integer overflow",
        Trap::IntegerDivisionByZero => "integer divide by zero",
        Trap::BadConversionToInteger => "invalid conversion of a float to an integer",
        Trap::UnreachableCodeReached => "unreachable executed",
        Trap::OutOfFuel => "out of fuel",
        Trap::Interrupt => "interrupted",
        Trap::NullReference => "null reference",
        Trap::ArrayOutOfBounds => "out-of-bounds array access",
        Trap::AllocationTooLarge => "allocation too large",
        Trap::CastFailure => "failed cast",
        _ => "trap",
    }
}

/// The threads of a threaded module: shared memories within `--max-memory`, `--max-threads`,
/// a new thread's store as the main one (its context, the shared memory budget, the same
/// timeout), and, if `exit_process`, the process ending as soon as any thread ends the program.
fn threads(
    args: &RunArgs,
    epochs: bool,
    exit_process: bool,
    store: &mut Store<Guest>,
    linker: &mut Linker<Guest>,
    module: &Module,
    shown: &str,
) -> anyhow::Result<lucent_wasmtime::threads::Threads<Guest>> {
    use lucent_wasmtime::threads::{Threads, ThreadsConfig};
    let max_memory = args.guest.max_memory.map(|bytes| usize::try_from(bytes).unwrap_or(usize::MAX));
    let config = ThreadsConfig { max_threads: args.max_threads, max_memory };
    let threads = Threads::new(
        store,
        linker,
        module,
        config,
        |guest: &mut Guest| &mut guest.wasi,
        move |engine, parent, tid| {
            let mut store =
                Store::new(engine, Guest { wasi: parent.wasi.for_thread(tid), budget: parent.budget.clone() });
            store.limiter(|guest| &mut guest.budget);
            if epochs {
                store.set_epoch_deadline(1);
            }
            Ok(store)
        },
    )
    .map_err(|e| anyhow!("cannot run `{shown}`: {}", one_line(&e)))?;
    // The shared memories' maxima are the budget's for good: they grow without asking.
    let reserved =
        threads.memories().iter().map(|m| m.ty().maximum().unwrap_or(0).saturating_mul(64 << 10)).sum::<u64>();
    if !store.data().budget.reserve(usize::try_from(reserved).unwrap_or(usize::MAX)) {
        bail!("cannot run `{shown}`: its shared memories do not fit in --max-memory");
    }
    if exit_process {
        threads.on_end(|ending| std::process::exit(i32::from(outcome_status(&ending_outcome(ending)))));
    }
    Ok(threads)
}

/// How a threaded program's ending is reported (a trap's message is printed here).
fn ending_outcome(ending: &lucent_wasmtime::threads::Ending) -> Outcome {
    match ending {
        lucent_wasmtime::threads::Ending::Exit(status) => Outcome::Exited((status & 0xff) as u8),
        lucent_wasmtime::threads::Ending::Trap(e) => report(e),
    }
}

/// The exit status of an outcome.
pub fn outcome_status(outcome: &Outcome) -> u8 {
    match outcome {
        Outcome::Exited(status) => *status,
        Outcome::Trapped => TRAP_STATUS,
        Outcome::TimedOut => TIMEOUT_STATUS,
    }
}

/// Calls `func` with no arguments and no results.
fn call_unit(store: &mut Store<Guest>, func: Func, name: &str) -> anyhow::Result<Result<(), wasmtime::Error>> {
    let typed =
        func.typed::<(), ()>(&*store).map_err(|_| anyhow!("`{name}` must take no parameters and return nothing"))?;
    Ok(typed.call(&mut *store, ()))
}

/// How long [`run`] waits for the other threads of a threaded program to finish once it has
/// ended.
const THREADS_PATIENCE: Duration = Duration::from_secs(5);

/// Runs the module as `args` say, in this process, and returns how it ended. For a threaded
/// program, the other threads are stopped when it ends and waited for (up to 5 s): those in a
/// hostcall or in `memory.atomic.wait` stop at once, those running code at their next epoch
/// check, which is compiled in only with `--timeout` (without it, a thread spinning in
/// WebAssembly code runs on). A front-end that is a process should use [`run_process`].
///
/// # Errors
///
/// If the module cannot be run (one line saying why); how the guest ended is the [`Outcome`].
pub fn run(args: &RunArgs) -> anyhow::Result<Outcome> {
    run_as(args, false)
}

/// Runs the module as `args` say, as a process does: when a threaded program ends, the process
/// exits at once with its status, from the thread that ended it, without waiting for the
/// others (what a native process does). Single-threaded programs return as with [`run`].
///
/// # Errors
///
/// As [`run`].
pub fn run_process(args: &RunArgs) -> anyhow::Result<Outcome> {
    run_as(args, true)
}

fn run_as(args: &RunArgs, exit_process: bool) -> anyhow::Result<Outcome> {
    let mut codegen = Codegen::of_guest(&args.guest);
    let mut engine = compile::engine(codegen, args.guest.max_wasm_stack)?;
    let shown = args.module.display().to_string();
    let cache = compile::cache(&args.guest);
    let mut module = compile::load_module(&engine, &args.guest, &args.module, cache.as_ref())?;
    let threaded = lucent_wasmtime::threads::is_threaded(&module);
    if threaded && !exit_process && !codegen.epoch_interruption {
        // In-process, the threads left when the program ends must stop, and those running or
        // parked in `memory.atomic.wait` stop only at an epoch check: compile them in (a
        // precompiled artifact without them stays as it is).
        let with_epochs = Codegen { epoch_interruption: true, ..codegen };
        let again = compile::engine(with_epochs, args.guest.max_wasm_stack)?;
        if let Ok(reloaded) = compile::load_module(&again, &args.guest, &args.module, cache.as_ref()) {
            (codegen, engine, module) = (with_epochs, again, reloaded);
        }
    }
    let mounts = Mounts::prepare(&args.guest, cache.as_ref())?;
    // ARGS are the guest's arguments, unless they are the parameters of an invoked function.
    let params = |name: &str| module.get_export(name).and_then(|e| e.func().map(|f| f.params().len()));
    let guest_args = args.invoke.as_deref().and_then(params).unwrap_or(0) == 0;
    let wasi = build_ctx(args, guest_args, &mounts)?;
    let mut linker = Linker::new(&engine);
    lucent_wasmtime::add_to_linker_for(&mut linker, &module, |guest: &mut Guest| &mut guest.wasi)
        .map_err(|e| anyhow!("{}", one_line(&e)))?;
    let limit = args.guest.max_memory.map_or(usize::MAX, |bytes| usize::try_from(bytes).unwrap_or(usize::MAX));
    let mut store = Store::new(&engine, Guest { wasi, budget: MemoryBudget::new(limit) });
    store.limiter(|guest| &mut guest.budget);
    if args.guest.max_memory.is_some() {
        // Shared memories the module defines grow without asking the limiter: their maxima
        // are the budget's from the start.
        let shared = compile::defined_shared_memory_bytes(&args.module)?;
        if !store.data().budget.reserve(usize::try_from(shared).unwrap_or(usize::MAX)) {
            bail!(
                "`{shown}` defines shared memories that may grow to {shared} bytes, more than --max-memory; shared memories grow without asking the limit, so their declared maximum must fit in it"
            );
        }
    }
    if let Some(fuel) = args.guest.fuel {
        store.set_fuel(fuel).map_err(|e| anyhow!("{}", one_line(&e)))?;
    }
    // At the deadline: wasm code stops at its next epoch check, and a hostcall waiting (a
    // sleep, a read, an accept, a FIFO open) stops waiting. Both are cancelled when the run
    // returns, so an in-process run leaves nothing behind.
    let (_deadlines, _deadline) = match args.guest.timeout {
        Some(timeout) => {
            store.set_epoch_deadline(1);
            let deadlines = Deadlines::new(&engine).context("cannot start the --timeout thread")?;
            let deadline = deadlines.add(Duration::from_nanos(timeout), store.data().wasi.stop_handle());
            (Some(deadlines), Some(deadline))
        }
        None => (None, None),
    };
    if codegen.epoch_interruption && args.guest.timeout.is_none() {
        // Epoch checks compiled in for the threads' sake: the epoch moves only when the
        // program ends.
        store.set_epoch_deadline(1);
    }
    let threads = if threaded {
        if args.invoke.is_some() {
            bail!("`{shown}` is a threaded module; --invoke runs single-threaded modules only");
        }
        Some(threads(args, codegen.epoch_interruption, exit_process, &mut store, &mut linker, &module, &shown)?)
    } else {
        None
    };
    if args.guest.trap_unknown_imports {
        linker.define_unknown_imports_as_traps(&module).map_err(|e| anyhow!("{}", one_line(&e)))?;
    } else {
        check_imports(&linker, &mut store, &module, &shown)?;
    }
    let has_export = |name: &str| module.get_export(name).is_some_and(|e| e.func().is_some());
    if has_export("_start") && has_export("_initialize") {
        bail!("`{shown}` exports both `_start` and `_initialize`; a module must be a command or a reactor, not both");
    }
    if args.invoke.is_none() && !has_export("_start") {
        if has_export("_initialize") {
            bail!(
                "`{shown}` is a reactor (it exports `_initialize`, not `_start`); choose a function to call with --invoke NAME"
            );
        }
        bail!("`{shown}` exports no `_start` function; choose a function to call with --invoke NAME");
    }
    if let Some(threads) = threads {
        threads.link(&linker, &module).map_err(|e| anyhow!("cannot link `{shown}`: {}", one_line(&e)))?;
        // With `exit_process`, the process ends as the program does, whichever thread ends it
        // (see `threads`); otherwise the others are stopped and waited for.
        let ending = threads.run_main(&mut store).map_err(|e| anyhow!("cannot run `{shown}`: {}", one_line(&e)))?;
        if !threads.wait(THREADS_PATIENCE) {
            tracing::warn!(target: "lucent::run", "{} threads of `{shown}` still run after its end", threads.running());
        }
        return Ok(ending_outcome(&ending));
    }
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(instance) => instance,
        Err(e) if raised_by_guest(&e) => {
            return Ok(report(&e));
        }
        Err(e) => match store.data().budget.refused() {
            Some(why) => bail!("cannot instantiate `{shown}` within --max-memory: {why}"),
            None => bail!("cannot instantiate `{shown}`: {}", one_line(&e)),
        },
    };
    // The store holds this one instance: its memory is bound to the context for the run.
    lucent_wasmtime::call_bound(
        &mut store,
        &instance,
        |guest: &mut Guest| &mut guest.wasi,
        |store| match &args.invoke {
            None => {
                let start = get_func(&instance, store, "_start", &shown)?;
                store.data().wasi.start_clocks();
                Ok(match call_unit(store, start, "_start")? {
                    Ok(()) => Outcome::Exited(0),
                    Err(e) => report(&e),
                })
            }
            Some(name) => invoke(&instance, store, name, args, &shown),
        },
    )
}

fn get_func(instance: &Instance, store: &mut Store<Guest>, name: &str, shown: &str) -> anyhow::Result<Func> {
    instance.get_func(&mut *store, name).with_context(|| format!("`{shown}` exports no function `{name}`"))
}

/// `--invoke NAME`: initialises a reactor, calls `NAME` with the parsed arguments and prints
/// its results.
fn invoke(
    instance: &Instance,
    store: &mut Store<Guest>,
    name: &str,
    args: &RunArgs,
    shown: &str,
) -> anyhow::Result<Outcome> {
    let func = get_func(instance, store, name, shown)?;
    store.data().wasi.start_clocks();
    if let Some(init) = instance.get_func(&mut *store, "_initialize")
        && let Err(e) = call_unit(store, init, "_initialize")?
    {
        return Ok(report(&e));
    }
    let ty = func.ty(&*store);
    // A function without parameters left ARGS to the guest's argv.
    let given = if ty.params().len() == 0 { &[][..] } else { &args.args[..] };
    if ty.params().len() != given.len() {
        bail!("`{name}` takes {} parameter(s), {} given", ty.params().len(), given.len());
    }
    let params = ty
        .params()
        .zip(given)
        .map(|(ty, arg)| parse_param(&ty, &arg.to_string_lossy()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut results = vec![Val::I32(0); ty.results().len()];
    match func.call(&mut *store, &params, &mut results) {
        Ok(()) => {
            for result in &results {
                println!("{}", show_result(result));
            }
            Ok(Outcome::Exited(0))
        }
        Err(e) => Ok(report(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_specs() {
        let spec = |host, guest, read_only| DirSpec { host, guest, read_only, overlay: false, quota: None };
        assert_eq!(parse_dir("a").unwrap(), spec("a", "a", false));
        assert_eq!(parse_dir("a:b").unwrap(), spec("a:b", "a:b", false));
        assert_eq!(parse_dir("/tmp/x::/data").unwrap(), spec("/tmp/x", "/data", false));
        assert_eq!(parse_dir("/tmp/x::/data:ro").unwrap(), spec("/tmp/x", "/data", true));
        assert_eq!(parse_dir("/tmp/x::.:rw").unwrap(), spec("/tmp/x", ".", false));
        assert!(parse_dir("/tmp/x::/data:bogus").is_err());
        assert!(parse_dir("::x").is_err());
        assert!(parse_dir("x::").is_err());
        assert!(parse_dir("x:::ro").is_err());
        assert_eq!(parse_dir("/d::/data:quota=1M").unwrap().quota, Some(1 << 20));
        let both = parse_dir("/d::/data:ro:quota=4K").unwrap();
        assert_eq!((both.read_only, both.quota), (true, Some(4096)));
        assert!(parse_dir("/d::/data:quota=big").is_err());
        let overlay = parse_dir("/d::/data:overlay:quota=8M").unwrap();
        assert_eq!((overlay.read_only, overlay.overlay, overlay.quota), (false, true, Some(8 << 20)));
        assert!(parse_dir("/d::/data:overlay:ro").unwrap_err().to_string().contains("exclude each other"));
    }

    #[test]
    fn params_parse_by_type() {
        assert_eq!(parse_param(&ValType::I32, "4294967295").unwrap().i32(), Some(-1));
        assert_eq!(parse_param(&ValType::I64, "-5").unwrap().i64(), Some(-5));
        assert!(parse_param(&ValType::I32, "x").is_err());
    }
}
