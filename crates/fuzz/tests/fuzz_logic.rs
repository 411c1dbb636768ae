//! The fuzz targets' logic on stable: random inputs through both targets, the call tables
//! against the specification, and the oracles shown to catch what they are meant to catch.

use lucent_core::PREOPEN_RIGHTS;
use lucent_core::table::{Descriptor, Object};
use lucent_fuzz::tree::Tree;
use lucent_fuzz::{hostcalls, image, paths};
use lucent_host::HostDir;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::Arc;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_hostcall_sequences_end_in_errnos_and_stay_inside(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        hostcalls::run(&data);
    }

    #[test]
    fn random_path_operations_stay_inside(data in prop::collection::vec(any::<u8>(), 0..1024)) {
        paths::run(&data);
    }

    #[test]
    fn random_archives_load_or_are_refused_and_what_loads_is_well_formed(data in prop::collection::vec(any::<u8>(), 0..1024)) {
        image::run(&data);
    }
}

/// The functions of `module` in the specification: the imports of the `spec_report` guest,
/// which refers to every function of both ABIs as the `wasi` crate's bindings declare them.
fn spec_functions(module: &str) -> BTreeSet<String> {
    let engine = wasmtime::Engine::default();
    let report = wasmtime::Module::from_file(&engine, test_programs_artifacts::SPEC_REPORT).expect("spec_report");
    report.imports().filter(|i| i.module() == module).map(|i| i.name().to_owned()).collect()
}

fn table_names(table: &[hostcalls::Hostcall]) -> BTreeSet<String> {
    table.iter().chain(hostcalls::PROC).map(|h| h.name.to_owned()).collect()
}

#[test]
fn the_hostcall_fuzzer_calls_every_function_of_both_abis() {
    let p1 = spec_functions("wasi_snapshot_preview1");
    assert_eq!(p1.len(), 46);
    assert_eq!(table_names(hostcalls::PREVIEW1), p1);
    let p0 = spec_functions("wasi_unstable");
    assert_eq!(p0.len(), 45);
    assert_eq!(table_names(hostcalls::PREVIEW0), p0);
}

#[test]
fn the_outside_oracle_sees_a_change_outside() {
    let (tree, _ctx) = Tree::new(false);
    tree.check_outside().expect("a fresh tree is unchanged");
    std::fs::write(tree.path("sandbox/new"), "inside").expect("write inside");
    tree.check_outside().expect("changes inside the sandbox are allowed");
    std::fs::write(tree.path("outside/secret"), "changed").expect("write outside");
    let err = tree.check_outside().expect_err("a changed file outside is reported");
    assert!(err.contains("outside/secret"), "{err}");
}

#[test]
fn the_outside_oracle_sees_a_new_link_to_an_outside_file() {
    let (tree, _ctx) = Tree::new(false);
    std::fs::hard_link(tree.path("outside/secret"), tree.path("sandbox/stolen")).expect("hard link");
    let err = tree.check_outside().expect_err("the link count outside changed");
    assert!(err.contains("outside/secret"), "{err}");
}

#[test]
fn with_the_sandbox_in_memory_no_host_file_may_change() {
    let (tree, _ctx) = Tree::new(true);
    tree.check_outside().expect("a fresh tree is unchanged");
    std::fs::write(tree.path("sandbox/new"), "x").expect("write");
    let err = tree.check_outside().expect_err("the host's sandbox directory is watched too");
    assert!(err.contains("added: sandbox/new"), "{err}");
}

#[test]
fn the_read_only_mount_is_watched_too() {
    let (tree, _ctx) = Tree::new(false);
    std::fs::create_dir(tree.path("ro/new")).expect("mkdir");
    assert!(tree.check_outside().expect_err("a new entry on the ro mount").contains("added: ro/new"));
}

