#!/usr/bin/env bash
# Threaded guests (issue 13): the same program (bench/threads-workload) natively and under
# `lucent run`, in one run, with medians and ratios. Every job times itself inside the
# program, so compiling and instantiating do not count. wasmtime 48 has no wasi-threads, so
# there is no wasmtime column.
#
#   bash bench/threads.sh [RUNS]      (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
target=${CARGO_TARGET_DIR:-$PWD/target}
for var in RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS; do unset "$var"; done

echo "building lucent (release) and the workload (native, wasm32-wasip1-threads) ..." >&2
cargo build --release --quiet -p lucent
manifest=bench/threads-workload/Cargo.toml
cargo build --release --quiet --manifest-path "$manifest" --target-dir "$target/bench-threads"
cargo build --release --quiet --manifest-path "$manifest" --target-dir "$target/bench-threads" --target wasm32-wasip1-threads
native=$target/bench-threads/release/bench-threads
wasm=$target/bench-threads/wasm32-wasip1-threads/release/bench-threads.wasm
lucent=$target/release/lucent
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

# JOB ARGS..., one per line.
jobs=("primes 3000000 1" "primes 3000000 2" "mandel 2000 1" "mandel 2000 2" "write 500000 1" "write 500000 2" "spawn 2000")
results=$(mktemp)
run() { # RUNNER JOB...: prints "RUNNER JOB THREADS NS"
    local runner=$1; shift
    local line
    case $runner in
        native) line=$("$native" "$@" 2>&1 >/dev/null) ;;
        lucent) line=$("$lucent" run --cache-dir "$cache" "$wasm" "$@" 2>&1 >/dev/null) ;;
    esac
    echo "$runner $line"
}
for job in "${jobs[@]}"; do # warm-up (and the compile cache)
    run native $job >/dev/null
    run lucent $job >/dev/null
done
for _ in $(seq "$runs"); do
    for job in "${jobs[@]}"; do
        run native $job >>"$results"
        run lucent $job >>"$results"
    done
done

# Medians, then the table.
median() { grep "^$1 $2 $3 " "$results" | awk '{print $4}' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
declare -A m
for runner in native lucent; do
    for key in "primes 1" "primes 2" "mandel 1" "mandel 2" "write 1" "write 2" "spawn 1"; do
        m["$runner $key"]=$(median $runner $key)
    done
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }
ms() { awk -v ns="$1" 'BEGIN {printf "%.1f ms", ns / 1e6}'; }
us() { awk -v ns="$1" -v n="$2" 'BEGIN {printf "%.1f µs", ns / n / 1e3}'; }
echo
echo "$(date -u +'%d %B %Y'), commit $(git rev-parse --short HEAD), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $runs runs, medians"
echo
echo "| job | native | Lucent | Lucent/native | target |"
echo "|---|--:|--:|--:|---|"
echo "| primes below 3M, rayon, 1 thread | $(ms "${m[native primes 1]}") | $(ms "${m[lucent primes 1]}") | $(ratio "${m[lucent primes 1]}" "${m[native primes 1]}") | |"
echo "| primes below 3M, rayon, 2 threads | $(ms "${m[native primes 2]}") | $(ms "${m[lucent primes 2]}") | $(ratio "${m[lucent primes 2]}" "${m[native primes 2]}") | ≤ 1.15× |"
echo "| speedup, 2 threads over 1 | $(ratio "${m[native primes 1]}" "${m[native primes 2]}") | $(ratio "${m[lucent primes 1]}" "${m[lucent primes 2]}") | | ≥ 1.8× |"
echo "| Mandelbrot 2000², rayon, 1 thread | $(ms "${m[native mandel 1]}") | $(ms "${m[lucent mandel 1]}") | $(ratio "${m[lucent mandel 1]}" "${m[native mandel 1]}") | |"
echo "| Mandelbrot 2000², rayon, 2 threads | $(ms "${m[native mandel 2]}") | $(ms "${m[lucent mandel 2]}") | $(ratio "${m[lucent mandel 2]}" "${m[native mandel 2]}") | ≤ 1.15× |"
echo "| speedup, 2 threads over 1 | $(ratio "${m[native mandel 1]}" "${m[native mandel 2]}") | $(ratio "${m[lucent mandel 1]}" "${m[lucent mandel 2]}") | | ≥ 1.8× |"
echo "| fd_write 16 B to /dev/null, 1 thread × 500k | $(ms "${m[native write 1]}") | $(ms "${m[lucent write 1]}") | $(ratio "${m[lucent write 1]}" "${m[native write 1]}") | |"
echo "| fd_write 16 B to /dev/null, 2 threads × 500k | $(ms "${m[native write 2]}") | $(ms "${m[lucent write 2]}") | $(ratio "${m[lucent write 2]}" "${m[native write 2]}") | |"
echo "| fd_write throughput, 2 threads over 1 | $(ratio $((2 * ${m[native write 1]})) "${m[native write 2]}") | $(ratio $((2 * ${m[lucent write 1]})) "${m[lucent write 2]}") | | ≥ 1.7× |"
echo "| spawn + join, per cycle (2000) | $(us "${m[native spawn 1]}" 2000) | $(us "${m[lucent spawn 1]}" 2000) | $(ratio "${m[lucent spawn 1]}" "${m[native spawn 1]}") | |"
rm -f "$results"
