//! What every Lucent front-end shares (the `lucent` CLI now; the per-request server and the
//! containerd shim to come): the options of a run ([`options`]), loading a module from a
//! `.wasm`, a `.wat`, a precompiled artifact or the compile cache ([`compile`], [`cache`]),
//! turning the options into a context with its limits and running the module with the
//! exit-status policy ([`run`]), and one thread per engine that stops guests at their
//! deadlines ([`deadline`]).
//!
//! ```no_run
//! use clap::Parser;
//! use lucent_runner::options::RunArgs;
//!
//! #[derive(Parser)]
//! struct Front {
//!     #[command(flatten)]
//!     run: RunArgs,
//! }
//!
//! let front = Front::parse_from(["front", "--dir", ".", "hello.wasm"]);
//! let outcome = lucent_runner::run::run(&front.run)?;
//! std::process::exit(i32::from(lucent_runner::run::outcome_status(&outcome)));
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod cache;
pub mod compile;
pub mod deadline;
pub mod options;
pub mod run;
