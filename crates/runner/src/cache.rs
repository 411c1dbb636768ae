//! A compile cache on disk: compiled modules keyed by the module's bytes, the engine's
//! configuration and Lucent's version, loaded by memory-mapping the artifact (no copy, no
//! decompression), so that a warm start of a large module costs about what a precompiled
//! `.cwasm` costs.
//!
//! ```no_run
//! use lucent_runner::cache::ModuleCache;
//! use wasmtime::{Engine, Module};
//!
//! let engine = Engine::new(&lucent_wasmtime::default_config())?;
//! let dir = ModuleCache::default_dir().ok_or("no cache directory")?;
//! let cache = ModuleCache::open(&dir)?;
//! let mut file = std::fs::File::open("prog.wasm")?;
//! let module = cache.load(&engine, &mut file, |bytes| Module::new(&engine, bytes))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Trust
//!
//! An artifact is native code that runs in the host process, so the cache must only ever map
//! what this cache wrote. Three things make sure of it:
//!
//! - **No guest reaches the cache.** A runner that gives guests host directories withholds
//!   the cache directory from them (`lucent_host::Withheld`, by device and inode): no path
//!   beneath any preopen enters it, and the directories above it cannot be renamed.
//! - **Every record is authenticated.** The cache directory holds a per-user secret, `key`
//!   (32 random bytes, mode 0400, one link, owned by this user); a key file that is anything
//!   else is replaced, which invalidates every entry. Each entry carries a MAC (keyed BLAKE3)
//!   over its record and the artifact's bytes, checked before the artifact is mapped; index
//!   records carry one too. A file written by anyone without the key is rejected, with a
//!   warning (target [`TARGET`]), and the module is compiled again.
//! - **Ownership and modes.** The directories must be this user's and closed to everyone
//!   else (0700), artifacts read-only with a single link.
//!
//! Precompiled artifacts from `lucent compile` are a different matter: native code the user
//! vouches for, loaded only through [`load_precompiled_trusted`].
//!
//! # Layout
//!
//! - `key`: the secret above;
//! - `modules/KEY.cwasm`: the artifact of [`Module::serialize`], read-only, never written in
//!   place (written to a temporary file, synced, renamed);
//! - `modules/KEY.entry`: written after the artifact (atomically too): the key, the
//!   artifact's length, device, inode and change time, and the MAC. An artifact is mapped
//!   only if one `fstat` of the opened file matches its entry before and after its bytes are
//!   authenticated;
//! - `index/DEV-INO`: for a module file, its length, modification and change times and the
//!   hash of its bytes, so that an unchanged module is not read and hashed again. An index
//!   entry is written only when the module's change time was more than [`RACY_WINDOW`]
//!   before its bytes were read (git's "racily clean" rule: a file changed again within the
//!   same timestamp tick would keep its change time).
//!
//! The key is a BLAKE3 hash of Lucent's version, wasmtime's
//! [`Engine::precompile_compatibility_hash`] (its version, target, compiler flags and
//! compile-affecting configuration) and the BLAKE3 hash of the module's bytes.
//!
//! Nothing here fails a run: a cache that cannot be read or written is logged (target
//! [`TARGET`], `DEBUG` level; rejected entries at `WARN`) and the module is compiled as if
//! there were no cache.

// A cache directory may be written by others: nothing here panics or wraps on what it reads.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation
    )
)]

use std::collections::HashMap;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wasmtime::{Engine, Module};

/// The `tracing` target of the cache's log lines: `hit`, `miss`, `rejected` (an entry that
/// failed its checks), `stored`, and why the cache could not be used.
pub const TARGET: &str = "lucent::cache";

/// How long after a module's change time its bytes must have been read for the index to
/// trust its metadata. Two seconds covers filesystems with coarse timestamps (FAT has 2 s).
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// The first line of an entry record; a change of format changes it.
const ENTRY_HEADER: &str = "lucent-cache-entry 2";
/// The first line of an index record.
const INDEX_HEADER: &str = "lucent-cache-index 2";
/// Domain separation for the key hash (a new format is a new key space: old entries are
/// never looked up).
const KEY_CONTEXT: &str = "lucent 2026 compile cache key v2";
/// Domain separation of the MACs of entry and index records.
const ENTRY_MAC_CONTEXT: &[u8] = b"lucent compile cache entry\0";
const INDEX_MAC_CONTEXT: &[u8] = b"lucent compile cache index\0";
/// The name of the cache's secret, in the cache directory.
const SECRET_FILE: &str = "key";
/// The length of the secret, in bytes (a BLAKE3 key).
const SECRET_LEN: usize = 32;

