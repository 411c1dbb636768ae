//! The application: its routes, each a module linked once, and how one request's guest runs.

use crate::options::{DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT_NS, ServeArgs};
use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use lucent_abi::Errno;
use lucent_core::env::{FdState, Interest, WasiSched};
use lucent_core::fs::WasiFile;
use lucent_core::pipes::{InputBytes, OutputBytes};
use lucent_core::stop::Stop;
use lucent_core::{Exit, WasiCtx};
use lucent_runner::compile::{self, Codegen, one_line};
use lucent_runner::deadline::Deadlines;
use lucent_runner::options::GuestArgs;
use lucent_runner::run::{Mounts, context_builder, raised_by_guest};
use lucent_wagi::config::ModuleConfig;
use lucent_wagi::{Route, Routes};
use lucent_wasmtime::MemoryBudget;
use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How often running guests yield to let others (and the server's connections) run.
const TIME_SLICE: Duration = Duration::from_millis(10);
/// WebAssembly's stack when `--max-wasm-stack` is not given (wasmtime's default).
const DEFAULT_WASM_STACK: usize = 512 << 10;
/// Room on a guest's stack for the host's frames (hostcalls) above WebAssembly's.
const HOST_STACK: usize = 512 << 10;

/// An instant too far to come (a `--timeout` too large to add to now).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}
use wasmtime::{Engine, InstancePre, Linker, Store};

/// A store's data: the request's context, its memory budget and its deadline.
pub(crate) struct Guest {
    wasi: WasiCtx,
    budget: MemoryBudget,
    /// When `--timeout` stops the guest.
    until: Instant,
}

/// How a guest sleeps in `poll_oneoff`: its task waits on the executor's timer, holding no
/// thread, and gives the stop itself if its deadline comes first (the deadline thread gives
/// it too, at about the same time).
fn sleep(guest: &Guest, time: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let until = guest.until;
    let stop = guest.wasi.stop_handle();
    let wake = Instant::now().checked_add(time).map_or(until, |wake| wake.min(until));
    Box::pin(async move {
        tokio::time::sleep_until(wake.into()).await;
        if Instant::now() >= until {
            stop.stop();
        }
    })
}

/// A scheduler that moves a wait that would block (on a descriptor: a FIFO in a `--dir`, say)
/// off the executor's thread, so that it holds a thread of its own while it lasts, never one
/// of the few that run every connection. Clock-only sleeps never get here (see [`sleep`]).
#[derive(Debug)]
struct OffExecutor(Arc<dyn WasiSched>);

impl WasiSched for OffExecutor {
    fn poll(
        &self,
        fds: &[(&dyn WasiFile, Interest)],
        timeout: Option<u64>,
        stop: &Stop,
    ) -> Result<Vec<FdState>, Errno> {
        if timeout == Some(0) {
            return self.0.poll(fds, timeout, stop);
        }
        tokio::task::block_in_place(|| self.0.poll(fds, timeout, stop))
    }

    fn pause(&self, ns: u64, stop: &Stop) -> Result<(), Errno> {
        tokio::task::block_in_place(|| self.0.pause(ns, stop))
    }

    fn yield_now(&self) {
        self.0.yield_now();
    }

    fn sleeps_in_real_time(&self) -> bool {
        self.0.sleeps_in_real_time()
    }
}

/// One route's module, linked once.
pub(crate) struct App {
    /// The module's path, for messages.
    pub shown: String,
    /// The options its guests get: the server's, with the route's volumes and environment.
    guest: GuestArgs,
    /// The names of the variables the options set: a request's variable of the same name
    /// does not replace them.
    configured: HashSet<String>,
    pre: InstancePre<Guest>,
    entrypoint: String,
    /// WAGI's `argv` template.
    pub argv: Option<String>,
    /// `http_max_concurrency`.
    pub limit: Option<Arc<Semaphore>>,
}

/// Everything the server shares between requests.
pub(crate) struct Apps {
    pub routes: Routes<Arc<App>>,
    engine: Engine,
    mounts: Mounts,
    deadlines: Deadlines,
    timeout: Duration,
    max_memory: usize,
    fuel: Option<u64>,
    max_response_body: usize,
    /// Where requests' time went.
    pub timings: Timings,
}

/// Time spent per request, summed over requests, by phase: building the context and store,
/// instantiating, running the guest, parsing its response. Reported when the server stops.
#[derive(Debug, Default)]
pub(crate) struct Timings {
    requests: AtomicU64,
    context_ns: AtomicU64,
    instantiate_ns: AtomicU64,
    run_ns: AtomicU64,
    parse_ns: AtomicU64,
}

impl Timings {
    fn add(sum: &AtomicU64, since: Instant) -> Instant {
        let now = Instant::now();
        let ns = u64::try_from(now.saturating_duration_since(since).as_nanos()).unwrap_or(u64::MAX);
        sum.fetch_add(ns, Ordering::Relaxed);
        now
    }

    /// Adds the time since `since` to the response parsing phase.
    pub fn parsed(&self, since: Instant) {
        Timings::add(&self.parse_ns, since);
    }

    /// One line: requests run and the mean time of each phase, or `None` before any ran.
    pub fn summary(&self) -> Option<String> {
        let n = self.requests.load(Ordering::Relaxed);
        let mean = |sum: &AtomicU64| sum.load(Ordering::Relaxed) as f64 / n as f64 / 1e3;
        (n > 0).then(|| {
            format!(
                "{n} guests run; per request on average: context {:.1} µs, instantiate {:.1} µs, guest {:.1} µs, response parse {:.1} µs",
                mean(&self.context_ns),
                mean(&self.instantiate_ns),
                mean(&self.run_ns),
                mean(&self.parse_ns)
            )
        })
    }
}

/// A request as its guest gets it.
pub(crate) struct Job {
    /// The request id, for the guest's log lines.
    pub id: u64,
    pub env: Vec<(String, Vec<u8>)>,
    pub argv: Vec<Vec<u8>>,
    pub body: Bytes,
}

/// How a request's guest ended.
pub(crate) enum Ran {
    /// It finished (returned, or exited with this status) and wrote this.
    Finished { status: u32, stdout: Vec<u8> },
    /// It wrote more than `--max-response-body`.
    Overflowed,
    /// It trapped.
    Trapped(String),
    /// It ran past `--timeout` and was stopped.
    TimedOut,
    /// It could not be run (instantiation failed: a memory limit, the pool full).
    Failed(String),
}

/// Loads and links every route's module, on one engine with the pooling allocator.
///
/// # Errors
///
/// A `modules.toml` or module that cannot be served, a directory that cannot be opened: one
/// line saying which and why.
pub(crate) fn load(args: &ServeArgs) -> anyhow::Result<Apps> {
    let mut guest = args.guest.clone();
    if !guest.tcplisten.is_empty() {
        bail!("--tcplisten is for `lucent run`: a listening socket cannot be handed to every request's guest");
    }
    let timeout = *guest.timeout.get_or_insert(DEFAULT_TIMEOUT_NS);
    let max_memory = *guest.max_memory.get_or_insert(DEFAULT_MAX_MEMORY);
    let max_memory = usize::try_from(max_memory).context("--max-memory is too large")?;
    let mut config = compile::config(Codegen::of_guest(&guest), guest.max_wasm_stack)?;
    // Guests run as tasks on the executor, each on a stack of its own (a fiber, from the pool
    // below), with room for WebAssembly's stack and the host's frames above it.
    let wasm_stack = guest.max_wasm_stack.map_or(Ok(DEFAULT_WASM_STACK), usize::try_from)?;
    config.async_stack_size(wasm_stack.saturating_add(HOST_STACK));
    // Memories and tables come from a pool of slots made once; keeping the first 1 MiB of each
    // slot mapped makes a small guest's next instance cheap.
    lucent_wasmtime::use_pooling(&mut config, args.max_instances, max_memory, 1 << 20);
    let engine = Engine::new(&config).map_err(|e| anyhow!("{}", one_line(&e)))?;
    let cache = compile::cache(&guest);
    let entries = match (&args.config, &args.module) {
        (Some(file), _) => read_config(file)?,
        (None, Some(module)) => vec![(Route::parse("/..."), module.clone(), ModuleDefaults::default())],
        (None, None) => bail!("give a MODULE to serve, or --config modules.toml"),
    };
    let mounts = Mounts::prepare(&guest, cache.as_ref())?;
    let mut routes = Vec::new();
    for (route, path, extra) in entries {
        let shown = path.display().to_string();
        let module = compile::load_module(&engine, &guest, &path, cache.as_ref())?;
        if lucent_wasmtime::threads::is_threaded(&module) {
            bail!("`{shown}` is a threaded module; `lucent serve` runs single-threaded modules");
        }
        let mut linker = Linker::new(&engine);
        lucent_wasmtime::add_to_linker_for(&mut linker, &module, |guest: &mut Guest| &mut guest.wasi)
            .map_err(|e| anyhow!("{}", one_line(&e)))?;
        lucent_wasmtime::add_async_poll_to_linker(
            &mut linker,
            Some(&module),
            |guest: &mut Guest| &mut guest.wasi,
            sleep,
        )
        .map_err(|e| anyhow!("{}", one_line(&e)))?;
        if guest.trap_unknown_imports {
            linker.define_unknown_imports_as_traps(&module).map_err(|e| anyhow!("{}", one_line(&e)))?;
        }
        let pre = linker.instantiate_pre(&module).map_err(|e| anyhow!("cannot serve `{shown}`: {}", one_line(&e)))?;
        let entrypoint = extra.entrypoint.unwrap_or_else(|| "_start".to_string());
        let runs = module
            .get_export(&entrypoint)
            .and_then(|e| e.func().map(|f| f.params().len() == 0 && f.results().len() == 0));
        if runs != Some(true) {
            bail!("`{shown}` exports no function `{entrypoint}` taking and returning nothing");
        }
        let mut app_guest = guest.clone();
        app_guest.dirs.extend(extra.volumes);
        app_guest.envs.extend(extra.environment);
        let configured =
            app_guest.envs.iter().map(|e| e.split_once('=').map_or(e.as_str(), |(n, _)| n).to_string()).collect();
        // The directories open now, so that a missing one stops the server, not every request.
        mounts.check_dirs(&app_guest.dirs).with_context(|| format!("cannot serve `{shown}`"))?;
        context_builder(&app_guest, &mounts).with_context(|| format!("cannot serve `{shown}`"))?;
        let limit = extra.concurrency.map(|n| Arc::new(Semaphore::new(usize::try_from(n).unwrap_or(usize::MAX))));
        let app = App { shown, guest: app_guest, configured, pre, entrypoint, argv: extra.argv, limit };
        routes.push((route, Arc::new(app)));
    }
    let deadlines = Deadlines::with_time_slices(&engine, TIME_SLICE).context("cannot start the deadline thread")?;
    Ok(Apps {
        routes: Routes::new(routes),
        engine,
        mounts,
        deadlines,
        timeout: Duration::from_nanos(timeout),
        max_memory,
        fuel: guest.fuel,
        max_response_body: usize::try_from(args.max_response_body).unwrap_or(usize::MAX),
        timings: Timings::default(),
    })
}

/// What a `[[module]]` table adds to the server's options.
#[derive(Default)]
struct ModuleDefaults {
    entrypoint: Option<String>,
    /// As `--dir` values.
    volumes: Vec<String>,
    /// As `--env` values.
    environment: Vec<String>,
    argv: Option<String>,
    concurrency: Option<u32>,
}

/// Reads a `modules.toml`: its routes, with module and volume paths relative to its directory.
fn read_config(file: &Path) -> anyhow::Result<Vec<(Route, PathBuf, ModuleDefaults)>> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|e| anyhow!("cannot read `{shown}`: {e}"))?;
    let config = lucent_wagi::config::parse(&text).map_err(|e| anyhow!("`{shown}`: {e}"))?;
    for warning in &config.warnings {
        tracing::warn!(target: "lucent::serve", "`{shown}`: {warning}");
    }
    let base = file.parent().unwrap_or(Path::new("."));
    Ok(config
        .modules
        .into_iter()
        .map(|m: ModuleConfig| {
            let volumes =
                m.volumes.iter().map(|(guest, host)| format!("{}::{guest}", base.join(host).display())).collect();
            let environment = m.environment.iter().map(|(name, value)| format!("{name}={value}")).collect();
            let extra = ModuleDefaults {
                entrypoint: m.entrypoint,
                volumes,
                environment,
                argv: m.argv,
                concurrency: m.http_max_concurrency,
            };
            (Route::parse(&m.route), base.join(&m.module), extra)
        })
        .collect())
}

