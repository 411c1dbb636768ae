//! Random sequences of filesystem operations applied to a host directory (a fresh temporary
//! one) and to the memory backend give the same results, errno by errno and byte by byte.
//! Inode numbers, devices and timestamps differ by nature and are not compared; listings are
//! compared as sets (the host's order is its own).

mod support {
    pub mod ops;
}

use lucent_core::fs::WasiDir;
use lucent_host::HostDir;
use lucent_memfs::{MemFs, Options};
use proptest::prelude::*;
use std::sync::Arc;
use support::ops::{op, run};

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_memory_backend_does_what_the_host_does(ops in proptest::collection::vec(op(), 1..40)) {
        let tmp = tempfile::tempdir().unwrap();
        let host: Arc<dyn WasiDir> = Arc::new(HostDir::open_ambient(tmp.path()).unwrap());
        let memory = MemFs::new(Options::default()).root();
        for (i, op) in ops.iter().enumerate() {
            let (on_host, in_memory) = (run(&host, op, true), run(&memory, op, true));
            prop_assert_eq!(on_host, in_memory, "step {} {:?} of {:?}", i, op, ops);
        }
    }
}
