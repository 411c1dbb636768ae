//! Paths of the guest test programs, compiled to wasm32-wasip1 by this crate's build script.
//! Rust programs are named after their file in `crates/test-programs/src/bin`; C programs in
//! `crates/test-programs/c` get a `c_` prefix.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
