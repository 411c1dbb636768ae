//! `containerd-shim-lucent-v1`: Lucent as a containerd runtime (`io.containerd.lucent.v1`).
//!
//! Built on runwasi's `containerd-shim-wasm`, which speaks containerd's shim v2 protocol and
//! makes the container (namespaces, cgroup, the image's root filesystem as `/` through
//! pivot_root, containerd's stdio on descriptors 0–2). In that container process it calls
//! [`LucentSandbox`]'s `run_wasi`, which runs the module with Lucent's runner library, as
//! `lucent run` would with the arguments [`run_args`] builds:
//!
//! - the module is the container's entrypoint (a path in the image; `path#function` calls
//!   another export), or the image's one WebAssembly layer;
//! - the arguments and the environment are the OCI spec's process args and env;
//! - the root filesystem is preopened as `/`, with `/proc`, `/sys` and `/dev` withheld: the
//!   kernel's files are the runtime's, not the guest's (`/proc/self/mem` is this process);
//! - the container's memory limit (its cgroup's) less a reserve for the runtime itself
//!   ([`guest_memory`]) is the guest's `--max-memory`;
//! - the exit status is the guest's (`proc_exit`), 134 after a trap (reported on stderr), 1
//!   when the module cannot be run (the reason on stderr);
//! - SIGTERM, SIGINT and SIGQUIT end the guest at once, whatever it is doing (it is the
//!   container's PID 1, which the kernel gives no default action): the status is 128 + the
//!   signal.
//!
//! Images with WebAssembly layers (`application/wasm`) are compiled ahead of time by the
//! shim's [`LucentCompiler`] and stored by containerd beside the layer, so later containers
//! of the image start without compiling.

use anyhow::{Context, bail};
use clap::Parser;
use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::sandbox::context::{Entrypoint, RuntimeContext, Source, WasmLayer};
use containerd_shim_wasm::shim::{Compiler, Shim, Version, version};
use lucent_runner::options::RunArgs;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The shim: its name makes the binary `containerd-shim-lucent-v1`.
pub struct LucentShim;

impl Shim for LucentShim {
    fn name() -> &'static str {
        "lucent"
    }

    fn version() -> Version {
        version!()
    }

    type Sandbox = LucentSandbox;

    #[allow(refining_impl_trait)]
    async fn compiler() -> Option<LucentCompiler> {
        match LucentCompiler::new() {
            Ok(compiler) => Some(compiler),
            Err(e) => {
                // Modules are then compiled when each container starts.
                eprintln!("containerd-shim-lucent: no ahead-of-time compiler: {e:#}");
                None
            }
        }
    }
}

/// Runs one container's module.
#[derive(Default)]
pub struct LucentSandbox;

/// The kernel's file systems in a container, which no guest may enter.
pub const WITHHELD: [&str; 3] = ["/proc", "/sys", "/dev"];

/// The command line `lucent run` would be given for a container: `args` and `envs` are the
/// OCI spec's (`args[0]` the entrypoint, perhaps with `#function`), `module` where the module
/// is, `max_memory` the guest's limit. The guest sees `args[0]` without the `#function`.
pub fn run_args(
    args: &[String],
    envs: &[String],
    module: &Path,
    func: &str,
    max_memory: Option<u64>,
    precompiled: bool,
) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec!["containerd-shim-lucent-v1".into(), "--dir".into(), "/::/".into()];
    // The compile cache would be in the container's own file system, beside the guest.
    out.push("--no-cache".into());
    for env in envs {
        out.push(format!("--env={env}").into());
    }
    if let Some(bytes) = max_memory {
        out.push(format!("--max-memory={bytes}").into());
    }
    if func != "_start" {
        out.push(format!("--invoke={func}").into());
    }
    if precompiled {
        // Compiled by this shim's compiler and kept in containerd's content store.
        out.push("--allow-precompiled".into());
    }
    let argv0 = args.first().map(|a| a.split_once('#').map_or(a.as_str(), |(path, _)| path));
    out.push(format!("--argv0={}", argv0.unwrap_or_default()).into());
    out.push("--".into());
    out.push(module.into());
    out.extend(args.iter().skip(1).map(OsString::from));
    out
}

