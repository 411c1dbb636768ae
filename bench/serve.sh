#!/usr/bin/env bash
# `lucent serve` (issue 14): throughput and latency of a hello WAGI module (C and Rust) under a
# load generator, side by side in one run with `wasmtime serve` running a `wasi:http` hello
# component and with lucent's own server answering without a guest (the ceiling); then the
# per-request breakdown lucent prints when it stops; then density: thousands of requests in
# flight at once, each guest sleeping 1 s in poll_oneoff.
#
#   bash bench/serve.sh [SECONDS] [CONNECTIONS] [IN_FLIGHT]     (default 10, 50, 10000)
#   ROUNDS=N: how many interleaved runs of each server (default 3; the median is reported)
#
# Needs: hey (Debian: apt-get install hey), clang with wasi-libc, the wasm32-wasip1 and
# wasm32-wasip2 targets, and `wasmtime` 48 on PATH or in $WASMTIME
# (cargo install --locked wasmtime-cli --version 48.0.8); without it the wasmtime row is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-50}
in_flight=${3:-10000}
target=${CARGO_TARGET_DIR:-$PWD/target}
for var in RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS; do unset "$var"; done
command -v hey >/dev/null || { echo "bench/serve.sh needs hey (apt-get install hey)" >&2; exit 1; }
wasmtime=${WASMTIME:-$(command -v wasmtime || echo "$HOME/.cargo/bin/wasmtime")}

echo "building lucent (release), the hellos (C, Rust: wasm32-wasip1; wasi:http: wasm32-wasip2) ..." >&2
cargo build --release --quiet -p lucent
out=$target/bench-serve
mkdir -p "$out"
rustc -O --edition 2024 -o "$out/serve-density" bench/serve-density.rs
clang --target=wasm32-wasi -O2 -o "$out/wagi-hello.wasm" examples/c/wagi-hello.c
cargo build --release --quiet --target wasm32-wasip1 --manifest-path examples/rust-wagi/Cargo.toml \
    --target-dir "$target/examples/rust"
cp "$target/examples/rust/wasm32-wasip1/release/rust-wagi.wasm" "$out/"
cargo build --release --quiet --target wasm32-wasip2 --manifest-path bench/wasi-http-hello/Cargo.toml \
    --target-dir "$target/bench-wasi-http"
cp "$target/bench-wasi-http/wasm32-wasip2/release/wasi_http_hello.wasm" "$out/"
cargo build --release --quiet -p test-programs-artifacts
sleeper=$(find "$target/guests" -name wagi_test.wasm -path '*release*' | head -1)
lucent=$target/release/lucent
work=$(mktemp -d)
server=
stop_server() {
    if [[ -n "$server" ]]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    server=
}
trap 'stop_server; rm -rf "$work"' EXIT

