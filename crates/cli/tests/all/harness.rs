//! Running guests through the real runner.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tempfile::TempDir;

/// The path of the `lucent` binary under test.
pub fn lucent_bin() -> &'static str {
    env!("CARGO_BIN_EXE_lucent")
}

/// The compile cache every test run uses unless it sets its own: one directory for this test
/// binary under `target/tmp`, never the user's `~/.cache`.
pub fn shared_cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("lucent-cache")
}

/// The `lucent` binary with a test environment: the shared test cache, no `LUCENT_LOG`.
pub fn lucent_command() -> Command {
    let mut cmd = Command::new(lucent_bin());
    cmd.env("LUCENT_CACHE_DIR", shared_cache_dir()).env_remove("LUCENT_LOG");
    cmd
}

/// What a run produced.
#[derive(Debug)]
pub struct Output {
    /// The exit status (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Output {
    /// Asserts the run exited with `code`, showing everything if not.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit status\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Asserts the run succeeded.
    #[track_caller]
    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }
}

/// A temporary directory with a `sandbox/` subdirectory to preopen and, beside it, a file
/// `outside.txt` (contents `secret`) that guests must never reach.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    /// A fresh sandbox.
    pub fn new() -> Self {
        let root = tempfile::Builder::new().prefix("lucent-test").tempdir().expect("tempdir");
        std::fs::create_dir(root.path().join("sandbox")).expect("mkdir sandbox");
        std::fs::write(root.path().join("outside.txt"), "secret").expect("write outside.txt");
        Sandbox { root }
    }

    /// The directory the guest sees as `.` (fd 3).
    pub fn dir(&self) -> PathBuf {
        self.root.path().join("sandbox")
    }

    /// The temporary root (parent of the sandbox).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// A path inside the sandbox.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir().join(rel)
    }

    /// Writes a file inside the sandbox.
    pub fn write(&self, rel: &str, contents: &str) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, contents).expect("write");
    }

    /// Makes a symlink `rel` (inside the sandbox) pointing to `target`.
    pub fn symlink(&self, target: &str, rel: &str) {
        std::os::unix::fs::symlink(target, self.path(rel)).expect("symlink");
    }

    /// Reads a file inside the sandbox.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Asserts the file outside the sandbox is untouched.
    #[track_caller]
    pub fn assert_outside_untouched(&self) {
        let outside = std::fs::read_to_string(self.root().join("outside.txt")).expect("outside.txt");
        assert_eq!(outside, "secret");
        let entries = std::fs::read_dir(self.root()).expect("ls root").count();
        assert_eq!(entries, 2, "something was created beside the sandbox");
    }

    /// A `lucent run` command with the sandbox preopened as `.`.
    pub fn lucent(&self) -> Run {
        let mut run = Run::new();
        run.cmd.arg("--dir").arg(format!("{}::.", self.dir().display()));
        run
    }
}

/// A `lucent run` invocation being prepared.
pub struct Run {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl Run {
    /// `lucent run` with no options yet.
    pub fn new() -> Self {
        let mut cmd = lucent_command();
        cmd.arg("run");
        Run { cmd, stdin: None }
    }

    /// `lucent run` with the compile cache in `dir`, logging what the cache does (`hit`,
    /// `miss`, `rejected`, `stored`) on stderr.
    pub fn with_cache(dir: &Path) -> Self {
        let mut run = Run::new();
        run.cmd.env("LUCENT_CACHE_DIR", dir).env("LUCENT_LOG", "lucent::cache=debug");
        run
    }

    /// Adds runner options (before the module).
    pub fn opts<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, opts: I) -> Self {
        self.cmd.args(opts);
        self
    }

    /// Sets an environment variable of the `lucent` process.
    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(name, value);
        self
    }

    /// Removes an environment variable from the `lucent` process.
    pub fn env_remove(mut self, name: &str) -> Self {
        self.cmd.env_remove(name);
        self
    }

    /// Feeds `input` on the guest's stdin (otherwise stdin is empty).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    /// Runs `module` with guest `args` and waits for it.
    pub fn run(mut self, module: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Output {
        self.cmd.arg(module).args(args);
        self.cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn lucent");
        let input = self.stdin.take().unwrap_or_default();
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("wait for lucent");
        writer.join().expect("stdin writer");
        Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Writes `wat` to a temporary file and returns its directory (kept alive) and path.
pub fn wat_file(wat: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("module.wat");
    std::fs::write(&path, wat).expect("write wat");
    (dir, path)
}

/// How a run that may block ended: its exit status (`None` if it had to be killed after its
/// patience ran out), its stdout (empty unless read), its stderr, and how long it ran.
pub struct Blocked {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub took: std::time::Duration,
}

/// Runs `lucent run ARGS`, its stdin a pipe that stays open and silent, killing it after
/// `patience` (a run that should end but does not would otherwise hang the test). Its stdout
/// is read if `read_stdout`, else left a pipe nobody reads (so a guest that writes enough
/// fills it).
pub fn run_blocking<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
    patience: std::time::Duration,
    read_stdout: bool,
) -> Blocked {
    use std::io::Read;
    fn drain(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = from.read_to_string(&mut text);
            text
        })
    }
    let started = std::time::Instant::now();
    let mut child = lucent_command()
        .arg("run")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lucent");
    let _silent_stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("stdout");
    let (stdout, _unread_stdout) = if read_stdout { (Some(drain(stdout)), None) } else { (None, Some(stdout)) };
    let stderr = drain(child.stderr.take().expect("stderr"));
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > patience {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let took = started.elapsed();
    let stdout = stdout.map(|h| h.join().expect("stdout reader")).unwrap_or_default();
    Blocked { code, stdout, stderr: stderr.join().expect("stderr reader"), took }
}