#[test]
fn the_descriptor_oracle_sees_an_escaped_descriptor_and_write_rights_on_the_read_only_mount() {
    let (tree, ctx) = Tree::new(false);
    tree.check_descriptors(&ctx).expect("the preopens are fine");
    let insert = |path: &str| {
        let dir = HostDir::open_ambient(&tree.path(path)).expect("open");
        let desc = Descriptor { object: Object::Dir(Arc::new(dir)), rights: PREOPEN_RIGHTS, preopen: None };
        ctx.table().insert(desc).expect("room in the table")
    };
    let fd = insert("sandbox/dir");
    tree.check_descriptors(&ctx).expect("a directory inside is fine");
    ctx.table().remove(fd).expect("remove");
    insert("ro/sub");
    let err = tree.check_descriptors(&ctx).expect_err("write rights on the ro mount");
    assert!(err.contains("read-only"), "{err}");
    let (tree, ctx) = Tree::new(false);
    let dir = HostDir::open_ambient(&tree.path("outside")).expect("open");
    let rights = lucent_core::READ_ONLY_PREOPEN_RIGHTS;
    ctx.table().insert(Descriptor { object: Object::Dir(Arc::new(dir)), rights, preopen: None }).expect("insert");
    let err = tree.check_descriptors(&ctx).expect_err("a descriptor outside");
    assert!(err.contains("outside both preopens"), "{err}");
}

/// Pseudo-random inputs from a fixed seed (xorshift), so the reach test below is repeatable.
fn inputs(seed: u64, count: usize, len: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut state = seed;
    (0..count).map(move |_| {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect()
    })
}

fn reach(run: fn(&[u8]) -> lucent_fuzz::Outcomes, len: usize) -> lucent_fuzz::Outcomes {
    let mut total = lucent_fuzz::Outcomes::default();
    for input in inputs(0x9e37_79b9_7f4a_7c15, 300, len) {
        total.add(&run(&input));
    }
    total
}

/// Random bytes must get past argument checking often enough to be worth fuzzing with: the
/// calls that need a valid descriptor, path and pointer succeed sometimes.
#[test]
fn random_inputs_reach_successful_calls() {
    let hostcalls = reach(hostcalls::run, 1024);
    let ok: BTreeSet<_> = hostcalls.succeeded().collect();
    for name in ["path_open", "fd_write", "fd_readdir", "path_filestat_get", "fd_prestat_dir_name", "poll_oneoff"] {
        assert!(ok.contains(name), "{name} never succeeded: {hostcalls:?}");
    }
    let paths = reach(paths::run, 512);
    let ok: BTreeSet<_> = paths.succeeded().collect();
    for name in ["open", "mkdir", "symlink", "rename", "stat", "unlink", "readlink", "readdir"] {
        assert!(ok.contains(name), "{name} never succeeded: {paths:?}");
    }
    // Archives load and hold every kind of node, and some are refused.
    let images = reach(image::run, 512);
    let ok: BTreeSet<_> = images.succeeded().collect();
    for name in ["load", "dir", "file", "symlink"] {
        assert!(ok.contains(name), "no image held a {name}: {images:?}");
    }
    assert!(images.0.get("load").is_some_and(|&(_, refused)| refused > 0), "no archive was refused: {images:?}");
}

/// Found by the `paths` fuzzer in the oracle itself: a descriptor on a file the guest then
/// unlinked refers to an inode that is nowhere, which is not an escape.
#[test]
fn a_held_descriptor_on_an_unlinked_file_is_not_an_escape() {
    let crash = [
        224, 96, 31, 98, 85, 85, 85, 85, 85, 85, 85, 255, 255, 255, 255, 255, 224, 107, 115, 117, 255, 255, 255, 255,
        255, 255, 255, 255, 171, 12, 171, 12, 12, 12, 12, 12, 12, 61, 85, 85, 85, 85, 85, 85, 85, 255, 255, 255, 255,
        255, 224, 107, 115, 117, 171, 12, 171, 12, 12, 12, 12, 12, 12, 61, 12, 12, 12, 12, 113, 51, 98, 12, 61, 14,
        255, 255, 255, 114, 111, 115, 12, 12, 12, 12, 113, 51, 98, 12, 61, 14, 255, 255, 255, 114, 111, 115,
    ];
    let outcomes = paths::run(&crash);
    assert_eq!(outcomes.0.get("unlink").map(|(ok, _)| *ok), Some(1), "{outcomes:?}");
}
