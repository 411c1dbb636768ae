//! `args_*` and `environ_*`: the program's arguments and environment, as C string lists.

use super::{Result, guest_size, put};
use crate::WasiCtx;
use lucent_abi::{Errno, GuestMemory, GuestPtr};

/// The number of strings and the bytes they take with their NUL terminators.
fn sizes(list: &[Vec<u8>]) -> Result<(u32, u32)> {
    let count = guest_size(list.len())?;
    let bytes = list.iter().try_fold(0u32, |total, s| {
        guest_size(s.len()).ok().and_then(|len| len.checked_add(1)).and_then(|len| total.checked_add(len))
    });
    Ok((count, bytes.ok_or(Errno::Overflow)?))
}

/// Writes the strings NUL-terminated, one after another, at `buf`, and a pointer to each into
/// the array at `ptrs`.
fn write_list(mem: &mut GuestMemory<'_>, list: &[Vec<u8>], ptrs: u32, buf: u32) -> Result {
    let mut cursor = buf;
    let array = GuestPtr::<u32>::new(ptrs);
    for (index, item) in list.iter().enumerate() {
        let text_len = guest_size(item.len())?;
        let nul = cursor.checked_add(text_len).ok_or(Errno::Fault)?;
        // The terminator first: if it fits, so does the text before it, and a string that
        // does not fit is not written at all.
        mem.write(GuestPtr::<u8>::new(nul), &0)?;
        mem.write_bytes(cursor, item)?;
        mem.write(array.element(guest_size(index)?)?, &cursor)?;
        cursor = nul.checked_add(1).ok_or(Errno::Fault)?;
    }
    Ok(())
}

/// `args_get(argv, argv_buf)`: writes the arguments.
///
/// # Errors
///
/// `Fault` / `Inval` for pointers out of bounds or misaligned.
pub fn args_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, argv: u32, argv_buf: u32) -> Result {
    write_list(mem, &ctx.args, argv, argv_buf)
}

/// `args_sizes_get() -> (argc, argv_buf_size)`.
///
/// # Errors
///
/// `Fault` / `Inval` for bad result pointers.
pub fn args_sizes_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, argc: u32, argv_buf_size: u32) -> Result {
    let (count, bytes) = sizes(&ctx.args)?;
    put(mem, argc, count)?;
    put(mem, argv_buf_size, bytes)
}

/// `environ_get(environ, environ_buf)`: writes the `NAME=VALUE` strings.
///
/// # Errors
///
/// `Fault` / `Inval` for pointers out of bounds or misaligned.
pub fn environ_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, environ: u32, environ_buf: u32) -> Result {
    write_list(mem, &ctx.env, environ, environ_buf)
}

/// `environ_sizes_get() -> (count, buf_size)`.
///
/// # Errors
///
/// `Fault` / `Inval` for bad result pointers.
pub fn environ_sizes_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, count: u32, buf_size: u32) -> Result {
    let (n, bytes) = sizes(&ctx.env)?;
    put(mem, count, n)?;
    put(mem, buf_size, bytes)
}