/// What the runtime keeps for itself out of a container's memory limit: the engine, the
/// compiler while the module is compiled, the stacks. A quarter of the limit, at least 16 MiB
/// and at most 64 MiB.
pub fn guest_memory(limit: u64) -> u64 {
    let reserve = (limit / 4).clamp(16 << 20, 64 << 20);
    limit.saturating_sub(reserve).max(limit / 2)
}

/// The memory limit of this process's cgroup, read from `cgroup` (the text of
/// `/proc/self/cgroup`) and files under `root` (`/sys/fs/cgroup`); `None` when there is
/// none. cgroup v1's `memory` hierarchy and cgroup v2 are read; inside a container the
/// hierarchy may be mounted at the container's own cgroup, so the file at the top counts too.
pub fn cgroup_memory_limit(cgroup: &str, root: &Path) -> Option<u64> {
    for line in cgroup.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let path = path.trim_start_matches('/');
        let candidates: Vec<PathBuf> = if controllers.split(',').any(|c| c == "memory") {
            let top = root.join("memory");
            vec![top.join(path).join("memory.limit_in_bytes"), top.join("memory.limit_in_bytes")]
        } else if controllers.is_empty() {
            vec![root.join(path).join("memory.max"), root.join("memory.max")]
        } else {
            continue;
        };
        for file in candidates {
            let Ok(text) = std::fs::read_to_string(&file) else { continue };
            // "max" (v2) or a huge page-rounded number (v1) is no limit.
            return text.trim().parse::<u64>().ok().filter(|&bytes| bytes < 1 << 62);
        }
    }
    None
}

/// A module given as bytes (a layer), as a file the runner can open: an anonymous memory
/// file, named through `/proc/self/fd` (the container has `/proc`; the guest does not).
fn memory_file(bytes: &[u8]) -> anyhow::Result<(std::fs::File, PathBuf)> {
    let fd = rustix::fs::memfd_create("lucent-module", rustix::fs::MemfdFlags::CLOEXEC)
        .context("cannot make a memory file for the module")?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes).context("cannot write the module to a memory file")?;
    use std::os::fd::AsRawFd;
    let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    Ok((file, path))
}

/// The front-end the arguments are parsed by (the runner's options, as `lucent run` has them).
#[derive(Parser)]
#[command(name = "containerd-shim-lucent-v1")]
struct Front {
    #[command(flatten)]
    run: RunArgs,
}

/// Where a container's module is: a file in the image, or the image's WebAssembly layers.
enum Module {
    File(PathBuf),
    Layers(Vec<WasmLayer>),
}

/// Runs the container's module to its end, in this thread, and returns the exit status.
fn run_container(args: &[String], envs: &[String], module: Module, func: &str) -> i32 {
    let failed = |e: anyhow::Error| {
        eprintln!("containerd-shim-lucent: {e:#}");
        i32::from(lucent_runner::run::FAILURE_STATUS)
    };
    let (path, precompiled, _memory_file) = match module {
        Module::File(path) => (path, false, None),
        Module::Layers(layers) => match layers.as_slice() {
            [layer] => match memory_file(&layer.layer) {
                Ok((file, path)) => (path, layer.precompiled, Some(file)),
                Err(e) => return failed(e),
            },
            _ => return failed(anyhow::anyhow!("the image has {} WebAssembly layers; one is run", layers.len())),
        },
    };
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let max_memory = cgroup_memory_limit(&cgroup, Path::new("/sys/fs/cgroup")).map(guest_memory);
    let argv = run_args(args, envs, &path, func, max_memory, precompiled);
    let mut front = match Front::try_parse_from(argv) {
        Ok(front) => front,
        Err(e) => return failed(anyhow::anyhow!("{e}")),
    };
    front.run.guest.withhold =
        WITHHELD.iter().map(|dir| (PathBuf::from(dir), format!("the container's {dir}"))).collect();
    match lucent_runner::run::run_process(&front.run) {
        Ok(outcome) => i32::from(lucent_runner::run::outcome_status(&outcome)),
        Err(e) => failed(e),
    }
}

