//! A compile cache on disk: compiled modules keyed by the module's bytes, the engine's
//! configuration and Lucent's version, loaded by memory-mapping the artifact (no copy, no
//! decompression), so that a warm start of a large module costs about what a precompiled
//! `.cwasm` costs.
//!
//! ```no_run
//! use lucent_wasmtime::cache::ModuleCache;
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
//! Layout beneath the cache directory:
//!
//! - `modules/KEY.cwasm`: the artifact of [`Module::serialize`], read-only, never written in
//!   place (written to a temporary file, synced, renamed);
//! - `modules/KEY.entry`: written after the artifact (atomically too): the key and the
//!   artifact's length, device, inode and change time. An artifact is mapped only if one
//!   `fstat` of the opened file matches its entry, so a truncated, rewritten or swapped file
//!   is recompiled, never run;
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
//! [`TARGET`], `DEBUG` level) and the module is compiled as if there were no cache.

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
const ENTRY_HEADER: &str = "lucent-cache-entry 1";
/// The first line of an index record.
const INDEX_HEADER: &str = "lucent-cache-index 1";
/// Domain separation for the key hash.
const KEY_CONTEXT: &str = "lucent 2025 compile cache key v1";

/// A compile cache in a directory owned by this user and writable by no one else.
#[derive(Debug, Clone)]
pub struct ModuleCache {
    modules: PathBuf,
    index: PathBuf,
    uid: u32,
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

/// The `name value` lines of a record between its header line and [`END`].
struct Fields<'a>(HashMap<&'a str, &'a str>);

impl<'a> Fields<'a> {
    fn parse(text: &'a str, header: &str) -> Option<Fields<'a>> {
        let mut lines = text.strip_suffix(END)?.lines();
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
    // callers guarantee the first: a cache entry is mapped only if it lies in a directory
    // owned by this user and writable by no one else, is itself owned by this user and not
    // writable by others, and one `fstat` of this very descriptor matches the length, device,
    // inode and change time recorded (after the artifact was synced and renamed into place)
    // in its entry record, which names the same key; so these are the bytes this cache wrote
    // for this module and engine, unless this user (or root) rewrote them in place within
    // one timestamp tick. A `.cwasm` given to `load_precompiled_trusted` is as trusted as an
    // executable its caller chose to run. For the second, Lucent never writes an artifact in
    // place: entries are read-only and replaced by rename, which leaves a mapped inode alone.
    // wasmtime itself checks the artifact's format, version and engine configuration.
    unsafe { Module::deserialize_open_file(engine, file) }
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

/// Writes `contents` to `path` atomically: a new read-only temporary file beside it, renamed
/// over it. Returns the file, still open, after the rename.
fn write_atomically(path: &Path, contents: &[u8], sync: bool) -> io::Result<File> {
    let dir = path.parent().ok_or_else(|| io::Error::other("no parent directory"))?;
    let name = path.file_name().ok_or_else(|| io::Error::other("no file name"))?.to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), now_ns()));
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o444).open(&temp)?;
    let written = file.write_all(contents).and_then(|()| if sync { file.sync_data() } else { Ok(()) });
    if let Err(e) = written.and_then(|()| fs::rename(&temp, path)) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    Ok(file)
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

