//! `proc_*` and `sched_yield`.

use super::Result;
use crate::WasiCtx;
use lucent_abi::{Errno, GuestMemory};

/// The guest asked to end with this exit code (`proc_exit`). The engine binding turns it into
/// an unwinding of the instance, and the runner into the process's exit status.
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

/// `proc_raise(sig)`: not implemented yet.
///
/// # Errors
///
/// `Nosys`.
pub fn proc_raise(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, _sig: u32) -> Result {
    Err(Errno::Nosys)
}

/// `sched_yield()`: not implemented yet.
///
/// # Errors
///
/// `Nosys`.
pub fn sched_yield(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>) -> Result {
    Err(Errno::Nosys)
}
