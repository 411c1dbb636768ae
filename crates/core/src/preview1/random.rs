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
    let region = Region::new(buf, buf_len);
    if let Some(dst) = mem.direct_mut(region)? {
        return ctx.random.fill(dst);
    }
    // A shared memory: filled through a host buffer, a piece at a time.
    let mut chunk = vec![0u8; usize::try_from(buf_len).unwrap_or(0).min(super::fd::SHARED_CHUNK)];
    let mut done = 0u32;
    while done < buf_len {
        let n = buf_len.saturating_sub(done).min(u32::try_from(chunk.len()).unwrap_or(u32::MAX));
        let piece = chunk.get_mut(..usize::try_from(n).unwrap_or(0)).unwrap_or_default();
        ctx.random.fill(piece)?;
        mem.write_bytes(buf.checked_add(done).ok_or(lucent_abi::Errno::Fault)?, piece)?;
        done = done.saturating_add(n);
    }
    Ok(())
}
