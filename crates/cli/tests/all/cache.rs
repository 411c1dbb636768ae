//! The compile cache and precompiled artifacts: the cache is used on the second run, keyed by
//! the module's bytes and the code-changing options, and a damaged or swapped entry is
//! recompiled (never run); `lucent compile` writes a `.cwasm` that `lucent run` loads.
//!
//! What the cache did is read from its log lines (`LUCENT_LOG=lucent::cache=debug`): `hit`,
//! `miss`, `rejected`, `stored`, `index:`.

use crate::harness::{Output, Run, lucent_command};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A module that prints `text` and exits 0.
fn printer(text: &str) -> String {
    format!(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 16) "{}")
            (func (export "_start")
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const {}))
                (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
        text.replace('\n', "\\0a"),
        text.len()
    )
}

/// A temporary directory holding a cache directory and modules.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture { dir: tempfile::tempdir().unwrap() }
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Writes a module printing `text` at `name` and returns its path.
    fn module(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, printer(text)).unwrap();
        path
    }

    /// Runs `module` with `opts` through the cache, expecting it to print `text`; returns
    /// what the cache did.
    #[track_caller]
    fn run(&self, module: &Path, opts: &[&str], text: &str) -> Vec<String> {
        let out = Run::with_cache(&self.cache()).opts(opts).run(module, &[]);
        out.expect_success();
        assert_eq!(out.stdout, text, "stderr:\n{}", out.stderr);
        events(&out)
    }

    /// The artifacts in the cache, sorted.
    fn artifacts(&self) -> Vec<PathBuf> {
        let mut found: Vec<_> = std::fs::read_dir(self.cache().join("modules"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
            .collect();
        found.sort();
        found
    }

    /// The one artifact in the cache.
    #[track_caller]
    fn only_artifact(&self) -> PathBuf {
        let artifacts = self.artifacts();
        assert_eq!(artifacts.len(), 1, "{artifacts:?}");
        artifacts.into_iter().next().unwrap()
    }
}

/// The first word of each cache log line: `hit`, `miss`, `rejected`, `stored`, `index:`, ...
fn events(out: &Output) -> Vec<String> {
    out.stderr
        .lines()
        .filter_map(|line| {
            let plain = strip_ansi(line);
            let (_, message) = plain.split_once("lucent::cache: ")?;
            Some(message.split(' ').next().unwrap_or_default().to_string())
        })
        .collect()
}

fn strip_ansi(line: &str) -> String {
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            plain.push(c);
        }
    }
    plain
}

/// An entry record rewritten to describe the file `meta` was read from exactly (all of it is
/// readable metadata), as a forger would.
fn describing(record: &str, meta: &std::fs::Metadata) -> String {
    let ns = |secs: i64, nsec: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsec);
    record
        .lines()
        .map(|line| match line.split_once(' ') {
            Some(("dev", _)) => format!("dev {}\n", meta.dev()),
            Some(("ino", _)) => format!("ino {}\n", meta.ino()),
            Some(("len", _)) => format!("len {}\n", meta.len()),
            Some(("mtime_ns", _)) => format!("mtime_ns {}\n", ns(meta.mtime(), meta.mtime_nsec())),
            Some(("ctime_ns", _)) => format!("ctime_ns {}\n", ns(meta.ctime(), meta.ctime_nsec())),
            _ => format!("{line}\n"),
        })
        .collect()
}

/// Makes a read-only cache file writable, as a careless user or a failing disk might.
fn writable(path: &Path) -> std::fs::File {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap()
}

/// Waits out a coarse timestamp tick, so that damage done now gets a change time of its own
/// (on kernels without fine-grained timestamps a change within one tick of the entry's
/// creation would keep its change time: the cache cannot see such a change).
fn next_tick() {
    std::thread::sleep(Duration::from_millis(20));
}

#[test]
fn the_second_run_is_a_hit() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "first\n");
    let first = fx.run(&module, &[], "first\n");
    assert!(first.contains(&"miss".into()) && first.contains(&"stored".into()), "{first:?}");
    fx.only_artifact();
    let second = fx.run(&module, &[], "first\n");
    assert!(second.contains(&"hit".into()), "{second:?}");
    assert!(!second.contains(&"stored".into()) && !second.contains(&"miss".into()), "{second:?}");
}