impl Sandbox for LucentSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> anyhow::Result<i32> {
        use tokio::signal::unix::{SignalKind, signal};
        // Listening before the guest starts: a signal that comes first is not lost.
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut quit = signal(SignalKind::quit())?;
        let args = ctx.args().to_vec();
        let envs = ctx.envs().to_vec();
        let Entrypoint { func, source, .. } = ctx.entrypoint();
        let module = match source {
            Source::File(path) => Module::File(path),
            Source::Oci(layers) => Module::Layers(layers.to_vec()),
        };
        // The guest runs on a thread of its own; when a signal comes first, returning ends the
        // process (the guest's thread with it), whatever the guest is doing.
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("guest".into())
            .spawn(move || {
                let _ = done_tx.send(run_container(&args, &envs, module, &func));
            })
            .context("cannot start the guest's thread")?;
        let signalled = |signal: i32| {
            let _ = std::io::stdout().flush();
            Ok::<i32, anyhow::Error>(128 + signal)
        };
        tokio::select! {
            status = done_rx => match status {
                Ok(status) => Ok(status),
                Err(_) => bail!("the guest's thread ended without a status"),
            },
            _ = terminate.recv() => signalled(15),
            _ = interrupt.recv() => signalled(2),
            _ = quit.recv() => signalled(3),
        }
    }
}

/// Compiles WebAssembly layers ahead of time, with the engine configuration the runner uses
/// for a container's module, so that `run_wasi` loads them without compiling.
pub struct LucentCompiler {
    engine: wasmtime::Engine,
}

impl LucentCompiler {
    /// The compiler for the configuration containers run with.
    ///
    /// # Errors
    ///
    /// If the engine cannot be configured.
    pub fn new() -> anyhow::Result<LucentCompiler> {
        let front = Front::try_parse_from(run_args(&[], &[], Path::new("m.wasm"), "_start", None, false))?;
        let codegen = lucent_runner::compile::Codegen::of_guest(&front.run.guest);
        Ok(LucentCompiler { engine: lucent_runner::compile::engine(codegen, None)? })
    }

    /// Compiles one layer: `None` for what is not a WebAssembly module (left as it is).
    ///
    /// # Errors
    ///
    /// A module that does not compile.
    pub fn compile_layer(&self, layer: &WasmLayer) -> anyhow::Result<Option<Vec<u8>>> {
        let bytes = &layer.layer;
        if wasmtime::Engine::detect_precompiled(bytes).is_some() || !bytes.starts_with(b"\0asm") {
            return Ok(None);
        }
        // Components are not run by this shim; a core module's version field is 1.
        if bytes.get(4..8) != Some(&[1, 0, 0, 0][..]) {
            return Ok(None);
        }
        self.engine.precompile_module(bytes).map(Some).map_err(|e| {
            anyhow::anyhow!("cannot compile the WebAssembly layer: {}", lucent_runner::compile::one_line(&e))
        })
    }
}

impl Compiler for LucentCompiler {
    fn cache_key(&self) -> impl std::hash::Hash {
        (env!("CARGO_PKG_VERSION"), self.engine.precompile_compatibility_hash())
    }

    async fn compile(&self, layers: &[WasmLayer]) -> anyhow::Result<Vec<Option<Vec<u8>>>> {
        // One answer per layer, in order (the crate refuses a batch of another length).
        layers.iter().map(|layer| self.compile_layer(layer)).collect()
    }
}

#[cfg(test)]
mod tests;
