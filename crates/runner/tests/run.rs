//! Guests run in-process through the runner library, as every front-end runs them: no
//! `lucent` process in between.

use clap::Parser;
use lucent_runner::options::RunArgs;
use lucent_runner::run::{Outcome, outcome_status, run};
use test_programs_artifacts as guests;

/// A front-end that takes the runner's options, as the CLI does.
#[derive(Parser)]
struct Front {
    #[command(flatten)]
    run: RunArgs,
}

/// The options `args` give, with the compile cache in `cache`.
fn options(cache: &std::path::Path, args: &[&str]) -> RunArgs {
    let cache = cache.to_string_lossy().into_owned();
    let argv = ["front", "--cache-dir", &cache].into_iter().chain(args.iter().copied());
    Front::try_parse_from(argv).unwrap().run
}

#[test]
fn a_guest_runs_in_process_with_its_options() {
    let cache = tempfile::tempdir().unwrap();
    let outcome = run(&options(cache.path(), &[guests::EXIT, "7"])).unwrap();
    assert!(matches!(outcome, Outcome::Exited(7)), "{outcome:?}");
    assert_eq!(outcome_status(&outcome), 7);

    // A preopened directory: the guest reads what the host put there and writes beside it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("input.txt"), "hello\n").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let spec = format!("{}::.", dir.path().display());
    let outcome = run(&options(cache.path(), &["--dir", &spec, guests::FILES])).unwrap();
    assert!(matches!(outcome, Outcome::Exited(0)), "{outcome:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("sub/nested.txt")).unwrap(), "nested");
}

#[test]
fn limits_and_bad_input_are_the_runners_outcomes() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spin = dir.path().join("spin.wat");
    std::fs::write(&spin, r#"(module (func (export "_start") (loop $l (br $l))))"#).unwrap();
    let spin = spin.to_string_lossy().into_owned();
    let outcome = run(&options(cache.path(), &["--timeout", "200ms", &spin])).unwrap();
    assert!(matches!(outcome, Outcome::TimedOut), "{outcome:?}");
    assert_eq!(outcome_status(&outcome), 124);
    let outcome = run(&options(cache.path(), &["--fuel", "1000", &spin])).unwrap();
    assert!(matches!(outcome, Outcome::Trapped), "{outcome:?}");

    let missing = dir.path().join("missing.wasm").to_string_lossy().into_owned();
    let error = run(&options(cache.path(), &[&missing])).unwrap_err();
    assert!(error.to_string().contains("cannot read module"), "{error}");
}

#[test]
fn a_threaded_program_ends_in_process_and_its_threads_with_it() {
    let cache = tempfile::tempdir().unwrap();
    let case = |opts: &[&str], case: &str| {
        let mut args = opts.to_vec();
        args.extend([guests::THREADS_END, case]);
        run(&options(cache.path(), &args)).unwrap()
    };
    // A thread exits while main joins it (parked in `memory.atomic.wait`).
    assert!(matches!(case(&[], "exit-while-joining"), Outcome::Exited(9)));
    // A thread panics while main waits on a channel for ever.
    assert!(matches!(case(&[], "panic-in-thread"), Outcome::Trapped));
    // Main returns while a thread spins: with epoch checks compiled in, the spinner stops.
    let started = std::time::Instant::now();
    assert!(matches!(case(&["--timeout", "60s"], "main-returns"), Outcome::Exited(0)));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}
