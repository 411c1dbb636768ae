//! Lucent's integration tests: one test binary (one link of wasmtime), several modules.
//!
//! Every test runs the real `lucent` binary on a real guest, with a fresh temporary sandbox
//! directory preopened, and checks its stdout, stderr, exit status and the files it leaves.

mod cache;
mod cli;
mod clocks;
mod conformance;
mod cpython;
mod fs_fd;
mod fs_path;
mod fs_race;
mod guests;
mod harness;
mod limits;
mod poll;
mod serve;
mod sockets;
mod threads;
mod wat;
