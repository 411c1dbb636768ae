//! Host-controlled clocks: `--clock-resolution`, `--deterministic`, `--random-seed`.

use crate::harness::{Output, Run, Sandbox};
use test_programs_artifacts as guests;

#[test]
fn clock_resolution_coarsens_every_clock() {
    for (flag, ns) in [("1ms", "1000000"), ("100us", "100000")] {
        let out = Sandbox::new().lucent().opts(["--clock-resolution", flag]).run(guests::CLOCK_PRECISION, &[ns]);
        out.expect_success();
        assert_eq!(out.stdout, "ok\n");
    }
    // Without the flag, the host's resolution (1 ns here) shows through.
    let out = Sandbox::new().lucent().run(guests::CLOCK_PRECISION, &["1"]);
    out.expect_success();
}

#[test]
fn bad_clock_resolution_is_one_line() {
    let out = Sandbox::new().lucent().opts(["--clock-resolution", "fast"]).run(guests::CLOCK_PRECISION, &["1"]);
    out.expect_code(2);
    assert!(out.stderr.contains("`fast` is not a duration"), "{}", out.stderr);
}

/// The listing fixture: files created in an order that is not sorted.
fn sandbox_with_listing() -> Sandbox {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.path("listing")).unwrap();
    for name in ["m", "c", "x", "a", "q", "b", "zz", "e", "k", "d"] {
        std::fs::write(sandbox.path(&format!("listing/{name}")), name).unwrap();
    }
    sandbox
}

fn run(opts: &[&str], sleep_secs: &str) -> Output {
    let sandbox = sandbox_with_listing();
    let out = sandbox.lucent().opts(opts).run(guests::DETERMINISM, &[sleep_secs]);
    out.expect_success();
    out
}

#[test]
fn deterministic_runs_are_byte_identical() {
    let first = run(&["--deterministic"], "0");
    let second = run(&["--deterministic"], "0");
    assert_eq!(first.stdout, second.stdout);
    // What it printed is the virtual world: 2000-01-01, 1us per read, sorted listing.
    assert!(first.stdout.starts_with("wall: 946684800.000"), "{}", first.stdout);
    assert!(first.stdout.contains("monotonic deltas: [1000, 1000, 1000, 1000, 1000]"), "{}", first.stdout);
    assert!(
        first.stdout.contains(r#"listing: [".", "..", "a", "b", "c", "d", "e", "k", "m", "q", "x", "zz"]"#)
            || first.stdout.contains(r#"listing: ["a", "b", "c", "d", "e", "k", "m", "q", "x", "zz"]"#),
        "{}",
        first.stdout
    );
    // A seed changes the random bytes, and only them.
    let seeded = run(&["--deterministic", "--random-seed", "42"], "0");
    let random = |o: &Output| o.stdout.lines().find(|l| l.starts_with("random:")).unwrap().to_owned();
    assert_ne!(random(&first), random(&seeded));
    assert_eq!(first.stdout.replace(&random(&first), ""), seeded.stdout.replace(&random(&seeded), ""));
    let again = run(&["--random-seed", "42"], "0");
    assert_eq!(random(&again), random(&seeded));
}

#[test]
fn runs_without_deterministic_differ() {
    let first = run(&[], "0");
    let second = run(&[], "0");
    assert_ne!(first.stdout, second.stdout);
}

/// A 10-second sleep under --deterministic advances virtual time and returns at once.
#[test]
fn deterministic_sleep_does_not_wait() {
    let started = std::time::Instant::now();
    let out = run(&["--deterministic"], "10");
    let took = started.elapsed();
    assert!(out.stdout.contains("sleep took: 10.0015"), "{}", out.stdout);
    assert!(took < std::time::Duration::from_secs(8), "a virtual 10 s sleep took {took:?}");
}

/// On a tmpfs, a deterministic run is byte-identical too: inode numbers, link counts, sizes,
/// timestamps (from the virtual clock) and listing order included; and the run is one on the
/// virtual calendar, not the host's.
#[test]
fn deterministic_runs_on_a_tmpfs_are_byte_identical() {
    let run = |opts: &[&str]| {
        let out = Run::new().opts(["--tmpfs", "."]).opts(opts).run(guests::DETERMINISM, &["files"]);
        out.expect_success();
        out.stdout
    };
    let first = run(&["--deterministic"]);
    assert_eq!(first, run(&["--deterministic"]));
    assert!(first.lines().count() == 7 && first.contains("a2 ino=6 d_ino=6"), "{first}");
    for line in first.lines().skip(1) {
        let time = line.split_whitespace().find_map(|w| w.strip_prefix("m=")).unwrap();
        let time: u64 = time.parse().unwrap();
        assert!((946_684_800_000_000_000..946_684_801_000_000_000).contains(&time), "{line}");
    }
    // Without it, the times are the host's (and differ between runs).
    let host = run(&[]);
    assert!(!host.contains(" m=94668"), "{host}");
}
