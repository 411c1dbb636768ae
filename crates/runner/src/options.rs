//! The options of a run and of an ahead-of-time compile, as every front-end takes them: the
//! CLI's `lucent run` and `lucent compile` flatten these (they derive `clap::Args`), and a
//! library user fills them in directly.

use clap::Args;
use std::ffi::OsString;
use std::path::PathBuf;

/// Options of `lucent compile`.
#[derive(Args, Debug)]
pub struct CompileArgs {
    /// Where to write the artifact (default: MODULE with the extension `.cwasm`).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Compile for runs with --deterministic (canonical NaNs, deterministic relaxed SIMD).
    #[arg(long)]
    pub deterministic: bool,

    /// Compile for runs with --timeout (interruption checks are compiled in; the duration is
    /// given to `lucent run`, and any duration here means the same).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<u64>,

    /// Compile for runs with --fuel (fuel metering is compiled in; the amount is given to
    /// `lucent run`, and any amount here means the same).
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,

    /// The WebAssembly module to compile (binary `.wasm` or text `.wat`).
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,
}

/// The options of every front-end that runs guests (`lucent run`, `lucent serve`): what the
/// guest's context holds (directories, environment, clocks, randomness), its limits, and how
/// its module is loaded.
#[derive(Args, Debug, Clone)]
pub struct GuestArgs {
    /// Give the guest a host directory: HOST, or HOST::GUEST to name it differently inside;
    /// HOST::GUEST:ro makes it read-only (nothing beneath it can be written, created, renamed,
    /// linked or removed); HOST::GUEST:quota=SIZE caps what the guest can add to the disk beneath it
    /// (suffixes K, M, G): file data in whole blocks, and every new file, directory, symlink
    /// and link; beyond it calls fail with `dquot`. HOST::GUEST:overlay lays an in-memory
    /// layer over it: the guest creates, changes, renames and deletes freely (files are copied
    /// up on their first change) and the host directory is never written; `:quota=SIZE` is
    /// then the in-memory layer's size (default 64M, past it `nospc`). Repeatable. Nothing
    /// outside these directories is visible to the guest.
    #[arg(long = "dir", value_name = "HOST[::GUEST[:ro|:overlay][:quota=SIZE]]")]
    pub dirs: Vec<String>,

    /// Give the guest an empty in-memory directory named GUEST (as `docker run --tmpfs`),
    /// gone when the guest ends: files, directories, symlinks and hard links in this process's
    /// memory, no disk touched. `:size=SIZE` caps it (suffixes K, M, G; default 64M), counting
    /// what the host holds for it (data, and the bookkeeping of every file, directory and
    /// name): beyond it writes and creations fail with `nospc` and nothing is half-written.
    /// Repeatable; the preopens come after the `--dir` ones.
    #[arg(long = "tmpfs", value_name = "GUEST[:size=SIZE]")]
    pub tmpfs: Vec<String>,

    /// Give the guest a read-only tree from a tar archive (plain or gzip) at GUEST: loaded
    /// once, shared by every instance, symlinks and times kept. A plain archive is mapped and
    /// its files are read from it in place; a gzip one is decompressed into memory (at most
    /// 1 GiB). Members that would leave the mount (absolute names, `..`, symlinks pointing
    /// out), duplicates and devices are refused when it is loaded, naming the member.
    /// `:overlay` makes it writable with an in-memory layer over it (64M; fresh for every
    /// instance, the image unchanged). Repeatable; the preopens come after the `--tmpfs` ones.
    #[arg(long = "image", value_name = "ARCHIVE::GUEST[:overlay]")]
    pub images: Vec<String>,

    /// Set an environment variable for the guest; `--env NAME` alone passes the host's value
    /// (repeatable).
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub envs: Vec<String>,

    /// Listen on a TCP address and hand the listening socket to the guest (repeatable). The
    /// sockets get the descriptors after the preopens, in order; with port 0 the chosen
    /// address is printed on stderr.
    #[arg(long = "tcplisten", value_name = "HOST:PORT")]
    pub tcplisten: Vec<String>,

    /// Pass the whole host environment to the guest (`--env` entries take precedence).
    #[arg(long)]
    pub inherit_env: bool,

    /// Round every clock the guest reads (realtime, monotonic, CPU time) down to this
    /// granularity, e.g. `100us`, `1ms`, `1s` (units: ns, us, ms, s); `clock_res_get` reports
    /// it. This blunts timing side channels; it cannot stop a guest from counting loop
    /// iterations.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub clock_resolution: Option<u64>,

    /// Make the run reproducible: virtual clocks (realtime starts at --start-time, monotonic
    /// and CPU time start at 0 and advance 1us per read, and by the requested amount when the
    /// guest sleeps, without really sleeping), `random_get` from ChaCha20 seeded with
    /// --random-seed (default 0), directory listings sorted by name, and canonical NaNs.
    /// Not made deterministic: what the guest reads from stdin, files and sockets, host file
    /// timestamps and inode numbers, and the timing of real I/O waits.
    #[arg(long)]
    pub deterministic: bool,

