//! `lucent serve`: serves HTTP by running a fresh instance of a WebAssembly module for every
//! request, as the WebAssembly Gateway Interface (WAGI) does: the request's line and headers
//! become CGI environment variables, its body the guest's standard input, and the guest's
//! standard output, once it has finished, the response. One module for every path, or several
//! routes from a WAGI `modules.toml`.
//!
//! Every request gets its own store and context: nothing (memory, globals, descriptors,
//! environment) passes from one request to the next, and a guest that traps, loops or writes
//! too much spoils only its own answer (500, 504, 500).

mod app;
pub mod options;
mod server;
mod stderr;

pub use server::serve;
