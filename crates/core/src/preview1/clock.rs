//! `clock_*`: reading the context's clocks.

use super::{Result, put};
use crate::WasiCtx;
use lucent_abi::{Clockid, GuestMemory};

/// `clock_res_get(id) -> timestamp`.
///
/// # Errors
///
/// `Inval` for an unknown clock; `Notsup` if the context has no such clock; `Fault` / `Inval`
/// for a bad result pointer.
pub fn clock_res_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, id: u32, resolution: u32) -> Result {
    let id = Clockid::from_guest(id)?;
    let res = ctx.clocks.resolution(id)?;
    put(mem, resolution, res)
}

/// `clock_time_get(id, precision) -> timestamp`.
///
/// # Errors
///
/// As [`clock_res_get`].
pub fn clock_time_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, id: u32, precision: u64, time: u32) -> Result {
    let id = Clockid::from_guest(id)?;
    let now = ctx.clocks.now(id, precision)?;
    put(mem, time, now)
}
