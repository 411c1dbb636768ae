//! Filesystem functions on open descriptors (`fd_*`), guest-program tests.

#[allow(unused_imports)]
use crate::harness::Sandbox;