#[test]
fn a_module_rewritten_at_once_is_recompiled() {
    // The same path and length, rewritten right after the run: with coarse timestamps its
    // change time may equal the one the first run saw, so the module's metadata must not be
    // trusted yet (the "racily clean" rule, unit-tested in lucent-wasmtime's cache module).
    let fx = Fixture::new();
    let module = fx.module("m.wat", "one\n");
    fx.run(&module, &[], "one\n");
    std::fs::write(&module, printer("two\n")).unwrap();
    let events = fx.run(&module, &[], "two\n");
    assert!(events.contains(&"miss".into()), "{events:?}");
    assert_eq!(fx.artifacts().len(), 2);
}

#[test]
fn an_old_module_is_indexed_and_a_change_in_place_is_seen() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "one\n");
    // Older than the racy window: its metadata can be trusted.
    std::thread::sleep(Duration::from_millis(2100));
    fx.run(&module, &[], "one\n");
    let events = fx.run(&module, &[], "one\n");
    assert_eq!(events, ["index:", "hit"], "the index should spare reading the module");
    // Same length, rewritten in place (same inode): the index no longer matches.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&module)
        .unwrap()
        .write_all_at(printer("two\n").as_bytes(), 0)
        .unwrap();
    let events = fx.run(&module, &[], "two\n");
    assert!(events.contains(&"miss".into()) && !events.contains(&"hit".into()), "{events:?}");
}

#[test]
fn changing_a_code_option_changes_the_entry() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "x\n");
    fx.run(&module, &[], "x\n");
    let fuel = fx.run(&module, &["--fuel", "1000000"], "x\n");
    assert!(fuel.contains(&"miss".into()), "{fuel:?}");
    let deterministic = fx.run(&module, &["--deterministic"], "x\n");
    assert!(deterministic.contains(&"miss".into()), "{deterministic:?}");
    let timeout = fx.run(&module, &["--timeout", "10s"], "x\n");
    assert!(timeout.contains(&"miss".into()), "{timeout:?}");
    assert_eq!(fx.artifacts().len(), 4);
    // Other amounts, and options that do not change the code, find their entries.
    for opts in
        [&["--fuel", "5000"][..], &[], &["--max-wasm-stack", "64K"], &["--timeout", "1s"], &["--max-memory", "1M"]]
    {
        let events = fx.run(&module, opts, "x\n");
        assert!(events.contains(&"hit".into()), "{opts:?}: {events:?}");
    }
    assert_eq!(fx.artifacts().len(), 4);
}

#[test]
fn a_truncated_entry_is_recompiled() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "whole\n");
    fx.run(&module, &[], "whole\n");
    let artifact = fx.only_artifact();
    let len = std::fs::metadata(&artifact).unwrap().len();
    next_tick();
    writable(&artifact).set_len(len / 2).unwrap();
    let events = fx.run(&module, &[], "whole\n");
    assert!(events.contains(&"rejected".into()) && events.contains(&"stored".into()), "{events:?}");
    assert!(fx.run(&module, &[], "whole\n").contains(&"hit".into()));
}

#[test]
fn an_entry_changed_in_place_is_recompiled() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "intact\n");
    fx.run(&module, &[], "intact\n");
    let artifact = fx.only_artifact();
    // The data segment is kept verbatim in the artifact: change one letter of it in place.
    let bytes = std::fs::read(&artifact).unwrap();
    let at = bytes.windows(7).position(|w| w == b"intact\n").expect("the data segment in the artifact");
    next_tick();
    writable(&artifact).write_at(b"I", at as u64).unwrap();
    std::fs::set_permissions(&artifact, std::fs::Permissions::from_mode(0o444)).unwrap();
    let events = fx.run(&module, &[], "intact\n");
    assert!(events.contains(&"rejected".into()) && events.contains(&"stored".into()), "{events:?}");
    assert!(fx.run(&module, &[], "intact\n").contains(&"hit".into()));
}

