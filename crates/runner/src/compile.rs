//! The engine, and modules: compiled from `.wasm`/`.wat` (through the compile cache unless
//! `--no-cache`), loaded from a precompiled `.cwasm`, or written as one by `lucent compile`.

use crate::cache::ModuleCache;
use crate::options::{CompileArgs, GuestArgs};
use anyhow::{anyhow, bail};
use std::fs::File;
use std::io::{IsTerminal, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wasmtime::{Engine, Module, Precompiled};

/// The options that change the compiled code: an artifact is only usable by runs with the same.
#[derive(Debug, Clone, Copy)]
pub struct Codegen {
    /// `--deterministic`: canonical NaNs, deterministic relaxed SIMD.
    pub deterministic: bool,
    /// `--timeout`: epoch checks compiled in.
    pub epoch_interruption: bool,
    /// `--fuel`: fuel metering compiled in.
    pub fuel: bool,
}

impl Codegen {
    /// The code-changing options of a run.
    pub fn of_guest(args: &GuestArgs) -> Codegen {
        Codegen {
            deterministic: args.deterministic,
            epoch_interruption: args.timeout.is_some(),
            fuel: args.fuel.is_some(),
        }
    }

    /// The code-changing options of `lucent compile`.
    pub fn of_compile(args: &CompileArgs) -> Codegen {
        Codegen {
            deterministic: args.deterministic,
            epoch_interruption: args.timeout.is_some(),
            fuel: args.fuel.is_some(),
        }
    }
}

/// One line: the error and its causes, separated by `: `.
pub fn one_line(e: &wasmtime::Error) -> String {
    e.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

/// The engine for `codegen`, with a stack limit (which does not change the code).
pub fn engine(codegen: Codegen, max_wasm_stack: Option<u64>) -> anyhow::Result<Engine> {
    Engine::new(&config(codegen, max_wasm_stack)?).map_err(|e| anyhow!("{}", one_line(&e)))
}

/// The engine's configuration for `codegen`, for a front-end to add to (the server: the
/// pooling allocator).
pub fn config(codegen: Codegen, max_wasm_stack: Option<u64>) -> anyhow::Result<wasmtime::Config> {
    let mut config = lucent_wasmtime::default_config();
    if codegen.deterministic {
        config.cranelift_nan_canonicalization(true).relaxed_simd_deterministic(true);
    }
    // Each costs a little speed, so only when asked for.
    config.epoch_interruption(codegen.epoch_interruption).consume_fuel(codegen.fuel);
    if let Some(stack) = max_wasm_stack {
        config.max_wasm_stack(usize::try_from(stack).map_err(|_| anyhow!("--max-wasm-stack is too large"))?);
    }
    Ok(config)
}

/// The first bytes of an ELF file, as precompiled artifacts are.
const ELF_MAGIC: &[u8; 4] = b"\x7fELF";

/// Refuses bytes that are neither binary nor text WebAssembly, with a clear message.
fn check_source(bytes: &[u8], shown: &str) -> anyhow::Result<()> {
    let binary = bytes.starts_with(b"\0asm");
    let text = !binary
        && std::str::from_utf8(bytes).is_ok_and(|s| {
            let s = s.trim_start();
            s.starts_with('(') || s.starts_with(";;")
        });
    if bytes.starts_with(ELF_MAGIC) {
        bail!("`{shown}` is an ELF file, not a WebAssembly module");
    }
    if !binary && !text {
        bail!("`{shown}` is not a WebAssembly module (no `\\0asm` header, and not WebAssembly text)");
    }
    Ok(())
}

/// Compiles a binary or text module, showing progress if it takes a while.
fn compile_bytes(engine: &Engine, bytes: &[u8], path: &Path) -> anyhow::Result<Module> {
    let shown = path.display().to_string();
    check_source(bytes, &shown)?;
    let _progress = Progress::start(path, bytes.len());
    Module::new(engine, bytes).map_err(|e| anyhow!("cannot compile `{shown}`: {}", one_line(&e)))
}

/// Reads all of `file` (the module at `shown`).
fn read_all(file: &mut File, shown: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| anyhow!("cannot read module `{shown}`: {e}"))?;
    Ok(bytes)
}

/// The cache's log target.
const CACHE_LOG: &str = crate::cache::TARGET;

/// The compile cache a run uses, if it can (why not is logged).
pub fn cache(args: &GuestArgs) -> Option<ModuleCache> {
    if args.no_cache {
        return None;
    }
    let Some(dir) = args.cache_dir.clone().or_else(ModuleCache::default_dir) else {
        tracing::debug!(target: CACHE_LOG, "no cache directory: set LUCENT_CACHE_DIR, XDG_CACHE_HOME or HOME");
        return None;
    };
    ModuleCache::open(&dir)
        .inspect_err(|e| tracing::debug!(target: CACHE_LOG, "not using the cache in {}: {e}", dir.display()))
        .ok()
}

/// Loads the module at `path`: a precompiled artifact (if `args` allow them), or a binary or
/// text module compiled through `cache`.
pub fn load_module(
    engine: &Engine,
    args: &GuestArgs,
    path: &Path,
    cache: Option<&ModuleCache>,
) -> anyhow::Result<Module> {
    let shown = path.display().to_string();
    let mut file = File::open(path).map_err(|e| anyhow!("cannot read module `{shown}`: {e}"))?;
    let meta = file.metadata().map_err(|e| anyhow!("cannot read module `{shown}`: {e}"))?;
    if !meta.is_file() {
        // A pipe, say: nothing to key a cache entry on.
        let bytes = read_all(&mut file, &shown)?;
        return compile_bytes(engine, &bytes, path);
    }
    let mut magic = [0; 4];
    let magic_len = file.read_at(&mut magic, 0).map_err(|e| anyhow!("cannot read module `{shown}`: {e}"))?;
    if magic_len == magic.len() && &magic == ELF_MAGIC {
        return load_precompiled(engine, file, path, args.allow_precompiled);
    }
    match cache {
        Some(cache) => {
            cache.load(engine, &mut file, |bytes| compile_bytes(engine, bytes, path)).map_err(|e| match e
                .downcast_ref::<std::io::Error>()
            {
                Some(io) => anyhow!("cannot read module `{shown}`: {io}"),
                None => e,
            })
        }
        None => compile_bytes(engine, &read_all(&mut file, &shown)?, path),
    }
}

/// The bytes the shared memories of the module at `path` defines may grow to (see
/// [`lucent_wasmtime::defined_shared_memory_bytes`]), read again from the file: 0 for a
/// precompiled artifact (trusted as a program is) and for a module that is not a regular file
/// (it was read once, and is not read again).
pub fn defined_shared_memory_bytes(path: &Path) -> anyhow::Result<u64> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| anyhow!("cannot read module `{shown}`: {e}"))?;
    if !meta.is_file() {
        return Ok(0);
    }
    let bytes = std::fs::read(path).map_err(|e| anyhow!("cannot read module `{shown}`: {e}"))?;
    if bytes.starts_with(ELF_MAGIC) {
        return Ok(0);
    }
    let wasm = wat::parse_bytes(&bytes).map_err(|e| anyhow!("cannot read module `{shown}`: {e}"))?;
    Ok(lucent_wasmtime::defined_shared_memory_bytes(&wasm))
}