/// A compile cache in a directory owned by this user and writable by no one else.
#[derive(Debug, Clone)]
pub struct ModuleCache {
    root: PathBuf,
    modules: PathBuf,
    index: PathBuf,
    uid: u32,
    /// The per-user secret records are authenticated with.
    secret: Secret,
}

/// The cache's secret: the key of its MACs.
#[derive(Clone)]
struct Secret([u8; SECRET_LEN]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// A keyed hasher for records of one kind (`context`).
    fn hasher(&self, context: &[u8]) -> blake3::Hasher {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(context);
        hasher
    }

    /// Appends the MAC line and the end line to an index record's `body`.
    fn seal_index(&self, mut body: String) -> String {
        let mac = self.index_mac(&body);
        body.push_str(&format!("mac {}\n{END}", mac.to_hex()));
        body
    }

    /// The MAC of an index record's `body`.
    fn index_mac(&self, body: &str) -> blake3::Hash {
        self.hasher(INDEX_MAC_CONTEXT).update(body.as_bytes()).finalize()
    }

    /// The MAC of an entry record's `body` and its artifact's bytes (the body's length first,
    /// so that no byte can move from one to the other).
    fn entry_mac(&self, body: &str, artifact: &[u8]) -> blake3::Hash {
        let mut hasher = self.hasher(ENTRY_MAC_CONTEXT);
        hasher.update(&u64::try_from(body.len()).unwrap_or(u64::MAX).to_le_bytes());
        hasher.update(body.as_bytes());
        // Both cores for large artifacts: CPython's is 245 MB.
        hasher.update_rayon(artifact);
        hasher.finalize()
    }
}

/// Splits a sealed record into its body (everything before the `mac` line, which is last)
/// and its MAC.
fn unseal(text: &str) -> Option<(&str, blake3::Hash)> {
    let rest = text.strip_suffix(END)?;
    let at = rest.rfind("\nmac ")?.checked_add(1)?;
    let (body, mac_line) = rest.split_at_checked(at)?;
    let hex = mac_line.strip_prefix("mac ")?.strip_suffix('\n')?;
    Some((body, blake3::Hash::from_hex(hex).ok()?))
}

/// The cache key of a module under an engine.
type Key = blake3::Hash;

/// What identifies a version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Stamp {
    fn of(meta: &Metadata) -> Stamp {
        let ns = |secs: i64, nsec: i64| i128::from(secs).saturating_mul(1_000_000_000).saturating_add(i128::from(nsec));
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
        }
    }

    fn write(&self, out: &mut String) {
        let Stamp { dev, ino, len, mtime_ns, ctime_ns } = self;
        out.push_str(&format!("dev {dev}\nino {ino}\nlen {len}\nmtime_ns {mtime_ns}\nctime_ns {ctime_ns}\n"));
    }

    fn read(fields: &Fields<'_>) -> Option<Stamp> {
        Some(Stamp {
            dev: fields.get("dev")?,
            ino: fields.get("ino")?,
            len: fields.get("len")?,
            mtime_ns: fields.get("mtime_ns")?,
            ctime_ns: fields.get("ctime_ns")?,
        })
    }
}

/// The last line of every record, so that a truncated record does not parse.
const END: &str = "end\n";

/// The `name value` lines of a record's body, after its header line.
struct Fields<'a>(HashMap<&'a str, &'a str>);

impl<'a> Fields<'a> {
    fn parse(body: &'a str, header: &str) -> Option<Fields<'a>> {
        let mut lines = body.lines();
        if lines.next()? != header {
            return None;
        }
        lines.map(|line| line.split_once(' ')).collect::<Option<HashMap<_, _>>>().map(Fields)
    }

    fn get<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.0.get(name)?.parse().ok()
    }
}

/// Feeds a [`std::hash::Hash`] value into BLAKE3.
struct Blake3Hasher<'a>(&'a mut blake3::Hasher);

impl std::hash::Hasher for Blake3Hasher<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        u64::from_le_bytes(self.0.finalize().as_bytes().first_chunk().copied().unwrap_or_default())
    }
}

