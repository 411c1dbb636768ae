//! The trap-versus-errno policy, in one place.
//!
//! * A hostcall that fails returns its errno to the guest; this includes bad guest pointers
//!   (`Fault`), misaligned pointers and invalid enum or flag values (`Inval`). The guest keeps
//!   running and can handle the error, as with a POSIX `EFAULT`.
//! * `proc_exit`, and `proc_raise` with a signal whose default action terminates, unwind the
//!   instance with an [`Exit`] error, which the embedder (the CLI) turns into the exit status.
//! * A hostcall made after the instance was asked to stop (`WasiCtx::stop_handle`), or one
//!   whose wait the stop ended, traps with [`wasmtime::Trap::Interrupt`], as wasm code does
//!   past an epoch deadline.
//! * Nothing else a guest does makes a hostcall trap.

use lucent_abi::Errno;
use lucent_core::Exit;

/// The value a hostcall returns to the guest for `result`.
pub fn errno_result(result: Result<(), Errno>) -> wasmtime::Result<i32> {
    Ok(match result {
        Ok(()) => 0,
        Err(errno) => i32::from(errno.raw()),
    })
}

/// The trap that ends an instance asked to stop.
pub fn stopped() -> wasmtime::Error {
    wasmtime::Error::new(wasmtime::Trap::Interrupt)
}

/// The error that unwinds the instance when the guest calls `proc_exit`.
pub fn exit(exit: Exit) -> wasmtime::Error {
    wasmtime::Error::new(exit)
}