# start NAME COMMAND...: starts a server logging to $work/NAME.log, waits for its port.
start() {
    local name=$1; shift
    "$@" > "$work/$name.log" 2>&1 &
    server=$!
    for _ in $(seq 300); do
        if curl -s -o /dev/null "http://127.0.0.1:3210/"; then return; fi
        sleep 0.1
    done
    echo "$name did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}

# load NAME: hey against the running server; appends "NAME<TAB>req/s p50 p99 non-200".
load() {
    local name=$1
    hey -z 1s -c "$conns" "http://127.0.0.1:3210/hello" > /dev/null # warm-up
    hey -z "${secs}s" -c "$conns" "http://127.0.0.1:3210/hello" > "$work/last.hey"
    awk -v name="$name" '
        /Requests\/sec/ {rps = $2}
        / 50% in / {p50 = $3 * 1000}
        / 99% in / {p99 = $3 * 1000}
        /Status code distribution/ {on = 1; next}
        on && /\[/ && $1 != "[200]" {errors += $2}
        END {printf "%s\t%.0f %.2f %.2f %d\n", name, rps, p50, p99, errors}' "$work/last.hey" >> "$work/runs"
}

# The machine's speed drifts by 10-20 % from one minute to the next (a shared VM): every server
# runs $rounds times, interleaved, and the run with the median req/s is reported.
rounds=${ROUNDS:-3}
echo
echo "== throughput: hey -z ${secs}s -c $conns, median of $rounds interleaved runs; 2 cores shared by server and load generator"
listen=(--listen 127.0.0.1:3210)
: > "$work/runs"
for round in $(seq "$rounds"); do
    echo "round $round of $rounds ..." >&2
    start ceiling "$lucent" serve "${listen[@]}" --no-guest "$out/wagi-hello.wasm"
    load "lucent serve, no guest (ceiling)"; stop_server
    start lucent-c "$lucent" serve "${listen[@]}" "$out/wagi-hello.wasm"
    load "lucent serve, C hello"; stop_server
    start lucent-rust "$lucent" serve "${listen[@]}" "$out/rust-wagi.wasm"
    load "lucent serve, Rust hello"; stop_server
    if [[ -x "$wasmtime" ]]; then
        start wasmtime "$wasmtime" serve -S cli=y --addr 127.0.0.1:3210 "$out/wasi_http_hello.wasm"
        load "wasmtime serve 48, Rust hello"; stop_server
        start wasmtime-pool "$wasmtime" serve -S cli=y -O pooling-allocator --addr 127.0.0.1:3210 "$out/wasi_http_hello.wasm"
        load "wasmtime serve 48 (pooling), Rust"; stop_server
    fi
done
[[ -x "$wasmtime" ]] || echo "(no wasmtime at $wasmtime: the wasmtime rows are skipped)"
# The median run of each server, in the order they ran.
awk -F '\t' '
    !($1 in n) {order[++servers] = $1}
    {n[$1]++; run[$1, n[$1]] = $2}
    END {
        for (s = 1; s <= servers; s++) {
            name = order[s]; k = n[name]
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) {
                split(run[name, i], a, " "); split(run[name, j], b, " ")
                if (b[1] < a[1]) {t = run[name, i]; run[name, i] = run[name, j]; run[name, j] = t}
            }
            print name "\t" run[name, int((k + 1) / 2)]
        }
    }' "$work/runs" > "$work/rows"
printf "%-34s %10s %9s %9s %7s\n" "server" "req/s" "p50 ms" "p99 ms" "non-200"
awk -F '\t' '{split($2, v, " "); printf "%-34s %10.0f %9.2f %9.2f %7d\n", $1, v[1], v[2], v[3], v[4]}' "$work/rows"
awk -F '\t' '
    {split($2, v, " "); rps = v[1]; p99 = v[3]}
    $1 ~ /ceiling/ {ceiling = rps}
    $1 ~ /wasmtime serve 48, Rust/ {wt = rps; wtp99 = p99}
    $1 ~ /wasmtime serve 48 \(pooling/ {wtp = rps; wtpp99 = p99}
    $1 ~ /lucent serve, C/ {c = rps; cp99 = p99}
    $1 ~ /lucent serve, Rust/ {r = rps; rp99 = p99}
    END {
        printf "ratios: C hello %.0f%% of the ceiling, Rust hello %.0f%%\n", 100 * c / ceiling, 100 * r / ceiling
        best = wtp > wt ? wtp : wt; bestp99 = wtp > wt ? wtpp99 : wtp99
        if (best > 0) printf "ratios: against wasmtime serve (best of its two rows): C %.2fx req/s, p99 %.2fx; Rust %.2fx req/s, p99 %.2fx\n", c / best, cp99 / bestp99, r / best, rp99 / bestp99
    }' "$work/rows"

echo
echo "== per-request cost: the server's CPU time (user + system) per request over hey -n 20000 -c $conns,"
echo "   and for guests its summary line (mean wall time of each phase, which includes waiting for a core)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
tick_us=$((1000000 / $(getconf CLK_TCK)))
for case in "ceiling (no-guest) --no-guest wagi-hello" "C hello -- wagi-hello" "Rust hello -- rust-wagi"; do
    read -r what how flag wasm <<< "$case"
    [[ $flag == -- ]] && flag=
    start breakdown "$lucent" serve "${listen[@]}" $flag "$out/$wasm.wasm"
    before=$(cpu_ticks)
    hey -n 20000 -c "$conns" "http://127.0.0.1:3210/hello" > /dev/null
    after=$(cpu_ticks)
    stop_server
    awk -v what="$what $how" -v t=$((after - before)) -v us="$tick_us" 'BEGIN {printf "%-20s %6.1f µs server CPU per request\n", what, t * us / 20000}'
    grep -o "[0-9]* guests run.*" "$work/breakdown.log" || true
done

echo
echo "== density: $in_flight requests in flight at once, each guest sleeping 1 s in poll_oneoff"
ulimit -n "$(ulimit -Hn)"
start density "$lucent" serve "${listen[@]}" --max-instances "$in_flight" --max-queue "$in_flight" "$sleeper"
"$out/serve-density" 127.0.0.1:3210 "$in_flight" "$server"
stop_server