#[test]
fn an_entry_of_another_module_swapped_in_is_not_run() {
    let fx = Fixture::new();
    let a = fx.module("a.wat", "module a\n");
    let b = fx.module("b.wat", "module b\n");
    fx.run(&a, &[], "module a\n");
    let a_artifact = fx.only_artifact();
    fx.run(&b, &[], "module b\n");
    let b_artifact = fx.artifacts().into_iter().find(|p| *p != a_artifact).unwrap();
    let entry = |artifact: &Path| artifact.with_extension("entry");

    // A copy of B's artifact renamed over A's: A's entry names another inode.
    std::fs::copy(&b_artifact, fx.dir.path().join("b.cwasm")).unwrap();
    std::fs::rename(fx.dir.path().join("b.cwasm"), &a_artifact).unwrap();
    let out = Run::with_cache(&fx.cache()).run(&a, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "module a\n");
    assert!(out.stderr.contains("the artifact changed since it was written"), "{}", out.stderr);

    // B's artifact moved to A's name, with an entry that describes it exactly but names B's
    // key (B's entry with the new file's metadata): refused for the key.
    std::fs::rename(&b_artifact, &a_artifact).unwrap();
    let meta = std::fs::metadata(&a_artifact).unwrap();
    let forged = describing(&std::fs::read_to_string(entry(&b_artifact)).unwrap(), &meta);
    std::fs::remove_file(entry(&a_artifact)).unwrap();
    std::fs::write(entry(&a_artifact), forged).unwrap();
    let out = Run::with_cache(&fx.cache()).run(&a, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "module a\n");
    assert!(out.stderr.contains("its entry names another key"), "{}", out.stderr);
    // B, whose artifact is gone, is compiled again.
    let events = fx.run(&b, &[], "module b\n");
    assert!(events.contains(&"rejected".into()) && events.contains(&"stored".into()), "{events:?}");
}

/// `--no-cache` stores nothing; the cache directory is made, empty, so that it exists (and is
/// withheld) before any guest runs.
#[test]
fn no_cache_writes_nothing() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "uncached\n");
    for _ in 0..2 {
        let events = fx.run(&module, &["--no-cache"], "uncached\n");
        assert!(events.is_empty(), "{events:?}");
    }
    assert!(fx.cache().is_dir());
    assert_eq!(std::fs::read_dir(fx.cache()).unwrap().count(), 0);
    assert_eq!(std::fs::metadata(fx.cache()).unwrap().permissions().mode() & 0o777, 0o700);
}

#[test]
fn an_unusable_cache_does_not_fail_the_run() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "still runs\n");
    // A file where the directory should be.
    std::fs::write(fx.cache(), "not a directory").unwrap();
    let events = fx.run(&module, &[], "still runs\n");
    assert_eq!(events, ["not"], "a log line saying the cache is not used");
    std::fs::remove_file(fx.cache()).unwrap();
    // A directory others can write to: anyone could plant code there.
    std::fs::create_dir(fx.cache()).unwrap();
    std::fs::set_permissions(fx.cache(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let events = fx.run(&module, &[], "still runs\n");
    assert_eq!(events, ["not"]);
    assert!(!fx.cache().join("modules").read_dir().unwrap().any(|_| true));
    // --cache-dir overrides the environment.
    let elsewhere = fx.dir.path().join("elsewhere");
    let opts = ["--cache-dir", elsewhere.to_str().unwrap()];
    fx.run(&module, &opts, "still runs\n");
    assert!(fx.run(&module, &opts, "still runs\n").contains(&"hit".into()));
}

#[test]
fn compile_then_run_the_artifact() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "precompiled\n");
    let out = lucent_command().arg("compile").arg(&module).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let artifact = fx.dir.path().join("m.cwasm");
    assert!(artifact.is_file());

    // Native code is run only when asked for.
    let out = Run::new().run(&artifact, &[]);
    out.expect_code(1);
    assert!(out.stderr.starts_with("lucent: error: ") && out.stderr.contains("--allow-precompiled"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);

    let out = Run::with_cache(&fx.cache()).opts(["--allow-precompiled"]).run(&artifact, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "precompiled\n");
    assert!(events(&out).is_empty(), "a .cwasm does not go through the cache: {:?}", events(&out));

    // -o, and the code-changing options.
    let fuelled = fx.dir.path().join("fuelled.cwasm");
    let out = lucent_command().args(["compile", "--fuel", "1", "-o"]).arg(&fuelled).arg(&module).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Run::new().opts(["--allow-precompiled", "--fuel", "100000"]).run(&fuelled, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "precompiled\n");
}

