//! `containerd-shim-lucent-v1`: containerd starts it for `--runtime io.containerd.lucent.v1`
//! (see the crate's documentation and docs/kubernetes.md).

use containerd_shim_lucent::LucentShim;
use containerd_shim_wasm::shim::Cli;

fn main() {
    // First, before any thread exists: it forks the process that makes the containers.
    LucentShim::run(None);
}
