//! The command line.

use clap::{Parser, Subcommand};
use lucent_runner::options::{CompileArgs, RunArgs};
use lucent_serve::options::ServeArgs;
use std::ffi::OsString;

const EXIT_CODES: &str = "\
Exit status:
  N      the guest called proc_exit(N) (the low 8 bits, as POSIX keeps them),
         or 0 when its _start returned
  1      Lucent could not run the module: missing or unreadable file, not a
         WebAssembly module, compile or link error, unknown import, missing
         _start, bad --dir, a precompiled artifact without --allow-precompiled
         or compiled for other options, or a host error
  2      bad command line
  124    the guest ran past --timeout
  134    the guest trapped (unreachable, out-of-bounds access, stack
         overflow, out of --fuel, ...): the trap and a wasm backtrace are
         printed on stderr
  128+N  the guest raised signal N (proc_raise) whose default action ends a
         process";

/// Lucent runs WebAssembly programs written for WASI (wasi_snapshot_preview1 and
/// wasi_unstable) in a sandbox: the guest sees only the directories, environment and
/// arguments you give it.
#[derive(Parser, Debug)]
#[command(name = "lucent", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process")]
pub enum Command {
    /// Run a WebAssembly module (`.wasm` or `.wat`). `lucent MODULE ...` is short for this.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Compile a WebAssembly module ahead of time into a precompiled artifact (`.cwasm`) that
    /// `lucent run --allow-precompiled` loads without compiling. Give the same --deterministic,
    /// --timeout and --fuel options as the runs that will use it: they change the code.
    Compile(CompileArgs),
    /// Serve HTTP: every request runs in a fresh instance of a WebAssembly module, as WAGI
    /// (the WebAssembly Gateway Interface, after CGI) runs it. The request line and headers
    /// are CGI environment variables, the body is standard input, and what the guest writes
    /// on standard output (CGI headers, a blank line, the body) is the response, sent once the
    /// guest has finished. Its standard error goes to the log, tagged with the request id.
    #[command(after_help = SERVE_ANSWERS)]
    Serve(ServeArgs),
}

const SERVE_ANSWERS: &str = "\
What the server answers when the guest does not:
  404  no route serves the path
  408  the body took longer than --body-timeout to arrive
  413  the body is larger than --max-request-body
  500  the guest trapped, wrote no valid CGI headers, wrote more than
       --max-response-body, or could not be instantiated
  503  --max-instances guests run and --max-queue requests wait already
  504  the guest ran past --timeout (default 30s) and was stopped
Logs: one access line per request (LUCENT_LOG=lucent::serve=warn to quiet it).
SIGINT or SIGTERM stops accepting, lets requests in flight finish (up to
--shutdown-timeout) and exits.";

/// Makes `lucent [OPTIONS] MODULE ...` mean `lucent run [OPTIONS] MODULE ...`.
pub fn normalise(mut argv: Vec<OsString>) -> Vec<OsString> {
    let explicit = ["run", "compile", "serve", "help", "-h", "--help", "-V", "--version"];
    match argv.get(1) {
        Some(first) if explicit.iter().any(|e| first == e) => argv,
        Some(_) => {
            argv.insert(1, OsString::from("run"));
            argv
        }
        None => argv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse(args: &[&str]) -> RunArgs {
        let argv = normalise(args.iter().map(OsString::from).collect());
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Run(run) => run,
            other => panic!("not a run: {other:?}"),
        }
    }

    #[test]
    fn short_form_and_options_before_the_module() {
        let run = parse(&["lucent", "--dir", "a::b", "m.wasm", "x", "--dir", "y"]);
        assert_eq!(run.guest.dirs, ["a::b"]);
        assert_eq!(run.module, PathBuf::from("m.wasm"));
        assert_eq!(run.args, ["x", "--dir", "y"]);
    }

    #[test]
    fn run_subcommand() {
        let run = parse(&["lucent", "run", "--env", "A=1", "--trace", "m.wat", "-v"]);
        assert_eq!(run.guest.envs, ["A=1"]);
        assert!(run.trace);
        assert_eq!(run.args, ["-v"]);
    }

    #[test]
    fn compile_subcommand() {
        let argv =
            normalise(["lucent", "compile", "--fuel", "1", "-o", "out.cwasm", "m.wasm"].map(OsString::from).into());
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Compile(compile) => {
                assert_eq!(compile.output, Some(PathBuf::from("out.cwasm")));
                assert_eq!(compile.fuel, Some(1));
                assert_eq!(compile.module, PathBuf::from("m.wasm"));
            }
            other => panic!("not a compile: {other:?}"),
        }
    }

    #[test]
    fn serve_subcommand() {
        let argv = normalise(
            ["lucent", "serve", "--listen", "0.0.0.0:8080", "--dir", "d", "m.wasm"].map(OsString::from).into(),
        );
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Serve(serve) => {
                assert_eq!(serve.listen.port(), 8080);
                assert_eq!(serve.guest.dirs, ["d"]);
                assert_eq!(serve.module, Some(PathBuf::from("m.wasm")));
                assert_eq!(serve.max_request_body, 10 << 20);
            }
            other => panic!("not a serve: {other:?}"),
        }
        let both = normalise(["lucent", "serve", "--config", "modules.toml", "m.wasm"].map(OsString::from).into());
        assert!(Cli::try_parse_from(both).is_err(), "MODULE and --config together");
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