    /// Opens the cache in `dir`, creating it (mode 0700) if needed.
    ///
    /// # Errors
    ///
    /// If the directory cannot be created, or is not owned by this user, or is writable by
    /// its group or others (anyone who can write there could make this process run their code).
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
            if meta.uid() != uid || meta.mode() & 0o022 != 0 {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{} is not a directory that only its owner (this user) can write", path.display()),
                ));
            }
        }
        let tag = dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            let _ = write_atomically(
                &tag,
                b"Signature: 8a477f597d28d172789f06886806bc55\n# Lucent's compile cache: safe to delete.\n",
                false,
            );
        }
        Ok(ModuleCache { modules, index, uid })
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
        let fields = Fields::parse(&text, INDEX_HEADER)?;
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
        let mut record = format!("{INDEX_HEADER}\n");
        stamp.write(&mut record);
        record.push_str(&format!("hashed_at_ns {started}\nhash {}\n{END}", hash.to_hex()));
        let path = self.index.join(format!("{:x}-{:x}", stamp.dev, stamp.ino));
        if let Err(e) = write_atomically(&path, record.as_bytes(), false) {
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
                tracing::debug!(target: TARGET, "rejected {hex}: {reason}");
                return None;
            }
        };
        match map_artifact(engine, file) {
            Ok(module) => {
                tracing::debug!(target: TARGET, "hit {hex}");
                Some(module)
            }
            Err(e) => {
                tracing::debug!(target: TARGET, "rejected {hex}: wasmtime refused the artifact: {e}");
                None
            }
        }
    }

    /// Opens the artifact of `hex` and checks it against its entry `record`.
    fn check_entry(&self, hex: &str, record: &str) -> Result<File, String> {
        let fields = Fields::parse(record, ENTRY_HEADER).ok_or("its entry is malformed")?;
        if fields.get::<String>("key").as_deref() != Some(hex) {
            return Err("its entry names another key".into());
        }
        let recorded = Stamp::read(&fields).ok_or("its entry is incomplete")?;
        let file = File::open(self.modules.join(format!("{hex}.cwasm"))).map_err(|e| format!("cannot open: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
        if meta.uid() != self.uid || meta.mode() & 0o022 != 0 {
            return Err("the artifact is writable by others or not owned by this user".into());
        }
        if Stamp::of(&meta) != recorded {
            return Err("the artifact changed since it was written (length, inode or change time)".into());
        }
        Ok(file)
    }

    /// Stores the compiled `module` under `key`: the artifact, synced, then its entry.
    fn store(&self, key: &Key, module: &Module) {
        let hex = key.to_hex();
        let stored = (|| -> Result<(), String> {
            let bytes = module.serialize().map_err(|e| format!("cannot serialize: {e}"))?;
            let artifact = self.modules.join(format!("{hex}.cwasm"));
            let file = write_atomically(&artifact, &bytes, true).map_err(|e| format!("{}: {e}", artifact.display()))?;
            // After the rename, which may change the change time.
            let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
            let mut record = format!("{ENTRY_HEADER}\nkey {hex}\n");
            Stamp::of(&meta).write(&mut record);
            record.push_str(END);
            let entry = self.modules.join(format!("{hex}.entry"));
            write_atomically(&entry, record.as_bytes(), false).map_err(|e| format!("{}: {e}", entry.display()))?;
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
        let mut text = format!("{ENTRY_HEADER}\n");
        stamp.write(&mut text);
        text.push_str(END);
        let fields = Fields::parse(&text, ENTRY_HEADER).unwrap();
        assert_eq!(Stamp::read(&fields), Some(stamp));
        assert!(Fields::parse(&text, INDEX_HEADER).is_none());
        for cut in 1..text.len() {
            assert!(Fields::parse(&text[..cut], ENTRY_HEADER).is_none(), "{cut}");
        }
        assert!(Fields::parse("", ENTRY_HEADER).is_none());
    }

    #[test]
    fn the_key_depends_on_the_module_and_the_configuration() {
        let plain = Engine::new(&crate::default_config()).unwrap();
        let mut config = crate::default_config();
        config.consume_fuel(true);
        let fuel = Engine::new(&config).unwrap();
        let (a, b) = (blake3::hash(b"a"), blake3::hash(b"b"));
        assert_eq!(entry_key(&plain, &a), entry_key(&Engine::new(&crate::default_config()).unwrap(), &a));
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
        // A record whose hashing time is within the window is not trusted either.
        let path = cache.index.join(format!("{:x}-{:x}", stamp.dev, stamp.ino));
        let clean = format!("hashed_at_ns {}", stamp.ctime_ns + window + 1);
        let racy =
            fs::read_to_string(&path).unwrap().replace(&clean, &format!("hashed_at_ns {}", stamp.ctime_ns + window));
        fs::remove_file(&path).unwrap();
        fs::write(&path, racy).unwrap();
        assert_eq!(cache.indexed_hash(&stamp), None);
    }
}
