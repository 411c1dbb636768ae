//! `lucent`: the command-line runner.

mod args;

use args::{Cli, Command};
use clap::Parser;
use lucent_runner::{compile, run};
use std::process::ExitCode;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Sets up the log on standard error. `batched` (the server) writes it from a thread of its
/// own, many lines per write; the guard it returns writes what is left when it is dropped.
fn init_tracing(trace: bool, default: &str, batched: bool) -> Option<WorkerGuard> {
    let filter = if trace {
        EnvFilter::new(format!("{}=trace", lucent_wasmtime::trace::TARGET))
    } else {
        EnvFilter::try_from_env("LUCENT_LOG").unwrap_or_else(|_| EnvFilter::new(default))
    };
    use std::io::IsTerminal;
    let subscriber = tracing_subscriber::fmt()
        // Colours only on a terminal: logs written to a file or a pipe stay plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .without_time()
        .with_level(!trace)
        .with_target(!trace);
    if batched {
        // Not lossy: when the thread falls behind, requests wait rather than lines vanish.
        let (writer, guard) =
            NonBlockingBuilder::default().lossy(false).finish(std::io::BufWriter::new(std::io::stderr()));
        subscriber.with_writer(writer).init();
        Some(guard)
    } else {
        subscriber.with_writer(std::io::stderr).init();
        None
    }
}

/// The one line for a command Lucent could not carry out, and its status.
fn failed(e: &anyhow::Error) -> ExitCode {
    eprintln!("lucent: error: {e:#}");
    ExitCode::from(run::FAILURE_STATUS)
}

fn main() -> ExitCode {
    let argv = args::normalise(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match cli.command {
        Command::Run(args) => {
            // By default only the cache's warnings: an entry someone else wrote was refused.
            init_tracing(args.trace, "lucent::cache=warn", false);
            match run::run_process(&args) {
                Ok(run::Outcome::Exited(status)) => ExitCode::from(status),
                Ok(run::Outcome::Trapped) => ExitCode::from(run::TRAP_STATUS),
                Ok(run::Outcome::TimedOut) => ExitCode::from(run::TIMEOUT_STATUS),
                Err(e) => failed(&e),
            }
        }
        Command::Compile(args) => {
            init_tracing(false, "lucent::cache=warn", false);
            match compile::compile(&args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => failed(&e),
            }
        }
        Command::Serve(args) => {
            // The server's own lines (start-up, access log, guests' standard error) by default.
            let _log = init_tracing(false, "lucent::cache=warn,lucent::serve=info", true);
            match lucent_serve::serve(&args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => failed(&e),
            }
        }
    }
}
