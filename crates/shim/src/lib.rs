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
//! The modules of an image (an `application/wasm` layer, or the modules in its filesystem
//! layers) are compiled ahead of time by the shim's [`LucentCompiler`] when its first
//! container is created and stored by containerd beside the layer, so later containers of the
//! image start without compiling.

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

    fn supported_layers_types() -> &'static [&'static str] {
        &LAYER_TYPES
    }

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

/// Layers that are a WebAssembly module.
const WASM_LAYER_TYPES: [&str; 2] =
    ["application/wasm", "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm"];

/// Filesystem layers (tar, perhaps gzip): in an image whose platform is `wasm`, the shim
/// compiles the modules in them ahead of time too (containerd before 1.6.25 or 1.7.7 refuses
/// images with WebAssembly layers, so there the module is a file).
const FS_LAYER_TYPES: [&str; 4] = [
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
];

/// Every layer type the shim asks containerd-shim-wasm for.
const LAYER_TYPES: [&str; 6] = [
    WASM_LAYER_TYPES[0],
    WASM_LAYER_TYPES[1],
    FS_LAYER_TYPES[0],
    FS_LAYER_TYPES[1],
    FS_LAYER_TYPES[2],
    FS_LAYER_TYPES[3],
];

/// The first member of what the compiler makes of a filesystem layer: a tar archive of the
/// compiled modules found in it, each named `lucent-aot/<BLAKE3 of the module's bytes>`.
const BUNDLE_MARK: &str = "lucent-aot-v1";

/// The largest module in a filesystem layer that is compiled ahead of time.
const MAX_LAYER_MODULE: u64 = 1 << 30;

