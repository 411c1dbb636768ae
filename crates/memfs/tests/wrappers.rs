//! The core's wrappers on a backend that is not the host's: a quota and sorted listings over
//! the memory filesystem.

use lucent_abi::Errno;
use lucent_core::fs::{Found, OpenOptions, Opened, WasiDir};
use lucent_core::path::Component;
use lucent_core::wrap::{Quota, QuotaDir, SortedDir};
use lucent_memfs::{MemFs, Options};
use std::io::IoSlice;
use std::sync::Arc;

fn c(name: &str) -> Component {
    Component::new(name.as_bytes()).unwrap()
}

fn create(dir: &Arc<dyn WasiDir>, name: &str) -> Result<Opened, Errno> {
    dir.open(&c(name), &OpenOptions { write: true, create: true, ..OpenOptions::default() })
}

#[test]
fn a_quota_on_the_memory_backend_counts_names_and_data_and_refuses_past_it() {
    let quota = Arc::new(Quota::with_unit(10_000, 1000));
    let root: Arc<dyn WasiDir> = Arc::new(QuotaDir::new(MemFs::new(Options::default()).root(), quota.clone()));
    let Ok(Opened::File(file)) = create(&root, "f") else { panic!() };
    assert_eq!(quota.used(), 257);
    // 2500 bytes are 3 units; a write that would pass the limit changes nothing.
    assert_eq!(file.write_vectored(&[IoSlice::new(&[1; 2500])]), Ok(2500));
    assert_eq!(quota.used(), 257 + 3000);
    assert_eq!(file.pwrite_vectored(&[IoSlice::new(&[2; 8000])], 2500), Err(Errno::Dquot));
    assert_eq!(file.filestat().unwrap().size, 2500);
    // Opening what exists costs nothing; a directory costs a unit more; a symlink its target.
    assert!(matches!(create(&root, "f"), Ok(Opened::File(_))));
    root.create_dir(&c("d")).unwrap();
    root.symlink(b"f", &c("l")).unwrap();
    assert_eq!(quota.used(), 257 + 3000 + 257 + 1000 + 257 + 1000);
    assert_eq!(file.set_size(10_000), Err(Errno::Dquot));
    assert_eq!(file.allocate(0, 9000), Err(Errno::Dquot));
    // Beneath a directory, the same quota.
    let Found::Dir(d) = root.lookup(&c("d")).unwrap() else { panic!() };
    assert!(matches!(create(&d, "inner"), Ok(Opened::File(_))));
    assert_eq!(file.set_size(6000), Ok(()));
    assert_eq!(quota.used(), 5771 + 261 + 3000);
    assert_eq!(root.create_dir(&c("no room")), Err(Errno::Dquot));
    assert!(matches!(root.lookup(&c("no room")), Ok(Found::Nothing)));
    // Another quota over the same tree is another mount: no rename nor link across.
    let other: Arc<dyn WasiDir> = Arc::new(QuotaDir::new(d.clone(), Arc::new(Quota::new(1 << 20))));
    assert_eq!(root.rename(&c("f"), other.as_ref(), &c("g")), Err(Errno::Xdev));
    assert_eq!(root.link(&c("f"), other.as_ref(), &c("g")), Err(Errno::Xdev));
    root.rename(&c("f"), d.as_ref(), &c("g")).unwrap();
}

#[test]
fn sorted_listings_on_the_memory_backend() {
    let fs = MemFs::new(Options::default());
    let root: Arc<dyn WasiDir> = Arc::new(SortedDir::new(fs.root()));
    root.create_dir(&c("d")).unwrap();
    let Found::Dir(d) = root.lookup(&c("d")).unwrap() else { panic!() };
    for name in ["m", "c", "x", "a"] {
        create(&d, name).unwrap();
    }
    let list = |cookie| {
        let mut names = Vec::new();
        d.read_dir(cookie, &mut |e, next| {
            names.push((String::from_utf8(e.name.clone()).unwrap(), next));
            true
        })
        .unwrap();
        names
    };
    let all = list(0);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [".", "..", "a", "c", "m", "x"]);
    assert_eq!(list(all[3].1), all[4..].to_vec());
}
