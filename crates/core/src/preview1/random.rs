//! `random_get`: random bytes straight into guest memory.

use super::Result;
use crate::WasiCtx;
use lucent_abi::{GuestMemory, Region};

/// Most bytes one `random_get` call fills (16 MiB): far more than any seed or key needs.
pub const MAX_RANDOM_GET: u32 = 16 << 20;

/// `random_get(buf, buf_len)`: fills the buffer from the context's random source.
///
/// # Errors
///
/// `Inval` for more than [`MAX_RANDOM_GET`] bytes; `Fault` for a buffer outside memory;
/// `Notsup` if the context has no random source.
pub fn random_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, buf: u32, buf_len: u32) -> Result {
    if buf_len > MAX_RANDOM_GET {
        return Err(lucent_abi::Errno::Inval);
    }
    let dst = mem.bytes_mut(Region::new(buf, buf_len))?;
    ctx.random.fill(dst)
}
