//! `random_get`: random bytes straight into guest memory.

use super::Result;
use crate::WasiCtx;
use lucent_abi::{GuestMemory, Region};

/// `random_get(buf, buf_len)`: fills the buffer from the context's random source.
///
/// # Errors
///
/// `Fault` for a buffer outside memory; `Notsup` if the context has no random source.
pub fn random_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, buf: u32, buf_len: u32) -> Result {
    let dst = mem.bytes_mut(Region::new(buf, buf_len))?;
    ctx.random.fill(dst)
}