/// The key of a module (by the hash of its bytes) under `engine`.
fn entry_key(engine: &Engine, module_hash: &blake3::Hash) -> Key {
    use std::hash::Hash as _;
    let mut hasher = blake3::Hasher::new_derive_key(KEY_CONTEXT);
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(&[0]);
    engine.precompile_compatibility_hash().hash(&mut Blake3Hasher(&mut hasher));
    hasher.update(module_hash.as_bytes());
    hasher.finalize()
}

/// Nanoseconds since 1970 now.
fn now_ns() -> i128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX))
}

/// Maps a compiled artifact into memory and makes a module of it.
///
/// Only [`ModuleCache::get`] and [`load_precompiled_trusted`] call it, with files whose origin
/// they have established.
#[allow(unsafe_code)]
fn map_artifact(engine: &Engine, file: File) -> wasmtime::Result<Module> {
    // SAFETY: wasmtime requires the file to be the unmodified output of `Module::serialize`
    // or `Engine::precompile_module`, and to stay unchanged while the module lives. The
    // callers guarantee the first: a cache entry is mapped only after its bytes, read through
    // this very descriptor, were authenticated with the cache's secret (`ModuleCache::get`),
    // and one `fstat` before and after matched the entry's record; so these are bytes this
    // cache wrote for this module and engine. A `.cwasm` given to `load_precompiled_trusted`
    // is as trusted as an executable its caller chose to run. For the second, Lucent never
    // writes an artifact in place: entries are read-only and replaced by rename, which leaves
    // a mapped inode alone, and no guest can reach the cache directory. wasmtime itself
    // checks the artifact's format, version and engine configuration.
    unsafe { Module::deserialize_open_file(engine, file) }
}

/// Computes `f` over the bytes of `file`, mapped read-only (nothing is copied).
///
/// Only [`ModuleCache::get`] calls it, on an artifact in the cache directory, before it
/// trusts it.
#[allow(unsafe_code)]
fn with_mapped<R>(file: &File, f: impl FnOnce(&[u8]) -> R) -> io::Result<R> {
    // SAFETY: `memmap2` requires that the file not be changed while the map is alive, or the
    // slice would change under a shared reference. The file is an artifact in the cache
    // directory: read-only, with one link, in a directory no guest can reach and no other
    // user can write; Lucent never writes an artifact in place. The map lives only for `f`,
    // which hashes it; a change in that time would also show in the `fstat` the caller
    // compares before and after, and the artifact would be refused.
    let map = unsafe { memmap2::Mmap::map(file)? };
    Ok(f(&map))
}

/// Loads a precompiled artifact (from `lucent compile` or [`Engine::precompile_module`]) by
/// mapping it into memory.
///
/// The artifact is native code: loading it gives it the host process's powers, which the
/// WebAssembly sandbox cannot limit. Only pass files as trusted as a program you would run
/// (the `lucent` command asks for `--allow-precompiled`).
///
/// # Errors
///
/// If the file is not an artifact of this wasmtime, or was compiled with a configuration
/// incompatible with `engine`'s.
pub fn load_precompiled_trusted(engine: &Engine, file: File) -> wasmtime::Result<Module> {
    map_artifact(engine, file)
}

/// Writes `contents` to `path` atomically: a new temporary file beside it (with `mode`: the
/// files of the cache are never written again), renamed over it. Returns the file, still open, after the rename.
fn write_atomically(path: &Path, contents: &[u8], sync: bool, mode: u32) -> io::Result<File> {
    let dir = path.parent().ok_or_else(|| io::Error::other("no parent directory"))?;
    let name = path.file_name().ok_or_else(|| io::Error::other("no file name"))?.to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), now_ns()));
    let mut file = OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp)?;
    let written = file.write_all(contents).and_then(|()| if sync { file.sync_data() } else { Ok(()) });
    if let Err(e) = written.and_then(|()| fs::rename(&temp, path)) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    Ok(file)
}

/// Why a secret file cannot be trusted, if it cannot.
fn untrusted_secret(meta: &Metadata, uid: u32) -> Option<&'static str> {
    if !meta.file_type().is_file() {
        Some("is not a regular file")
    } else if meta.uid() != uid {
        Some("is not owned by this user")
    } else if meta.mode() & 0o7777 != 0o400 {
        Some("is not mode 0400")
    } else if meta.nlink() != 1 {
        Some("has other links")
    } else if meta.len() != u64::try_from(SECRET_LEN).unwrap_or(0) {
        Some("has the wrong length")
    } else {
        None
    }
}

