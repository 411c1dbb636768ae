//! Guest programs (Rust and C, compiled to wasm32-wasip1) run through the runner.

use crate::harness::Sandbox;
use test_programs_artifacts as guests;

/// Every guest program has a test in this file.
#[test]
fn every_guest_program_has_a_test() {
    let source = include_str!("guests.rs");
    for (name, _) in guests::ALL {
        assert!(source.contains(&format!("guests::{}", name.to_uppercase())), "guest `{name}` has no test");
    }
}

#[test]
fn args_env() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .lucent()
        .opts(["--env", "GREETING=hi", "--env", "EMPTY="])
        .run(guests::ARGS_ENV, &["one", "two words", ""]);
    out.expect_success();
    assert_eq!(
        out.stdout,
        format!("argc=4\narg0={}\narg1=one\narg2=two words\narg3=\nenv EMPTY=\nenv GREETING=hi\n", guests::ARGS_ENV)
    );
}