/// Loads a precompiled artifact, if the command line allows it.
fn load_precompiled(engine: &Engine, file: File, path: &Path, allowed: bool) -> anyhow::Result<Module> {
    let shown = path.display();
    match Engine::detect_precompiled_file(path) {
        Ok(Some(Precompiled::Module)) => {}
        Ok(Some(Precompiled::Component)) => bail!("`{shown}` is a precompiled component; Lucent runs modules"),
        _ => bail!("`{shown}` is an ELF file, not a WebAssembly module or a precompiled artifact"),
    }
    if !allowed {
        bail!(
            "`{shown}` is a precompiled artifact: native code, which the sandbox cannot check; run it with --allow-precompiled if you trust it as you would a program"
        );
    }
    crate::cache::load_precompiled_trusted(engine, file).map_err(|e| {
        anyhow!(
            "cannot load precompiled `{shown}`: {} (compile it again with `lucent compile` and the same --deterministic, --timeout and --fuel options as this run)",
            one_line(&e)
        )
    })
}

/// `lucent compile`: writes the precompiled artifact of a module.
pub fn compile(args: &CompileArgs) -> anyhow::Result<()> {
    let engine = engine(Codegen::of_compile(args), None)?;
    let shown = args.module.display().to_string();
    let bytes = std::fs::read(&args.module).map_err(|e| anyhow!("cannot read module `{shown}`: {e}"))?;
    if Engine::detect_precompiled(&bytes).is_some() {
        bail!("`{shown}` is already precompiled");
    }
    check_source(&bytes, &shown)?;
    let output = args.output.clone().unwrap_or_else(|| args.module.with_extension("cwasm"));
    if output == args.module {
        bail!("`{shown}` would be overwritten: name the artifact with -o OUT");
    }
    let artifact = {
        let _progress = Progress::start(&args.module, bytes.len());
        engine.precompile_module(&bytes).map_err(|e| anyhow!("cannot compile `{shown}`: {}", one_line(&e)))?
    };
    std::fs::write(&output, artifact).map_err(|e| anyhow!("cannot write `{}`: {e}", output.display()))
}

/// While it lives, a line on stderr, if stderr is a terminal, saying how long a module has
/// been compiling: `lucent: compiling python.wasm (99 MB)… 3.1 s`. Quick compiles show
/// nothing; the line is cleared when done.
struct Progress {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Compiles shorter than this show nothing.
    const DELAY: Duration = Duration::from_millis(500);
    /// How often the line is redrawn.
    const TICK: Duration = Duration::from_millis(100);

    fn start(path: &Path, len: usize) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { stop: None, thread: None };
        }
        let name = path.file_name().unwrap_or(path.as_os_str()).to_string_lossy().into_owned();
        let size = if len >= 1_000_000 { format!("{} MB", len / 1_000_000) } else { format!("{} KB", len / 1_000) };
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut wait = Self::DELAY;
            let mut shown = false;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                eprint!("\rlucent: compiling {name} ({size})… {:.1} s", started.elapsed().as_secs_f64());
                (shown, wait) = (true, Self::TICK);
            }
            if shown {
                eprint!("\r\x1b[2K");
            }
        });
        Progress { stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