/// Reads the secret at `path`, or makes a new one if there is none or it is not one this
/// cache could have made (then every entry authenticated with the old one is compiled again).
fn load_secret(path: &Path, uid: u32) -> io::Result<Secret> {
    match fs::symlink_metadata(path) {
        Ok(meta) => match untrusted_secret(&meta, uid) {
            None => {
                let mut file = File::open(path)?;
                let opened = file.metadata()?;
                let mut secret = [0; SECRET_LEN];
                if (opened.dev(), opened.ino()) == (meta.dev(), meta.ino()) && untrusted_secret(&opened, uid).is_none()
                {
                    file.read_exact(&mut secret)?;
                    return Ok(Secret(secret));
                }
                tracing::warn!(target: TARGET, "the cache's secret {} changed while read: making a new one", path.display());
            }
            Some(why) => {
                tracing::warn!(target: TARGET, "the cache's secret {} {why}: making a new one (every cached module will be compiled again)", path.display());
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut secret = [0; SECRET_LEN];
    getrandom::fill(&mut secret).map_err(|e| io::Error::other(format!("no randomness for the cache's secret: {e}")))?;
    // Written whole and synced under a temporary name, then renamed into place: a reader never
    // sees a partial secret, and two runs making one at once each end with a whole one (the
    // entries of the one that lost are compiled again).
    write_atomically(path, &secret, true, 0o400)?;
    Ok(Secret(secret))
}

impl ModuleCache {
    /// The default cache directory: `$LUCENT_CACHE_DIR`, else `$XDG_CACHE_HOME/lucent`, else
    /// `$HOME/.cache/lucent` (`None` if none of these is set).
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        var("LUCENT_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").filter(|p| p.is_absolute()).map(|p| p.join("lucent")))
            .or_else(|| var("HOME").map(|p| p.join(".cache/lucent")))
    }

    /// Opens the cache in `dir`, creating it (mode 0700) and its secret if needed.
    ///
    /// # Errors
    ///
    /// If the directory cannot be created, or is not owned by this user, or is open to its
    /// group or others (anyone who can write there could make this process run their code,
    /// anyone who can read there could forge entries), or the secret cannot be made.
    pub fn open(dir: &Path) -> io::Result<ModuleCache> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        let modules = dir.join("modules");
        let index = dir.join("index");
        builder.create(&modules)?;
        builder.create(&index)?;
        let uid = lucent_host::effective_uid();
        for path in [dir, &modules, &index] {
            let meta = fs::metadata(path)?;
            if meta.uid() != uid || meta.mode() & 0o077 != 0 {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{} is not a directory that only its owner (this user) can use", path.display()),
                ));
            }
        }
        let secret = load_secret(&dir.join(SECRET_FILE), uid)?;
        let tag = dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            let _ = write_atomically(
                &tag,
                b"Signature: 8a477f597d28d172789f06886806bc55\n# Lucent's compile cache: safe to delete.\n",
                false,
                0o444,
            );
        }
        Ok(ModuleCache { root: dir.to_path_buf(), modules, index, uid, secret })
    }

    /// The cache directory, as given to [`ModuleCache::open`]: what a runner withholds from
    /// its guests.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// Loads the module in `file`: from the cache if it holds an artifact of these bytes for
    /// this engine, else by calling `compile` with the bytes and storing the result.
    ///
    /// # Errors
    ///
    /// What reading `file` or `compile` returns. Failures of the cache itself are only logged.
    pub fn load<E: From<io::Error>>(
        &self,
        engine: &Engine,
        file: &mut File,
        compile: impl FnOnce(&[u8]) -> Result<Module, E>,
    ) -> Result<Module, E> {
        let stamp = Stamp::of(&file.metadata()?);
        let indexed = self.indexed_hash(&stamp);
        if let Some(hash) = &indexed
            && let Some(module) = self.get(engine, &entry_key(engine, hash))
        {
            return Ok(module);
        }
        // Read and hash the bytes; what is compiled and stored is keyed by what was read.
        let started = now_ns();
        file.rewind()?;
        let mut bytes = Vec::with_capacity(usize::try_from(stamp.len).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        let hash = blake3::hash(&bytes);
        if indexed != Some(hash) && Stamp::of(&file.metadata()?) == stamp {
            self.remember(&stamp, &hash, started);
        }
        let key = entry_key(engine, &hash);
        if indexed != Some(hash)
            && let Some(module) = self.get(engine, &key)
        {
            return Ok(module);
        }
        let module = compile(&bytes)?;
        self.store(&key, &module);
        Ok(module)
    }

    /// The hash of a module's bytes from the index, if its file is unchanged since it was
    /// hashed and was not changed within [`RACY_WINDOW`] before that.
    fn indexed_hash(&self, stamp: &Stamp) -> Option<blake3::Hash> {
        let path = self.index.join(format!("{:x}-{:x}", stamp.dev, stamp.ino));
        let text = fs::read_to_string(path).ok()?;
        let (body, mac) = unseal(&text)?;
        if self.secret.index_mac(body) != mac {
            tracing::warn!(target: TARGET, "index: a record was not written by this cache (its MAC does not match); ignoring it");
            return None;
        }
        let fields = Fields::parse(body, INDEX_HEADER)?;
        let hashed_at: i128 = fields.get("hashed_at_ns")?;
        let racy = stamp.ctime_ns.saturating_add(RACY_WINDOW.as_nanos().try_into().ok()?) >= hashed_at;
        if Stamp::read(&fields)? != *stamp || racy {
            tracing::debug!(target: TARGET, "index: the module changed since it was hashed");
            return None;
        }
        let hash = blake3::Hash::from_hex(fields.get::<String>("hash")?).ok()?;
        tracing::debug!(target: TARGET, "index: the module is unchanged since it was hashed");
        Some(hash)
    }

    /// Records the hash of a module file's bytes, read from `started`, unless the file changed
    /// too recently to be told apart from a later change.
    fn remember(&self, stamp: &Stamp, hash: &blake3::Hash, started: i128) {
        let window = i128::try_from(RACY_WINDOW.as_nanos()).unwrap_or(i128::MAX);
        if stamp.ctime_ns.saturating_add(window) >= started {
            tracing::debug!(target: TARGET, "index: the module changed too recently to be indexed");
            return;
        }
        let mut body = format!("{INDEX_HEADER}\n");
        stamp.write(&mut body);
        body.push_str(&format!("hashed_at_ns {started}\nhash {}\n", hash.to_hex()));
        let record = self.secret.seal_index(body);
        let path = self.index.join(format!("{:x}-{:x}", stamp.dev, stamp.ino));
        if let Err(e) = write_atomically(&path, record.as_bytes(), false, 0o444) {
            tracing::debug!(target: TARGET, "index: cannot write {}: {e}", path.display());
        }
    }

    /// The cached module for `key`, if its entry passes every check.
    fn get(&self, engine: &Engine, key: &Key) -> Option<Module> {
        let hex = key.to_hex();
        let record = match fs::read_to_string(self.modules.join(format!("{hex}.entry"))) {
            Ok(record) => record,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::debug!(target: TARGET, "miss {hex}");
                return None;
            }
            Err(e) => {
                tracing::debug!(target: TARGET, "rejected {hex}: cannot read its entry: {e}");
                return None;
            }
        };
        let file = match self.check_entry(&hex, &record) {
            Ok(file) => file,
            Err(reason) => {
                tracing::warn!(target: TARGET, "rejected {hex}: {reason}; compiling the module again");
                return None;
            }
        };
        match map_artifact(engine, file) {
            Ok(module) => {
                tracing::debug!(target: TARGET, "hit {hex}");
                Some(module)
            }
            Err(e) => {
                tracing::warn!(target: TARGET, "rejected {hex}: wasmtime refused the artifact: {e}");
                None
            }
        }
    }

    /// Opens the artifact of `hex` and checks it against its entry `record`: its owner, mode
    /// and links, its metadata, and the MAC over the record and the artifact's bytes.
    fn check_entry(&self, hex: &str, record: &str) -> Result<File, String> {
        let (body, mac) = unseal(record).ok_or("its entry is malformed")?;
        let fields = Fields::parse(body, ENTRY_HEADER).ok_or("its entry is malformed")?;
        if fields.get::<String>("key").as_deref() != Some(hex) {
            return Err("its entry names another key".into());
        }
        let recorded = Stamp::read(&fields).ok_or("its entry is incomplete")?;
        let path = self.modules.join(format!("{hex}.cwasm"));
        let file = File::open(&path).map_err(|e| format!("cannot open: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
        // The artifact itself, not a symlink to a file elsewhere.
        let named = fs::symlink_metadata(&path).map_err(|e| format!("cannot stat: {e}"))?;
        if !named.file_type().is_file() || (named.dev(), named.ino()) != (meta.dev(), meta.ino()) {
            return Err("the artifact is not a regular file in the cache".into());
        }
        if meta.uid() != self.uid || meta.mode() & 0o222 != 0 || meta.nlink() != 1 {
            return Err("the artifact is writable, has other links, or is not owned by this user".into());
        }
        if Stamp::of(&meta) != recorded {
            return Err("the artifact changed since it was written (length, inode or change time)".into());
        }
        let computed = with_mapped(&file, |bytes| self.secret.entry_mac(body, bytes))
            .map_err(|e| format!("cannot read the artifact: {e}"))?;
        if computed != mac {
            return Err("the artifact or its entry was not written by this cache (the MAC does not match)".into());
        }
        let after = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
        if Stamp::of(&after) != recorded {
            return Err("the artifact changed while it was checked".into());
        }
        Ok(file)
    }

    /// Stores the compiled `module` under `key`: the artifact, synced, then its entry.
    fn store(&self, key: &Key, module: &Module) {
        let hex = key.to_hex();
        let stored = (|| -> Result<(), String> {
            let bytes = module.serialize().map_err(|e| format!("cannot serialize: {e}"))?;
            let artifact = self.modules.join(format!("{hex}.cwasm"));
            let file =
                write_atomically(&artifact, &bytes, true, 0o444).map_err(|e| format!("{}: {e}", artifact.display()))?;
            // After the rename, which may change the change time.
            let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
            let mut record = format!("{ENTRY_HEADER}\nkey {hex}\n");
            Stamp::of(&meta).write(&mut record);
            let mac = self.secret.entry_mac(&record, &bytes);
            record.push_str(&format!("mac {}\n{END}", mac.to_hex()));
            let entry = self.modules.join(format!("{hex}.entry"));
            write_atomically(&entry, record.as_bytes(), false, 0o444)
                .map_err(|e| format!("{}: {e}", entry.display()))?;
            Ok(())
        })();
        match stored {
            Ok(()) => tracing::debug!(target: TARGET, "stored {hex}"),
            Err(e) => tracing::debug!(target: TARGET, "cannot store {hex}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_reject_garbage() {
        let stamp = Stamp { dev: 1, ino: 2, len: 3, mtime_ns: -4, ctime_ns: 5_000_000_000_000_000_000 };
        let mut body = format!("{ENTRY_HEADER}\n");
        stamp.write(&mut body);
        let fields = Fields::parse(&body, ENTRY_HEADER).unwrap();
        assert_eq!(Stamp::read(&fields), Some(stamp));
        assert!(Fields::parse(&body, INDEX_HEADER).is_none());
        assert!(Fields::parse("", ENTRY_HEADER).is_none());
        // A sealed record: every cut of it fails to unseal.
        let secret = Secret([7; SECRET_LEN]);
        let sealed = secret.seal_index(body.clone());
        let (unsealed, mac) = unseal(&sealed).unwrap();
        assert_eq!(unsealed, body);
        assert_eq!(secret.index_mac(unsealed), mac);
        for cut in 1..sealed.len() {
            let damaged = &sealed[..cut];
            assert!(unseal(damaged).is_none_or(|(b, m)| b != body || m != mac), "{cut}");
        }
    }

    #[test]
    fn macs_depend_on_the_secret_the_record_and_the_artifact() {
        let (a, b) = (Secret([1; SECRET_LEN]), Secret([2; SECRET_LEN]));
        assert_ne!(a.entry_mac("body", b"code"), b.entry_mac("body", b"code"));
        assert_ne!(a.entry_mac("body", b"code"), a.entry_mac("bodx", b"code"));
        assert_ne!(a.entry_mac("body", b"code"), a.entry_mac("body", b"codf"));
        // Entry and index MACs of the same bytes differ.
        let index = a.index_mac("body");
        assert_ne!(index, a.entry_mac("body", b""));
    }

    #[test]
    fn the_secret_is_made_once_and_replaced_when_it_is_not_ours() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SECRET_FILE);
        let uid = lucent_host::effective_uid();
        let first = load_secret(&path, uid).unwrap();
        let meta = fs::symlink_metadata(&path).unwrap();
        assert_eq!((meta.mode() & 0o7777, meta.nlink(), meta.len()), (0o400, 1, 32));
        assert_eq!(load_secret(&path, uid).unwrap().0, first.0, "read back, not made again");
        // Readable by others, or with a second name, or a symlink: replaced.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
        let second = load_secret(&path, uid).unwrap();
        assert_ne!(second.0, first.0);
        fs::hard_link(&path, dir.path().join("copy")).unwrap();
        let third = load_secret(&path, uid).unwrap();
        assert_ne!(third.0, second.0);
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(dir.path().join("copy"), &path).unwrap();
        let fourth = load_secret(&path, uid).unwrap();
        assert_ne!(fourth.0, second.0);
        assert!(!fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
    }

    #[test]
    fn the_key_depends_on_the_module_and_the_configuration() {
        let plain = Engine::new(&lucent_wasmtime::default_config()).unwrap();
        let mut config = lucent_wasmtime::default_config();
        config.consume_fuel(true);
        let fuel = Engine::new(&config).unwrap();
        let (a, b) = (blake3::hash(b"a"), blake3::hash(b"b"));
        assert_eq!(entry_key(&plain, &a), entry_key(&Engine::new(&lucent_wasmtime::default_config()).unwrap(), &a));
        assert_ne!(entry_key(&plain, &a), entry_key(&plain, &b));
        assert_ne!(entry_key(&plain, &a), entry_key(&fuel, &a));
    }

    #[test]
    fn the_index_trusts_only_files_changed_well_before_they_were_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::open(&dir.path().join("cache")).unwrap();
        let module = dir.path().join("m.wasm");
        fs::write(&module, b"bytes").unwrap();
        let stamp = Stamp::of(&fs::metadata(&module).unwrap());
        let hash = blake3::hash(b"bytes");
        let window = i128::try_from(RACY_WINDOW.as_nanos()).unwrap();
        // Hashed within the window after its last change: not recorded.
        cache.remember(&stamp, &hash, stamp.ctime_ns + window);
        assert_eq!(cache.indexed_hash(&stamp), None);
        // Hashed after it: recorded, and trusted while the file's metadata is the same.
        cache.remember(&stamp, &hash, stamp.ctime_ns + window + 1);
        assert_eq!(cache.indexed_hash(&stamp), Some(hash));
        for changed in [
            Stamp { ctime_ns: stamp.ctime_ns + 1, ..stamp },
            Stamp { mtime_ns: stamp.mtime_ns + 1, ..stamp },
            Stamp { len: stamp.len + 1, ..stamp },
        ] {
            assert_eq!(cache.indexed_hash(&changed), None, "{changed:?}");
        }
        // A record whose hashing time is within the window is not trusted either, even with a
        // good MAC; one whose MAC is wrong is not trusted at all.
        let path = cache.index.join(format!("{:x}-{:x}", stamp.dev, stamp.ino));
        let (body, _) = unseal(&fs::read_to_string(&path).unwrap()).map(|(b, m)| (b.to_owned(), m)).unwrap();
        let clean = format!("hashed_at_ns {}", stamp.ctime_ns + window + 1);
        let racy = body.replace(&clean, &format!("hashed_at_ns {}", stamp.ctime_ns + window));
        fs::remove_file(&path).unwrap();
        fs::write(&path, cache.secret.seal_index(racy)).unwrap();
        assert_eq!(cache.indexed_hash(&stamp), None);
        fs::remove_file(&path).unwrap();
        fs::write(&path, Secret([9; SECRET_LEN]).seal_index(body.clone())).unwrap();
        assert_eq!(cache.indexed_hash(&stamp), None);
        fs::remove_file(&path).unwrap();
        fs::write(&path, cache.secret.seal_index(body)).unwrap();
        assert_eq!(cache.indexed_hash(&stamp), Some(hash));
        fs::remove_file(&path).unwrap();
    }
}
