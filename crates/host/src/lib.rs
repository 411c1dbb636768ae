//! Lucent's host backend: host directories and files (through `rustix`), the host's clocks,
//! randomness and scheduler, the directories withheld from every guest, and the mapping of host
//! errors to WASI errnos. Everything a guest does to the operating system goes through it.
//!
//! ```no_run
//! use lucent_host::{HostDir, host_builder};
//! use std::sync::Arc;
//!
//! let dir = HostDir::open_ambient(std::path::Path::new("/tmp"))?;
//! let ctx = host_builder().arg("prog").preopened_dir(Arc::new(dir), "/tmp").build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Guest input never panics the host: outside tests, nothing that can panic or silently wrap on
// a value it is given. Each remaining site carries an `allow` with its reason; the audit is
// docs/panic-audit.md.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss,
        clippy::disallowed_methods
    )
)]

mod clocks;
mod dir;
pub mod errno;
mod file;
mod listing;
mod sched;
mod stat;
mod withheld;

pub use clocks::{HostClocks, HostRandom};
pub use dir::HostDir;
pub use file::HostFile;
pub use listing::BUFFER_BYTES as LISTING_BUFFER_BYTES;
pub use sched::HostSched;
pub use withheld::Withheld;

use lucent_core::WasiCtxBuilder;
use lucent_core::fs::{ClosedFile, WasiFile};
use std::sync::Arc;

/// A context builder with the host's clocks, randomness and scheduler, and the host process's
/// standard streams (a stream the process does not have open is closed for the guest too).
/// Arguments, environment and preopens stay empty.
pub fn host_builder() -> WasiCtxBuilder {
    with_host_stdio(
        WasiCtxBuilder::new()
            .clocks(Arc::new(HostClocks::new()))
            .random(Box::new(HostRandom))
            .sched(Arc::new(HostSched)),
    )
}

/// `builder` with the host process's standard streams as the guest's (a stream the process
/// does not have open is closed for the guest too).
pub fn with_host_stdio(builder: WasiCtxBuilder) -> WasiCtxBuilder {
    let stream = |file: std::io::Result<HostFile>| -> Arc<dyn WasiFile> {
        match file {
            Ok(file) => Arc::new(file),
            Err(_) => Arc::new(ClosedFile),
        }
    };
    builder.stdin(stream(HostFile::stdin())).stdout(stream(HostFile::stdout())).stderr(stream(HostFile::stderr()))
}

/// The process's effective user id: the owner of the files it creates. The compile cache
/// uses only directories and entries this user owns.
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}
