//! The options of `lucent serve`.

use clap::Args;
use lucent_runner::options::{GuestArgs, parse_duration, parse_size};
use std::net::SocketAddr;
use std::path::PathBuf;

/// How long a guest may run when `--timeout` is not given.
pub const DEFAULT_TIMEOUT_NS: u64 = 30_000_000_000;

/// The most memory a guest may use when `--max-memory` is not given.
pub const DEFAULT_MAX_MEMORY: u64 = 256 << 20;

/// Options of `lucent serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// The guest's context, limits and loading, applied to every request. `--timeout` is 504
    /// here (default 30s), and `--max-memory` defaults to 256M.
    #[command(flatten)]
    pub guest: GuestArgs,

    /// Serve the routes of a WAGI `modules.toml` instead of one module for every path.
    #[arg(long, short = 'c', value_name = "FILE", conflicts_with = "module")]
    pub config: Option<PathBuf>,

    /// The address to listen on (port 0: any free port; the address is printed).
    #[arg(long, short = 'l', value_name = "ADDR", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// The most guests running at once; further requests wait in the queue.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_instances: u32,

    /// The most requests waiting for a guest; further requests are answered 503.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_queue: usize,

    /// The largest request body accepted (suffixes K, M, G); larger ones are answered 413.
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "10M")]
    pub max_request_body: u64,

    /// The most a guest may write to its standard output; a guest writing more is answered 500.
    #[arg(long, value_name = "BYTES", value_parser = parse_size, default_value = "10M")]
    pub max_response_body: u64,

    /// How long a client may take to send its body (read before any guest starts); slower
    /// ones are answered 408.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub body_timeout: u64,

    /// On SIGINT or SIGTERM, how long requests in flight may take to finish.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub shutdown_timeout: u64,

    /// For benchmarks: answer every routed request with a fixed hello from the server itself,
    /// running no guest (the modules are still loaded): the ceiling of the rest of the path.
    #[arg(long, hide = true)]
    pub no_guest: bool,

    /// The module to serve for every path (`.wasm`, `.wat`; `.cwasm` with
    /// --allow-precompiled).
    #[arg(value_name = "MODULE", required_unless_present = "config")]
    pub module: Option<PathBuf>,
}
