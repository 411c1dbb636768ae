//! A guest's standard error, as lines in the server's log tagged with the request id.

use lucent_abi::{Errno, Filestat, Filetype};
use lucent_core::env::Interest;
use lucent_core::fs::{Readiness, WasiFile};
use std::any::Any;
use std::io::IoSlice;
use std::sync::{Mutex, PoisonError};

/// The most of a guest's standard error that reaches the log, per request; the rest is
/// counted and dropped (the guest's writes still succeed).
const MAX_LOGGED: usize = 64 << 10;

/// The log's target for guests' lines.
pub(crate) const TARGET: &str = "lucent::serve::guest";

/// Logs each line written, tagged with `id`.
#[derive(Debug)]
pub(crate) struct LogLines {
    id: u64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// A line not yet ended.
    partial: Vec<u8>,
    logged: usize,
    dropped: usize,
}

impl LogLines {
    pub(crate) fn new(id: u64) -> Self {
        LogLines { id, state: Mutex::default() }
    }

    fn log(&self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        tracing::info!(target: TARGET, request = self.id, "{}", String::from_utf8_lossy(line));
    }
}

impl WasiFile for LogLines {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn filetype(&self) -> Result<Filetype, Errno> {
        Ok(Filetype::Unknown)
    }

    fn write_vectored(&self, bufs: &[IoSlice<'_>]) -> Result<usize, Errno> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut total = 0usize;
        for buf in bufs {
            total = total.saturating_add(buf.len());
            let room = MAX_LOGGED.saturating_sub(state.logged);
            let (kept, dropped) = buf.split_at_checked(room.min(buf.len())).unwrap_or((buf, &[]));
            state.logged = state.logged.saturating_add(kept.len());
            state.dropped = state.dropped.saturating_add(dropped.len());
            state.partial.extend_from_slice(kept);
        }
        while let Some(end) = state.partial.iter().position(|b| *b == b'\n') {
            let rest = state.partial.split_off(end.saturating_add(1));
            let line = std::mem::replace(&mut state.partial, rest);
            self.log(line.strip_suffix(b"\n").unwrap_or(&line));
        }
        Ok(total)
    }

    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(Filestat { filetype: Filetype::Unknown.raw(), nlink: 1, ..Filestat::default() })
    }

    /// Never waits: a line goes to the log at once.
    fn readiness(&self, _interest: Interest) -> Result<Readiness<'_>, Errno> {
        Ok(Readiness::Now { nbytes: 0, hangup: false })
    }

    lucent_core::pipe_answers!();
}

impl Drop for LogLines {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let (partial, dropped) = (std::mem::take(&mut state.partial), state.dropped);
        if !partial.is_empty() {
            self.log(&partial);
        }
        if dropped > 0 {
            tracing::warn!(target: TARGET, request = self.id, "{dropped} more bytes of standard error were not logged");
        }
    }
}
