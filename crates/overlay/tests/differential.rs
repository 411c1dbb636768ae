//! Random sequences of filesystem operations applied to a host directory holding a fixture
//! and to an overlay whose lower layer is another host directory holding the same fixture
//! give the same results, errno by errno and byte by byte; and the lower directory never
//! changes. Inode numbers, devices, timestamps and directories' link counts differ by nature
//! and are not compared; listings are compared as sets.

#[path = "../../memfs/tests/support/ops.rs"]
mod ops;

use lucent_core::fs::WasiDir;
use lucent_host::HostDir;
use lucent_memfs::{MemFs, Options};
use lucent_overlay::Overlay;
use ops::{op, run};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Makes the fixture in `dir`: files, directories (one nested), a symlink.
fn fixture(dir: &Path) {
    std::fs::write(dir.join("a"), "alpha").unwrap();
    std::fs::create_dir_all(dir.join("d/d")).unwrap();
    std::fs::write(dir.join("d/a"), vec![7u8; 5000]).unwrap();
    std::fs::write(dir.join("d/d/a"), "deep").unwrap();
    std::os::unix::fs::symlink("d", dir.join("l")).unwrap();
}

/// Every name beneath `root` with its type, contents (or target) and modification time.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.is_dir() {
                stack.push(path.clone());
                "dir".to_string()
            } else if meta.is_symlink() {
                format!("-> {:?}", std::fs::read_link(&path).unwrap())
            } else {
                format!("{:?}", std::fs::read(&path).unwrap())
            };
            out.insert(
                path.strip_prefix(root).unwrap().display().to_string(),
                format!("{what} {:?}", meta.modified().unwrap()),
            );
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn an_overlay_does_what_the_host_does_and_never_changes_its_lower_layer(ops in proptest::collection::vec(op(), 1..40)) {
        let (reference, lower) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        fixture(reference.path());
        fixture(lower.path());
        let before = snapshot(lower.path());
        let host: Arc<dyn WasiDir> = Arc::new(HostDir::open_ambient(reference.path()).unwrap());
        let lower_dir: Arc<dyn WasiDir> = Arc::new(HostDir::open_ambient(lower.path()).unwrap());
        let overlay = Overlay::new(lower_dir, MemFs::new(Options::default())).unwrap().root();
        for (i, op) in ops.iter().enumerate() {
            prop_assert_eq!(run(&host, op, false), run(&overlay, op, false), "step {} {:?} of {:?}", i, op, ops);
        }
        prop_assert_eq!(snapshot(lower.path()), before);
    }
}
