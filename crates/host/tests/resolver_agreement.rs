//! The `openat2(RESOLVE_BENEATH)` fast path and the component-by-component walk agree: on a
//! tree with every kind of symlink, each path reaches the same file (or fails with the same
//! errno) both ways, with and without following, as a file or a directory.

use lucent_abi::Errno;
use lucent_core::fs::{OpenOptions, WasiDir};
use lucent_core::path::{identity, open_walk};
use lucent_host::HostDir;
use std::os::unix::fs::symlink;
use std::sync::Arc;
use tempfile::TempDir;

fn tree() -> (TempDir, Arc<dyn WasiDir>) {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("outside.txt"), "secret").unwrap();
    let s = root.path().join("sandbox");
    std::fs::create_dir_all(s.join("a/b")).unwrap();
    std::fs::write(s.join("f"), "f").unwrap();
    std::fs::write(s.join("a/f"), "af").unwrap();
    std::fs::write(s.join("a/b/f"), "abf").unwrap();
    for (target, link) in [
        ("f", "l_file"),
        ("a", "l_dir"),
        ("a/", "l_dir_slash"),
        ("a/b/../f", "l_dotdot_inside"),
        ("..", "l_up"),
        ("../outside.txt", "l_out"),
        ("../../outside.txt", "a/l_out2"),
        ("/etc/passwd", "l_abs"),
        ("/", "l_root"),
        ("l_c", "l_b"),
        ("l_b", "l_c"),
        ("nowhere", "l_dangling"),
        ("l_file", "l_chain"),
        ("l_chain", "l_chain2"),
        (".", "l_dot"),
        ("../f", "a/l_back"),
        ("b/f", "a/l_bf"),
    ] {
        symlink(target, s.join(link)).unwrap();
    }
    let dir: Arc<dyn WasiDir> = Arc::new(HostDir::open_ambient(&s).unwrap());
    (root, dir)
}

const TOKENS: &[&str] = &[
    "a",
    "b",
    "f",
    ".",
    "..",
    "",
    "l_file",
    "l_dir",
    "l_dir_slash",
    "l_dotdot_inside",
    "l_up",
    "l_out",
    "l_out2",
    "l_abs",
    "l_root",
    "l_b",
    "l_dangling",
    "l_chain2",
    "l_dot",
    "l_back",
    "l_bf",
    "nope",
];

fn check(dir: &Arc<dyn WasiDir>, path: &str) {
    for follow in [true, false] {
        for directory in [false, true] {
            let options = OpenOptions { read: true, directory, ..OpenOptions::default() };
            let Some(fast) = dir.open_beneath(path.as_bytes(), follow, &options) else {
                // No openat2 on this kernel: nothing to compare.
                return;
            };
            let slow = open_walk(dir, path.as_bytes(), follow, &options);
            assert_eq!(identity(&fast), identity(&slow), "path {path:?}, follow {follow}, directory {directory}");
        }
    }
}

#[test]
fn fixed_paths_agree() {
    let (_root, dir) = tree();
    for path in [
        "f",
        "a/f",
        "a/b/f",
        ".",
        "a/..",
        "a/b/../../f",
        "..",
        "../outside.txt",
        "a/../../sandbox/f",
        "f/",
        "a/",
        "l_file",
        "l_file/",
        "l_dir/f",
        "l_dir",
        "l_dir/",
        "l_dir_slash",
        "l_dir_slash/b/f",
        "l_dotdot_inside",
        "l_up",
        "l_up/outside.txt",
        "l_out",
        "a/l_out2",
        "l_abs",
        "l_root",
        "l_root/etc/passwd",
        "l_b",
        "l_b/x",
        "l_dangling",
        "l_chain2",
        "l_dot/l_dot/f",
        "a/l_back",
        "a/l_bf",
        "l_dir/l_back",
        "l_dir/b/..",
        "a//b///f",
        "./f",
        "nope",
        "a/nope/f",
        "f/.",
        "l_file/.",
        "l_dir/.",
    ] {
        check(&dir, path);
    }
}

#[test]
fn escapes_are_perm_on_the_fast_path() {
    let (_root, dir) = tree();
    let options = OpenOptions { read: true, ..OpenOptions::default() };
    for path in ["..", "../outside.txt", "l_out", "a/l_out2", "l_abs", "l_root", "l_up/outside.txt", "a/../../x"] {
        if let Some(result) = dir.open_beneath(path.as_bytes(), true, &options) {
            assert_eq!(result.err(), Some(Errno::Perm), "{path}");
        }
    }
}

proptest::proptest! {
    #[test]
    fn random_paths_agree(parts in proptest::collection::vec(proptest::sample::select(TOKENS), 1..6), slash: bool) {
        let (_root, dir) = tree();
        let mut path = parts.join("/");
        if slash {
            path.push('/');
        }
        if lucent_core::path::check_path(path.as_bytes()).is_ok() {
            check(&dir, &path);
        }
    }
}
