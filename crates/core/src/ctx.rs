//! The WASI context of one guest instance, and the builder that makes it.

use crate::env::{NoClocks, NoRandom, NoSched, RandomSource, WasiClocks, WasiSched};
use crate::fs::{NullFile, WasiDir, WasiFile};
use crate::rights::FdRights;
use crate::stop::Stop;
use crate::table::{DEFAULT_MAX_FDS, Descriptor, FdTable, Object};
use lucent_abi::Rights;
use std::any::Any;
use std::sync::Arc;

/// Everything a guest instance's hostcalls act on: arguments, environment, descriptors,
/// clocks and randomness. A context is `Send`, and is one guest thread's view of the instance:
/// [`WasiCtx::for_thread`] makes another thread's, which shares everything the instance has
/// (arguments, environment, descriptor table, clocks, scheduler, stop signal) and keeps what
/// is the thread's own (its bound memory, its randomness stream, its thread CPU clock).
#[derive(Debug)]
pub struct WasiCtx {
    pub(crate) args: Arc<Vec<Vec<u8>>>,
    pub(crate) env: Arc<Vec<Vec<u8>>>,
    pub(crate) table: Arc<FdTable>,
    pub(crate) clocks: Arc<dyn WasiClocks>,
    pub(crate) random: Box<dyn RandomSource>,
    pub(crate) sched: Arc<dyn WasiSched>,
    /// Asks the instance to stop, from any thread ([`WasiCtx::stop_handle`]).
    pub(crate) stop: Arc<Stop>,
    /// The engine's handle to the memory of the one instance this context serves, while an
    /// embedder says so (see [`WasiCtx::bind_memory`]).
    bound_memory: Option<Box<dyn Any + Send + Sync>>,
    /// The guest thread this context serves: 0 for the main one.
    thread: u32,
    /// Whether the instance runs (or may run) several threads.
    threaded: bool,
}

impl WasiCtx {
    /// A builder with every default described on [`WasiCtxBuilder`].
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    /// The descriptor table.
    pub fn table(&self) -> &Arc<FdTable> {
        &self.table
    }

    /// The context of guest thread `tid` (from 1) of the same instance: the same arguments,
    /// environment, descriptors, clocks, scheduler and stop signal; its own randomness stream
    /// ([`crate::env::RandomSource::for_thread`]), thread CPU clock and bound memory (none).
    pub fn for_thread(&self, tid: u32) -> WasiCtx {
        WasiCtx {
            args: self.args.clone(),
            env: self.env.clone(),
            table: self.table.clone(),
            clocks: self.clocks.for_thread().unwrap_or_else(|| self.clocks.clone()),
            random: self.random.for_thread(tid),
            sched: self.sched.clone(),
            stop: self.stop.clone(),
            bound_memory: None,
            thread: tid,
            threaded: true,
        }
    }

    /// Marks this context as the main thread of a threaded instance (trace lines then name
    /// the thread).
    pub fn set_threaded(&mut self) {
        self.threaded = true;
    }

    /// Whether this context belongs to a threaded instance.
    #[inline]
    pub fn threaded(&self) -> bool {
        self.threaded
    }

    /// The guest thread this context serves (0: the main thread).
    #[inline]
    pub fn thread_id(&self) -> u32 {
        self.thread
    }

    /// The instance's stop signal: any thread holding it can end a wait inside a hostcall
    /// and make every later hostcall fail ([`Stop::stop`]), which the engine binding turns
    /// into a trap.
    pub fn stop_handle(&self) -> Arc<Stop> {
        self.stop.clone()
    }

    /// Whether the instance was asked to stop.
    #[inline]
    pub fn is_stopped(&self) -> bool {
        self.stop.is_stopped()
    }

    /// Waits until `file` is ready for `interest` (or anything else makes the scheduler
    /// return: the caller tries again).
    ///
    /// # Errors
    ///
    /// `Canceled` when the instance is stopped; the scheduler's errors; the descriptor's
    /// error if it cannot be waited on.
    pub(crate) fn wait(
        &self,
        file: &dyn crate::fs::WasiFile,
        interest: crate::env::Interest,
    ) -> Result<(), lucent_abi::Errno> {
        let states = self.sched.poll(&[(file, interest)], None, &self.stop)?;
        match states.first() {
            Some(crate::env::FdState::Error(e)) => Err(*e),
            _ => Ok(()),
        }
    }

