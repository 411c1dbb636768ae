//! `proc_*` and `sched_yield`.

use super::{Result, narrow};
use crate::WasiCtx;
use lucent_abi::{GuestMemory, Signal};

/// The guest asked to end with this exit code (`proc_exit`, or a signal whose default action
/// ends the process). The engine binding turns it into an unwinding of the instance, and the
/// runner into the process's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub u32);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "guest exited with status {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// `proc_exit(rval)`: never returns to the guest.
pub fn proc_exit(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, rval: u32) -> Exit {
    Exit(rval)
}

/// What raising a signal does to the instance: POSIX's default action, since a WASI guest
/// cannot install handlers.
///
/// * `none`: nothing (it only checks that the signal number is valid);
/// * `chld`, `cont`, `urg`, `winch` (default "ignore"): nothing;
/// * `stop`, `tstp`, `ttin`, `ttou` (default "stop"): nothing, as there is no job control;
/// * every other signal (default "terminate" or "core dump"): the instance ends as a Linux
///   process killed by that signal would, with exit status 128 + the signal's Linux number
///   (WASI numbers the signals from `chld` on one lower than Linux, which has `SIGSTKFLT`
///   at 16).
pub fn signal_action(signal: Signal) -> Option<Exit> {
    use Signal::*;
    match signal {
        None | Chld | Cont | Urg | Winch | Stop | Tstp | Ttin | Ttou => Option::None,
        other => {
            // Signal numbers are at most 30: neither addition comes near `u32::MAX`.
            let wasi = u32::from(other.raw());
            let linux = if wasi >= 16 { wasi.saturating_add(1) } else { wasi };
            Some(Exit(linux.saturating_add(128)))
        }
    }
}

/// `proc_raise(sig)`: applies the signal's default action (see [`signal_action`]); `Ok(None)`
/// means the guest goes on, `Ok(Some(exit))` that the instance ends.
///
/// # Errors
///
/// `Inval` for an unknown signal.
pub fn proc_raise(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, sig: u32) -> Result<Option<Exit>> {
    Ok(signal_action(Signal::from_guest(narrow(sig)?)?))
}

/// `sched_yield()`: lets other threads run.
///
/// # Errors
///
/// None.
pub fn sched_yield(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>) -> Result {
    ctx.sched.yield_now();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_actions() {
        assert_eq!(signal_action(Signal::None), None);
        assert_eq!(signal_action(Signal::Winch), None);
        assert_eq!(signal_action(Signal::Tstp), None);
        assert_eq!(signal_action(Signal::Term), Some(Exit(143)));
        assert_eq!(signal_action(Signal::Kill), Some(Exit(137)));
        assert_eq!(signal_action(Signal::Abrt), Some(Exit(134)));
        // From 16 on, Linux's numbers are one higher (SIGXCPU = 24, SIGSYS = 31).
        assert_eq!(signal_action(Signal::Xcpu), Some(Exit(152)));
        assert_eq!(signal_action(Signal::Sys), Some(Exit(159)));
    }
}