#[test]
fn an_artifact_for_other_options_is_one_clear_line() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "x\n");
    let plain = fx.dir.path().join("plain.cwasm");
    let deterministic = fx.dir.path().join("deterministic.cwasm");
    for (artifact, opts) in [(&plain, &[][..]), (&deterministic, &["--deterministic"][..])] {
        let out = lucent_command().arg("compile").args(opts).arg("-o").arg(artifact).arg(&module).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for (artifact, opts) in [(&plain, &["--fuel", "1000"][..]), (&plain, &["--timeout", "1s"]), (&deterministic, &[])] {
        let out = Run::new().opts(["--allow-precompiled"]).opts(opts).run(artifact, &[]);
        out.expect_code(1);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.starts_with("lucent: error: cannot load precompiled"), "{}", out.stderr);
        assert!(out.stderr.contains("lucent compile"), "{}", out.stderr);
    }
}

#[test]
fn compile_refuses_what_it_cannot_compile() {
    let fx = Fixture::new();
    let junk = fx.dir.path().join("junk.wasm");
    std::fs::write(&junk, "not wasm").unwrap();
    let out = lucent_command().arg("compile").arg(&junk).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a WebAssembly module"), "{stderr}");
    assert!(!fx.dir.path().join("junk.cwasm").exists());
    // An artifact is not compiled again, nor overwritten.
    let module = fx.module("m.wat", "x\n");
    assert!(lucent_command().arg("compile").arg(&module).status().unwrap().success());
    let out = lucent_command().arg("compile").arg(fx.dir.path().join("m.cwasm")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already precompiled"));
}

/// A home directory whose compile cache (`.cache/lucent`, found through `$HOME`) holds the
/// entry of `module`, which prints `text`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        Home { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn cache(&self) -> PathBuf {
        self.home().join(".cache/lucent")
    }

    /// `lucent run` as a user whose cache is the default one under this home.
    fn run(&self) -> Run {
        Run::new()
            .env("HOME", self.home())
            .env_remove("LUCENT_CACHE_DIR")
            .env_remove("XDG_CACHE_HOME")
            .env("LUCENT_LOG", "lucent::cache=debug")
    }
}

/// The review's attack from inside: a guest given the user's home, which holds the compile
/// cache, can neither read, list, write nor move the cache, by any path.
#[test]
fn a_guest_never_reaches_the_compile_cache() {
    let home = Home::new();
    let fx = Fixture::new();
    let module = fx.module("m.wat", "cached\n");
    let out = home.run().run(&module, &[]);
    out.expect_success();
    assert!(home.cache().join("key").is_file(), "{}", out.stderr);
    let guest_home = format!("{}::/home", home.home().display());
    let out = home.run().opts(["--dir", &guest_home]).run(test_programs_artifacts::CACHE_ATTACK, &["/home"]);
    assert!(!out.stdout.contains("SUCCEEDED"), "{}", out.stdout);
    assert_eq!(out.stdout.matches(": denied").count(), 11, "{}", out.stdout);
    out.expect_success();
    // Preopening the cache or something inside it is refused outright; an ancestor is fine.
    for dir in [home.cache(), home.cache().join("modules")] {
        let out = home.run().opts(["--dir", &format!("{}::/c", dir.display())]).run(&module, &[]);
        out.expect_code(1);
        assert!(out.stderr.contains("compile cache"), "{}", out.stderr);
    }
    let out = home.run().opts(["--dir", &format!("{}::/h", home.home().display())]).run(&module, &[]);
    out.expect_success();
    // A home with no cache yet, run with --no-cache: the cache is made and withheld before
    // the guest runs, so a later run cannot create it where this guest reaches it.
    let fresh = Home::new();
    let fresh_home = format!("{}::/home", fresh.home().display());
    let out =
        fresh.run().opts(["--no-cache", "--dir", &fresh_home]).run(test_programs_artifacts::CACHE_ATTACK, &["/home"]);
    assert_eq!(out.stdout.matches(": denied").count(), 11, "{}", out.stdout);
    out.expect_success();
    // `.cache` a symlink (to `caches`, beside it): the symlink cannot be removed, moved or
    // replaced, and the cache through it is withheld.
    let linked = Home::new();
    std::fs::create_dir(linked.home().join("caches")).unwrap();
    std::os::unix::fs::symlink("caches", linked.home().join(".cache")).unwrap();
    let linked_home = format!("{}::/home", linked.home().display());
    let out = linked.run().opts(["--dir", &linked_home]).run(test_programs_artifacts::CACHE_ATTACK, &["/home"]);
    assert_eq!(out.stdout.matches(": denied").count(), 13, "{}", out.stdout);
    out.expect_success();
    assert!(std::fs::symlink_metadata(linked.home().join(".cache")).unwrap().file_type().is_symlink());
    // ... also with --no-cache, and when the cache in use is elsewhere: the default one is
    // still withheld, for the runs that will use it.
    let elsewhere = fx.dir.path().join("elsewhere");
    for opts in [vec!["--no-cache"], vec!["--cache-dir", elsewhere.to_str().unwrap()]] {
        let out =
            home.run().opts(&opts).opts(["--dir", &guest_home]).run(test_programs_artifacts::CACHE_ATTACK, &["/home"]);
        assert_eq!(out.stdout.matches(": denied").count(), 11, "{opts:?}: {}", out.stdout);
        out.expect_success();
    }
}