    /// Waits `ns` nanoseconds of real time for the world outside ([`WasiSched::pause`]).
    ///
    /// # Errors
    ///
    /// `Canceled` when the instance is stopped; the scheduler's errors.
    pub(crate) fn pause(&self, ns: u64) -> Result<(), lucent_abi::Errno> {
        self.sched.pause(ns, &self.stop)
    }

    /// Marks the start of guest execution on the calling thread: the guest's CPU-time clocks
    /// count from here, so time the host spent before (compiling, instantiating) is not the
    /// guest's. Call it right before `_start` or `_initialize`.
    pub fn start_clocks(&self) {
        self.clocks.start();
    }

    /// Records the engine's handle to the guest memory every hostcall made with this context
    /// uses, so that hostcalls need not look it up (`None` forgets it). Engine glue calls this
    /// around a call into the one instance this context serves, and unbinds it afterwards;
    /// see `lucent_wasmtime::call_bound` for the rule. The engine may panic if a handle bound
    /// here belongs to another store than the one the hostcall runs in.
    pub fn bind_memory<M: Any + Send + Sync>(&mut self, memory: Option<M>) {
        self.bound_memory = memory.map(|m| -> Box<dyn Any + Send + Sync> { Box::new(m) });
    }

    /// Takes the bound handle out, for the length of one hostcall that needs to borrow it
    /// beside the context (a shared memory, so as not to clone its `Arc`, whose count all the
    /// guest's threads would fight over); [`WasiCtx::put_back_memory`] returns it.
    #[inline]
    pub fn take_bound_memory(&mut self) -> Option<Box<dyn Any + Send + Sync>> {
        self.bound_memory.take()
    }

    /// Returns what [`WasiCtx::take_bound_memory`] took.
    #[inline]
    pub fn put_back_memory(&mut self, memory: Option<Box<dyn Any + Send + Sync>>) {
        self.bound_memory = memory;
    }

    /// The handle recorded by [`WasiCtx::bind_memory`], if one of type `M` is bound.
    #[inline]
    pub fn bound_memory<M: Any>(&self) -> Option<&M> {
        self.bound_memory.as_deref().and_then(|m| m.downcast_ref())
    }
}