impl Apps {
    /// Runs `job` in a fresh instance of `app`.
    pub(crate) async fn run(&self, app: &App, job: Job) -> Ran {
        match self.try_run(app, job).await {
            Ok(ran) => ran,
            Err(e) => Ran::Failed(format!("{e:#}")),
        }
    }

    async fn try_run(&self, app: &App, job: Job) -> anyhow::Result<Ran> {
        let timings = &self.timings;
        timings.requests.fetch_add(1, Ordering::Relaxed);
        let phase = Instant::now();
        let stdout = Arc::new(OutputBytes::new(self.max_response_body));
        let mut builder = context_builder(&app.guest, &self.mounts)?
            .args(job.argv)
            .stdin(Arc::new(InputBytes::new(job.body.to_vec())))
            .stdout(stdout.clone())
            .stderr(Arc::new(crate::stderr::LogLines::new(job.id)));
        for (name, value) in job.env.iter().filter(|(name, _)| !app.configured.contains(name)) {
            builder = builder.env(name, value);
        }
        let wasi = builder.wrap_sched(|sched| Arc::new(OffExecutor(sched))).build().map_err(|e| anyhow!("{e}"))?;
        let until = Instant::now().checked_add(self.timeout).unwrap_or_else(far_future);
        let mut store = Store::new(&self.engine, Guest { wasi, budget: MemoryBudget::new(self.max_memory), until });
        store.limiter(|guest| &mut guest.budget);
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel).map_err(|e| anyhow!("{}", one_line(&e)))?;
        }
        lucent_wasmtime::interrupt_on_stop_or_yield(&mut store, |guest: &Guest| &guest.wasi);
        let _deadline = self.deadlines.add(self.timeout, store.data().wasi.stop_handle());
        let phase = Timings::add(&timings.context_ns, phase);
        let result = match app.pre.instantiate_async(&mut store).await {
            Ok(instance) => {
                let phase = Timings::add(&timings.instantiate_ns, phase);
                let start = instance
                    .get_typed_func::<(), ()>(&mut store, &app.entrypoint)
                    .map_err(|e| anyhow!("{}", one_line(&e)))?;
                store.data().wasi.start_clocks();
                // The one instance in the store: its hostcalls skip looking the memory up.
                let memory = instance.get_memory(&mut store, "memory");
                store.data_mut().wasi.bind_memory(memory);
                let result = start.call_async(&mut store, ()).await;
                Timings::add(&timings.run_ns, phase);
                result
            }
            Err(e) if !raised_by_guest(&e) => {
                let why = store.data().budget.refused().unwrap_or_else(|| one_line(&e));
                return Ok(Ran::Failed(format!("cannot instantiate `{}`: {why}", app.shown)));
            }
            Err(e) => Err(e),
        };
        let (stdout, overflowed) = stdout.take();
        if store.data().wasi.is_stopped() {
            return Ok(Ran::TimedOut);
        }
        if overflowed {
            // Whatever the guest did once its write was refused (a panic is common).
            return Ok(Ran::Overflowed);
        }
        Ok(match result {
            Ok(()) => Ran::Finished { status: 0, stdout },
            Err(e) => match e.downcast_ref::<Exit>() {
                Some(exit) => Ran::Finished { status: exit.0, stdout },
                None => Ran::Trapped(one_line(&e)),
            },
        })
    }
}
