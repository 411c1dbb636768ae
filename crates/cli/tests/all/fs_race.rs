//! The sandbox under concurrent change: another process (here, a host thread) swaps
//! directories for escaping symlinks, or renames the preopen, while the guest resolves paths.

use crate::harness::{Sandbox, lucent_command};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use test_programs_artifacts as guests;

/// Thousands of opens through a path whose directory is swapped, in a loop, for symlinks to
/// `/`, to the sandbox's parent (absolute) and to `..`: not one reads the file outside.
#[test]
fn swapping_a_directory_for_escaping_symlinks_never_escapes() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir();
    std::fs::create_dir(dir.join("real")).unwrap();
    std::fs::write(dir.join("real/outside.txt"), "inside").unwrap();
    std::os::unix::fs::symlink("/", dir.join("to_root")).unwrap();
    std::os::unix::fs::symlink(sandbox.root(), dir.join("to_parent_abs")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("to_parent_rel")).unwrap();
    // Make `/outside.txt`-style targets tempting too: the parent has outside.txt = "secret".

    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let dir = dir.clone();
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for other in ["to_root", "real", "to_parent_abs", "real", "to_parent_rel"] {
                    // Each rename is atomic: `swap` is one of the four, or missing. Each state
                    // is held for a moment, so the guest meets every one of them.
                    std::fs::rename(dir.join(other), dir.join("swap")).unwrap();
                    std::thread::sleep(std::time::Duration::from_micros(20));
                    std::fs::rename(dir.join("swap"), dir.join(other)).unwrap();
                    swaps += 1;
                }
            }
            swaps
        })
    };
    // At least 5000 opens, going on until both outcomes have been seen 100 times.
    let out = sandbox.lucent().run(guests::RACE_SWAP, &["5000", "100"]);
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    out.expect_success();
    assert_eq!(out.stdout, "escaped=0\n", "stderr: {}", out.stderr);
    assert!(swaps > 100, "the swapper barely ran ({swaps} swaps)");
    // Both outcomes happened: the race was real.
    let tally = out.stderr.trim();
    let count = |key: &str| -> u32 {
        tally.split_whitespace().find_map(|kv| kv.strip_prefix(key)).and_then(|v| v.parse().ok()).unwrap()
    };
    assert!(count("opened=") > 0 && count("refused=") > 0, "{tally}");
    assert!(count("iterations=") >= 5000, "{tally}");
    sandbox.assert_outside_untouched();
}

/// The guest holds its preopen while the host renames the directory and puts a decoy in its
/// place: the guest keeps working in the renamed directory, and `..` still stops at it.
#[test]
fn a_preopen_renamed_on_the_host_keeps_its_identity() {
    let sandbox = Sandbox::new();
    sandbox.write("file.txt", "held");
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    let mut child = lucent_command()
        .arg("--dir")
        .arg(format!("{}::.", sandbox.dir().display()))
        .arg(guests::PREOPEN_MOVED)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");

    let moved = sandbox.root().join("moved");
    std::fs::rename(sandbox.dir(), &moved).unwrap();
    std::fs::create_dir(sandbox.dir()).unwrap();
    std::fs::write(sandbox.path("file.txt"), "decoy").unwrap();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();

    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "done\n");
    assert!(child.wait().unwrap().success());
    assert_eq!(std::fs::read_to_string(moved.join("created-after-move.txt")).unwrap(), "moved");
    assert!(!sandbox.path("created-after-move.txt").exists());
    assert_eq!(std::fs::read_to_string(sandbox.path("file.txt")).unwrap(), "decoy");
    assert_eq!(std::fs::read_to_string(sandbox.root().join("outside.txt")).unwrap(), "secret");
}
