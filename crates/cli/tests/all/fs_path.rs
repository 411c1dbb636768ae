//! Filesystem functions on paths (`path_*`), the sandbox-escape battery and read-only mounts.

#[allow(unused_imports)]
use crate::harness::Sandbox;