fn media_type(layer: &WasmLayer) -> String {
    layer.config.media_type().to_string()
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
    // `NAME=VALUE` only: `--env NAME` alone would pass the shim's own value.
    for env in envs.iter().filter(|e| e.contains('=')) {
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
    out.push(format!("--argv0={}", entrypoint(args)).into());
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

/// The entrypoint as the spec names it: `args[0]` without `#function`.
fn entrypoint(args: &[String]) -> &str {
    args.first().map_or("", |a| a.split_once('#').map_or(a.as_str(), |(path, _)| path))
}

/// The layers that are bundles the compiler made of filesystem layers.
fn bundles(layers: &[WasmLayer]) -> impl Iterator<Item = &WasmLayer> {
    layers.iter().filter(|l| l.precompiled && FS_LAYER_TYPES.contains(&media_type(l).as_str()))
}

/// Compiled code for `module` in the bundles the compiler made of filesystem layers.
fn bundled(layers: &[WasmLayer], module: &[u8]) -> Option<Vec<u8>> {
    let name = format!("lucent-aot/{}", blake3::hash(module).to_hex());
    for bundle in bundles(layers) {
        let mut archive = tar::Archive::new(bundle.layer.as_slice());
        let Ok(mut entries) = archive.entries() else { continue };
        if entries.next().and_then(Result::ok).is_none_or(|e| e.path_bytes().as_ref() != BUNDLE_MARK.as_bytes()) {
            continue;
        }
        for mut entry in entries.flatten() {
            if entry.path_bytes().as_ref() == name.as_bytes() {
                let mut code = Vec::new();
                return std::io::Read::read_to_end(&mut entry, &mut code).ok().map(|_| code);
            }
        }
    }
    None
}

/// Where the runner finds the module: a path, whether it is compiled code, and the memory
/// file that path names (kept open while the module runs).
fn locate(args: &[String], module: Module) -> anyhow::Result<(PathBuf, bool, Option<std::fs::File>)> {
    let layers = match module {
        Module::File(path) => return Ok((path, false, None)),
        Module::Layers(layers) => layers,
    };
    let modules: Vec<&WasmLayer> =
        layers.iter().filter(|l| WASM_LAYER_TYPES.contains(&media_type(l).as_str())).collect();
    match modules.as_slice() {
        [layer] => {
            let (file, path) = memory_file(&layer.layer)?;
            Ok((path, layer.precompiled, Some(file)))
        }
        [] => {
            // Filesystem layers: the module is the entrypoint's file; compiled code for it is
            // used when a bundle has code for exactly these bytes (read and hashed only when
            // there is a bundle to look in).
            let path = std::path::absolute(entrypoint(args)).unwrap_or_else(|_| PathBuf::from(entrypoint(args)));
            if bundles(&layers).next().is_none() {
                return Ok((path, false, None));
            }
            let bytes =
                std::fs::read(&path).map_err(|e| anyhow::anyhow!("cannot read module `{}`: {e}", path.display()))?;
            match bundled(&layers, &bytes) {
                Some(code) => {
                    let (file, memory) = memory_file(&code)?;
                    Ok((memory, true, Some(file)))
                }
                None => Ok((path, false, None)),
            }
        }
        more => bail!("the image has {} WebAssembly layers; one is run", more.len()),
    }
}

/// Runs the container's module to its end, in this thread, and returns the exit status.
fn run_container(args: &[String], envs: &[String], module: Module, func: &str) -> i32 {
    let failed = |e: anyhow::Error| {
        eprintln!("containerd-shim-lucent: {e:#}");
        i32::from(lucent_runner::run::FAILURE_STATUS)
    };
    let (path, precompiled, _memory_file) = match locate(args, module) {
        Ok(found) => found,
        Err(e) => return failed(e),
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

    /// Compiles one layer: a module layer to its code (`None` for what is not a core module:
    /// left as it is), a filesystem layer to a bundle of the code of every module in it.
    ///
    /// # Errors
    ///
    /// A module layer that does not compile, a filesystem layer that cannot be read.
    pub fn compile_layer(&self, layer: &WasmLayer) -> anyhow::Result<Option<Vec<u8>>> {
        let kind = media_type(layer);
        if FS_LAYER_TYPES.contains(&kind.as_str()) {
            let gzip = kind.ends_with("gzip");
            return self.bundle(&layer.layer, gzip).map(Some);
        }
        let bytes = &layer.layer;
        if !is_core_module(bytes) {
            return Ok(None);
        }
        self.compile_module(bytes).map(Some)
    }

    fn compile_module(&self, bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.engine.precompile_module(bytes).map_err(|e| {
            anyhow::anyhow!("cannot compile the WebAssembly layer: {}", lucent_runner::compile::one_line(&e))
        })
    }

    /// The bundle of a filesystem layer (see [`BUNDLE_MARK`]): every regular file that is a
    /// core module, compiled; a module that does not compile is left out (it is compiled, and
    /// refused, when a container starts). Read as a stream: a layer is never held unpacked.
    fn bundle(&self, blob: &[u8], gzip: bool) -> anyhow::Result<Vec<u8>> {
        let reader: Box<dyn std::io::Read + '_> =
            if gzip { Box::new(flate2::read::GzDecoder::new(blob)) } else { Box::new(blob) };
        let mut archive = tar::Archive::new(reader);
        let mut out = tar::Builder::new(Vec::new());
        let mut add = |name: &str, bytes: &[u8]| {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o444);
            out.append_data(&mut header, name, bytes)
        };
        add(BUNDLE_MARK, b"")?;
        for entry in archive.entries().context("cannot read the layer")? {
            let mut entry = entry.context("cannot read the layer")?;
            if entry.header().entry_type() != tar::EntryType::Regular || entry.size() > MAX_LAYER_MODULE {
                continue;
            }
            let mut head = [0u8; 8];
            if std::io::Read::read_exact(&mut entry, &mut head).is_err() || !is_core_module(&head) {
                continue;
            }
            let mut module = head.to_vec();
            std::io::Read::read_to_end(&mut entry, &mut module).context("cannot read the layer")?;
            if let Ok(code) = self.compile_module(&module) {
                add(&format!("lucent-aot/{}", blake3::hash(&module).to_hex()), &code)?;
            }
        }
        Ok(out.into_inner()?)
    }
}

/// Whether `bytes` begin as a core WebAssembly module (components have another version).
fn is_core_module(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\0asm\x01\0\0\0")
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
