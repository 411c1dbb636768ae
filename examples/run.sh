#!/usr/bin/env bash
# Builds the `lucent` runner and the example programs from source, runs each example, and
# checks what it printed and the files it left. Needs clang with wasi-libc (Debian: clang lld
# wasi-libc libclang-rt-dev-wasm32), curl, and `rustup target add wasm32-wasip1`.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/examples
mkdir -p "$out"

echo "== building lucent"
cargo build --quiet -p lucent
lucent=target/debug/lucent

echo "== building the examples"
for src in examples/c/*.c; do
    clang --target=wasm32-wasi -O2 -Wall -Werror -o "$out/$(basename "$src" .c).wasm" "$src"
done
cargo build --quiet --release --target wasm32-wasip1 \
    --manifest-path examples/rust-files/Cargo.toml --target-dir target/examples/rust
cp target/examples/rust/wasm32-wasip1/release/rust-files.wasm "$out/"
cargo build --quiet --release --target wasm32-wasip1 \
    --manifest-path examples/rust-wagi/Cargo.toml --target-dir target/examples/rust
cp target/examples/rust/wasm32-wasip1/release/rust-wagi.wasm "$out/"

fail() { echo "FAILED: $*" >&2; exit 1; }

echo "== hello (C)"
hello=$(GREETING=Bonjour "$lucent" --env GREETING "$out/hello.wasm" Lucent runs C)
echo "$hello"
[[ "$hello" == *"Bonjour from $out/hello.wasm!"* && "$hello" == *"argument 3: C"* ]] || fail hello

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/data"
echo "secret" > "$work/outside.txt"

echo "== files (C)"
echo "bring snacks" > "$work/data/notes.txt"
"$lucent" --dir "$work/data::." "$out/files.wasm" ada
"$lucent" --dir "$work/data::." "$out/files.wasm" grace
[[ "$(cat "$work/data/log.txt")" == $'visit by ada\nvisit by grace' ]] || fail "files: log.txt"
[[ "$(cat "$work/data/summary.txt")" == $'visits: 2\nlast: grace\nnotes: bring snacks' ]] || fail "files: summary.txt"

echo "== rust-files (Rust)"
printf 'one two three\n' > "$work/data/a.txt"
printf 'four five\n' > "$work/data/b.txt"
"$lucent" --dir "$work/data::." "$out/rust-files.wasm" a.txt b.txt missing.txt
[[ "$(cat "$work/data/counts.txt")" == $'a.txt: 3 words\nb.txt: 2 words\nmissing.txt: No such file or directory (os error 44)' ]] \
    || fail "rust-files: counts.txt"

echo "== httpd (C, sockets)"
mkdir "$work/site"
printf '<h1>Lucent</h1>\n' > "$work/site/index.html"
"$lucent" --dir "$work/site::.:ro" --tcplisten 127.0.0.1:0 "$out/httpd.wasm" 4 3 2> "$work/httpd.log" &
server=$!
for _ in $(seq 50); do grep -q "listening on" "$work/httpd.log" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/httpd.log" | cut -d: -f2)
page=$(curl -s "http://127.0.0.1:$port/index.html")
missing=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/missing.html")
escape=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/../outside.txt")
wait "$server"
cat "$work/httpd.log"
[[ "$page" == "<h1>Lucent</h1>" && "$missing" == 404 && "$escape" == 403 ]] || fail "httpd: $page $missing $escape"

echo "== lucent serve (WAGI: C and Rust handlers routed by examples/wagi/modules.toml)"
"$lucent" serve --listen 127.0.0.1:0 --config examples/wagi/modules.toml 2> "$work/serve.log" &
server=$!
for _ in $(seq 100); do grep -q "serving http" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1)
rust=$(curl -s "$base/hello?name=Ada")
posted=$(curl -s --data-binary 'twelve bytes' "$base/hello")
c=$(curl -s "$base/c/page?one&two")
bad=$(curl -s -o /dev/null -w '%{http_code}' "$base/hello?name=")
none=$(curl -s -o /dev/null -w '%{http_code}' "$base/nowhere")
kill -TERM "$server"
wait "$server"
cat "$work/serve.log"
echo "$rust"; echo "$posted"; echo "$c"
[[ "$rust" == "Hello, Ada, from Rust!" ]] || fail "serve: rust: $rust"
[[ "$posted" == $'Hello, world, from Rust!\nYou sent 12 bytes.' ]] || fail "serve: post: $posted"
[[ "$c" == $'Hello from C! GET /page\nargument 1: one\nargument 2: two' ]] || fail "serve: c: $c"
[[ "$bad" == 400 && "$none" == 404 ]] || fail "serve: statuses $bad $none"
grep -q "GET /hello 200" "$work/serve.log" || fail "serve: no access log"

[[ "$(cat "$work/outside.txt")" == "secret" ]] || fail "outside.txt changed"
echo "== all examples ran"