/// An error found when building a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// An argument contains a NUL byte, which the guest could not see.
    NulInArgument(String),
    /// An environment variable's name is empty or contains `=` or NUL, or its value has a NUL.
    BadEnvironmentVariable(String),
    /// The descriptor table cannot hold the standard streams and preopens.
    TooManyDescriptors,
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::NulInArgument(a) => write!(f, "argument {a:?} contains a NUL byte"),
            BuildError::BadEnvironmentVariable(v) => write!(f, "invalid environment variable {v:?}"),
            BuildError::TooManyDescriptors => write!(f, "too many preopened descriptors"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds a [`WasiCtx`]. Deny-all by default:
///
/// | setting | default |
/// |---|---|
/// | arguments | none (not even a program name) |
/// | environment | empty |
/// | stdin | empty ([`NullFile`]) |
/// | stdout, stderr | discarded ([`NullFile`]) |
/// | preopened directories | none |
/// | clocks | none: every clock read fails with `Notsup` |
/// | randomness | none: `random_get` fails with `Notsup` |
/// | scheduler | none: `poll_oneoff` fails with `Notsup`, `sched_yield` does nothing |
/// | listening sockets | none |
/// | descriptor limit | [`DEFAULT_MAX_FDS`] |
///
/// ```
/// use lucent_core::WasiCtx;
/// let ctx = WasiCtx::builder().arg("prog").arg("--help").env("HOME", "/").build()?;
/// assert_eq!(ctx.table().len(), 3); // stdin, stdout, stderr
/// # Ok::<(), lucent_core::BuildError>(())
/// ```
#[derive(Debug)]
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<(Vec<u8>, Vec<u8>)>,
    stdio: [Arc<dyn WasiFile>; 3],
    preopens: Vec<(Arc<dyn WasiDir>, Vec<u8>, FdRights)>,
    clocks: Arc<dyn WasiClocks>,
    random: Box<dyn RandomSource>,
    sched: Arc<dyn WasiSched>,
    listeners: Vec<Arc<dyn WasiFile>>,
    max_fds: u32,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

/// Rights of a preopened directory: everything a directory supports, and everything a file or
/// directory supports for what is opened through it.
pub const PREOPEN_RIGHTS: FdRights = FdRights::new(Rights::DIRECTORY, Rights::DIRECTORY.union(Rights::REGULAR_FILE));

/// Rights of a listening socket handed to the guest.
pub const LISTENER_RIGHTS: FdRights = FdRights::new(
    Rights::SOCK_ACCEPT
        .union(Rights::POLL_FD_READWRITE)
        .union(Rights::FD_FDSTAT_SET_FLAGS)
        .union(Rights::FD_FILESTAT_GET),
    Rights::SOCKET,
);

/// Rights of a read-only preopen: [`PREOPEN_RIGHTS`] without [`Rights::MUTATING`], for the
/// directory and for everything opened through it.
pub const READ_ONLY_PREOPEN_RIGHTS: FdRights = FdRights::new(
    PREOPEN_RIGHTS.base.difference(Rights::MUTATING),
    PREOPEN_RIGHTS.inheriting.difference(Rights::MUTATING),
);

impl WasiCtxBuilder {
    /// A builder with the defaults in the table above.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdio: [Arc::new(NullFile), Arc::new(NullFile), Arc::new(NullFile)],
            preopens: Vec::new(),
            clocks: Arc::new(NoClocks),
            random: Box::new(NoRandom),
            sched: Arc::new(NoSched),
            listeners: Vec::new(),
            max_fds: DEFAULT_MAX_FDS,
        }
    }

    /// Appends one argument (the first is the program name, `argv[0]`).
    pub fn arg(mut self, arg: impl AsRef<[u8]>) -> Self {
        self.args.push(arg.as_ref().to_vec());
        self
    }

    /// Appends several arguments.
    pub fn args<A: AsRef<[u8]>>(mut self, args: impl IntoIterator<Item = A>) -> Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_vec()));
        self
    }

    /// Sets an environment variable (a later value for the same name replaces an earlier one).
    pub fn env(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        let name = name.as_ref().to_vec();
        self.env.retain(|(n, _)| *n != name);
        self.env.push((name, value.as_ref().to_vec()));
        self
    }

    /// Sets standard input (descriptor 0).
    pub fn stdin(mut self, file: Arc<dyn WasiFile>) -> Self {
        self.stdio[0] = file;
        self
    }

    /// Sets standard output (descriptor 1).
    pub fn stdout(mut self, file: Arc<dyn WasiFile>) -> Self {
        self.stdio[1] = file;
        self
    }

    /// Sets standard error (descriptor 2).
    pub fn stderr(mut self, file: Arc<dyn WasiFile>) -> Self {
        self.stdio[2] = file;
        self
    }

    /// Preopens `dir` under the guest name `guest_name`, with [`PREOPEN_RIGHTS`].
    pub fn preopened_dir(self, dir: Arc<dyn WasiDir>, guest_name: impl AsRef<[u8]>) -> Self {
        self.preopened_dir_with_rights(dir, guest_name, PREOPEN_RIGHTS)
    }

    /// Preopens `dir` read-only, with [`READ_ONLY_PREOPEN_RIGHTS`]: nothing beneath it can be
    /// written, truncated, created, renamed, linked, unlinked or have its times or size set.
    pub fn read_only_dir(self, dir: Arc<dyn WasiDir>, guest_name: impl AsRef<[u8]>) -> Self {
        self.preopened_dir_with_rights(dir, guest_name, READ_ONLY_PREOPEN_RIGHTS)
    }

    /// Preopens `dir` with the given rights (narrowed to [`PREOPEN_RIGHTS`]).
    pub fn preopened_dir_with_rights(
        mut self,
        dir: Arc<dyn WasiDir>,
        guest_name: impl AsRef<[u8]>,
        rights: FdRights,
    ) -> Self {
        let rights = FdRights::new(rights.base & PREOPEN_RIGHTS.base, rights.inheriting & PREOPEN_RIGHTS.inheriting);
        self.preopens.push((dir, guest_name.as_ref().to_vec(), rights));
        self
    }

    /// Sets the clocks.
    pub fn clocks(mut self, clocks: Arc<dyn WasiClocks>) -> Self {
        self.clocks = clocks;
        self
    }

    /// Sets the source of `random_get`.
    pub fn random(mut self, random: Box<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// Sets the scheduler `poll_oneoff` and `sched_yield` use.
    pub fn sched(mut self, sched: Arc<dyn WasiSched>) -> Self {
        self.sched = sched;
        self
    }

    /// Wraps the scheduler set so far in an embedder's adapter (one that moves blocking waits
    /// off an async executor's threads, say).
    pub fn wrap_sched(mut self, wrap: impl FnOnce(Arc<dyn WasiSched>) -> Arc<dyn WasiSched>) -> Self {
        self.sched = wrap(self.sched);
        self
    }

    /// Hands the guest a listening socket (TCP, Unix…). Listeners get the descriptors after the
    /// preopens, in the order given, with the rights to accept, poll and set `NONBLOCK`.
    pub fn listener(mut self, socket: Arc<dyn WasiFile>) -> Self {
        self.listeners.push(socket);
        self
    }

    /// Sets the most descriptors the guest may hold open at once.
    pub fn max_open_files(mut self, max: u32) -> Self {
        self.max_fds = max;
        self
    }

    /// Builds the context: descriptors 0–2 are the standard streams, then the preopens in the
    /// order given, then the listening sockets.
    ///
    /// # Errors
    ///
    /// [`BuildError`] for an argument or variable the guest could not see as a C string, or a
    /// descriptor limit below the number of preopens.
    pub fn build(self) -> Result<WasiCtx, BuildError> {
        if let Some(bad) = self.args.iter().find(|a| a.contains(&0)) {
            return Err(BuildError::NulInArgument(String::from_utf8_lossy(bad).into_owned()));
        }
        let mut env = Vec::with_capacity(self.env.len());
        for (name, value) in self.env {
            if name.is_empty() || name.contains(&b'=') || name.contains(&0) || value.contains(&0) {
                return Err(BuildError::BadEnvironmentVariable(String::from_utf8_lossy(&name).into_owned()));
            }
            let mut pair = name;
            pair.push(b'=');
            pair.extend_from_slice(&value);
            env.push(pair);
        }
        let table = FdTable::new(self.max_fds);
        for (fd, file) in self.stdio.into_iter().enumerate() {
            // The streams are the host's, whatever they are (a file, a pipe, a socket): the
            // guest reads one and writes the others, and nothing more.
            let rights = if fd == 0 { crate::rights::STDIN_RIGHTS } else { crate::rights::STDOUT_RIGHTS };
            let stdio = Descriptor {
                object: Object::File(file),
                rights: FdRights::new(rights, Rights::empty()),
                preopen: None,
            };
            table.insert(stdio).map_err(|_| BuildError::TooManyDescriptors)?;
        }
        for (dir, name, rights) in self.preopens {
            let preopen = Descriptor { object: Object::Dir(dir), rights, preopen: Some(name) };
            table.insert(preopen).map_err(|_| BuildError::TooManyDescriptors)?;
        }
        for socket in self.listeners {
            let listener = Descriptor { object: Object::File(socket), rights: LISTENER_RIGHTS, preopen: None };
            table.insert(listener).map_err(|_| BuildError::TooManyDescriptors)?;
        }
        Ok(WasiCtx {
            args: Arc::new(self.args),
            env: Arc::new(env),
            table: Arc::new(table),
            clocks: self.clocks,
            random: self.random,
            sched: self.sched,
            stop: Arc::new(Stop::new()),
            bound_memory: None,
            thread: 0,
            threaded: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_send() {
        fn check<T: Send>() {}
        check::<WasiCtx>();
    }

    #[test]
    fn bad_arguments_and_variables_are_refused() {
        assert!(matches!(WasiCtx::builder().arg("a\0b").build(), Err(BuildError::NulInArgument(_))));
        assert!(matches!(WasiCtx::builder().env("A=B", "c").build(), Err(BuildError::BadEnvironmentVariable(_))));
        assert!(matches!(WasiCtx::builder().env("", "c").build(), Err(BuildError::BadEnvironmentVariable(_))));
        assert!(matches!(WasiCtx::builder().max_open_files(2).build(), Err(BuildError::TooManyDescriptors)));
    }

    #[test]
    fn later_env_values_replace_earlier_ones() {
        let ctx = WasiCtx::builder().env("A", "1").env("B", "2").env("A", "3").build().unwrap();
        assert_eq!(*ctx.env, vec![b"B=2".to_vec(), b"A=3".to_vec()]);
    }
}
