#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other, from a corpus kept
# in fuzz/corpus/. Usage: bash fuzz/run.sh [SECONDS] [TARGET...]. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(hostcalls paths cgi_response image)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo-fuzz needs unstable compiler flags; RUSTC_BOOTSTRAP lets the stable toolchain accept
# them, so no nightly is needed. Lucent has no unsafe code, so the targets run without a
# sanitizer (faster); pass FUZZ_SANITIZER=address to use one.
export RUSTC_BOOTSTRAP=1
# Each input builds a small directory tree: on tmpfs that costs no disk I/O.
[ -d /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}
mkdir -p ../target/fuzz
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="../target/fuzz/$target.log"
    echo "fuzz: $target for ${seconds}s (log: target/fuzz/$target.log)"
    if ! cargo fuzz run "$target" --sanitizer "${FUZZ_SANITIZER:-none}" --target-dir ../target/fuzz "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -len_control=0 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 80 "$log"
        echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/ (see docs/fuzzing.md)"
        exit 1
    fi
    grep -E "^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)" "$log" | sed "s/^/fuzz: $target /"
done