/// The review's attack from outside: an artifact replaced by one `lucent compile` wrote (for
/// another module), with an entry record rewritten to describe it, is refused because whoever
/// wrote it does not have the cache's secret; the module is compiled again and a warning says
/// why.
#[test]
fn a_forged_artifact_is_refused_and_recompiled() {
    let fx = Fixture::new();
    let good = fx.module("good.wat", "good\n");
    let evil = fx.module("evil.wat", "PWNED\n");
    fx.run(&good, &[], "good\n");
    let artifact = fx.only_artifact();
    let entry = artifact.with_extension("entry");
    // The attacker's native code: a genuine artifact of another module, for this engine.
    let forged = fx.dir.path().join("evil.cwasm");
    let out = lucent_command().arg("compile").arg("-o").arg(&forged).arg(&evil).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::set_permissions(&forged, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::rename(&forged, &artifact).unwrap();
    // An entry that describes the new file exactly (all of it is readable metadata).
    let meta = std::fs::metadata(&artifact).unwrap();
    let record = describing(&std::fs::read_to_string(&entry).unwrap(), &meta);
    std::fs::remove_file(&entry).unwrap();
    std::fs::write(&entry, record).unwrap();
    // The default log level shows the warning.
    let out = Run::new().env("LUCENT_CACHE_DIR", fx.cache()).env_remove("LUCENT_LOG").run(&good, &[]);
    out.expect_success();
    assert_eq!(out.stdout, "good\n", "the forged artifact ran: {}", out.stderr);
    assert!(out.stderr.contains("WARN") && out.stderr.contains("MAC does not match"), "{}", out.stderr);
    assert!(fx.run(&good, &[], "good\n").contains(&"hit".into()), "recompiled and stored again");
}

/// A hard link to an artifact (made before, by someone who could reach the cache) is a way
/// to change it from outside: an artifact with a second link is never mapped.
#[test]
fn an_artifact_with_another_link_is_refused() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "linked\n");
    fx.run(&module, &[], "linked\n");
    let artifact = fx.only_artifact();
    std::fs::hard_link(&artifact, fx.dir.path().join("alias.cwasm")).unwrap();
    let events = fx.run(&module, &[], "linked\n");
    assert!(events.contains(&"rejected".into()) && events.contains(&"stored".into()), "{events:?}");
}

/// A secret that is not the cache's own (readable by others, say) is replaced, and with it
/// every entry is compiled again.
#[test]
fn a_secret_open_to_others_is_replaced() {
    let fx = Fixture::new();
    let module = fx.module("m.wat", "secret\n");
    fx.run(&module, &[], "secret\n");
    let key = fx.cache().join("key");
    let before = std::fs::read(&key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = Run::with_cache(&fx.cache()).run(&module, &[]);
    out.expect_success();
    assert!(out.stderr.contains("making a new one"), "{}", out.stderr);
    assert!(events(&out).contains(&"rejected".into()), "{}", out.stderr);
    assert_ne!(std::fs::read(&key).unwrap(), before);
    assert!(fx.run(&module, &[], "secret\n").contains(&"hit".into()));
}