    /// Seed `random_get` (ChaCha20) with this number, making it reproducible.
    #[arg(long, value_name = "N")]
    pub random_seed: Option<u64>,

    /// With --deterministic: the virtual realtime clock's start, in seconds since 1970
    /// (default 946684800, 2000-01-01 UTC).
    #[arg(long, value_name = "UNIX_SECONDS", default_value_t = 946_684_800)]
    pub start_time: u64,

    /// Limit what the instance's linear memories and tables take together to this many bytes
    /// (suffixes K, M, G: KiB, MiB, GiB; a table element counts 8 bytes). Growth beyond fails
    /// as the spec says (`memory.grow` returns -1); a module whose initial memories and tables
    /// do not fit is not run.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_memory: Option<u64>,

    /// Stop the guest after this much wall time (e.g. `200ms`, `10s`): `lucent run` then exits
    /// with status 124, `lucent serve` answers 504 (its default is 30s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<u64>,

    /// Give the guest this much fuel (about one unit per WebAssembly instruction); running out
    /// is a trap.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,

    /// The most native stack the guest's WebAssembly may use, in bytes (suffixes K, M);
    /// deeper recursion is a stack-overflow trap.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_wasm_stack: Option<u64>,

    /// The most descriptors the guest may hold open at once (default 1024); opening more
    /// fails with `nfile`.
    #[arg(long, value_name = "N")]
    pub max_open_files: Option<u32>,

    /// Satisfy imports Lucent does not provide with functions that trap when called, so that a
    /// module with unused foreign imports can still run.
    #[arg(long)]
    pub trap_unknown_imports: bool,

    /// Compile without the compile cache: neither look for the module there nor store it.
    /// By default compiled modules are kept in $LUCENT_CACHE_DIR, else $XDG_CACHE_HOME/lucent,
    /// else ~/.cache/lucent, and loaded from there when the same module is run again with
    /// the same code-changing options (--deterministic, --timeout, --fuel).
    #[arg(long)]
    pub no_cache: bool,

    /// Keep the compile cache in this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,

    /// Allow MODULE to be a precompiled artifact (`.cwasm`, from `lucent compile`). It is
    /// native code, and is loaded into the runner as it is: only for artifacts you trust as
    /// much as a program you would run. WebAssembly modules are sandboxed either way.
    #[arg(long)]
    pub allow_precompiled: bool,

    /// Host directories no guest may enter through any preopen, with what each is (for
    /// messages), besides the compile caches, which are always withheld. Not an option: a
    /// front-end that preopens a whole filesystem sets it (the containerd shim withholds the
    /// container's `/proc`, `/sys` and `/dev`).
    #[arg(skip)]
    pub withhold: Vec<(PathBuf, String)>,
}

/// Options of `lucent run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The guest's context, limits and loading.
    #[command(flatten)]
    pub guest: GuestArgs,

    /// The program name the guest sees as argv[0] (default: MODULE as given).
    #[arg(long, value_name = "NAME")]
    pub argv0: Option<String>,

    /// Call this exported function instead of `_start`. Reactors (modules exporting
    /// `_initialize`) are initialised first. If the function takes parameters, ARGS are its
    /// parameters (integers or floats); otherwise ARGS are the guest's arguments, as for
    /// `_start`. Its results are printed, one per line.
    #[arg(long, value_name = "NAME")]
    pub invoke: Option<String>,

    /// For threaded modules (wasi-threads): the most threads running at once, the main thread
    /// included; creating more fails in the guest (`pthread_create` returns `EAGAIN`).
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_threads: u32,

    /// Print one line per hostcall on stderr: the call with its decoded arguments, and its
    /// result or errno.
    #[arg(long)]
    pub trace: bool,

    /// The WebAssembly module to run (binary `.wasm`, text `.wat`, or with
    /// --allow-precompiled a `.cwasm` from `lucent compile`).
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,

    /// Arguments for the guest (after the program name).
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

/// Parses a duration such as `100us`, `1ms`, `2s` or `500ns` into nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration like 100us or 1ms"))?;
    let scale: u64 = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return Err(format!("`{text}`: the unit must be ns, us, ms or s")),
    };
    let ns = number.checked_mul(scale).ok_or_else(|| format!("`{text}` is too long"))?;
    if ns == 0 {
        return Err(format!("`{text}` must be more than zero"));
    }
    Ok(ns)
}

/// Parses a size such as `4096`, `64K`, `16M` or `1G` (binary multiples) into bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a size like 4096, 64K or 16M"))?;
    let scale: u64 = match unit {
        "" => 1,
        "K" | "k" | "KiB" => 1 << 10,
        "M" | "m" | "MiB" => 1 << 20,
        "G" | "g" | "GiB" => 1 << 30,
        _ => return Err(format!("`{text}`: the suffix must be K, M or G")),
    };
    number.checked_mul(scale).ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("100us"), Ok(100_000));
        assert_eq!(parse_duration("1ms"), Ok(1_000_000));
        assert_eq!(parse_duration("2s"), Ok(2_000_000_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert!(parse_duration("1").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("0ms").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("99999999999999999s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(65536));
        assert_eq!(parse_size("2M"), Ok(2 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("1T").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
