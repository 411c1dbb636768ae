;; wasi_snapshot_preview1 `path_open` path strings: out of bounds -> fault (21); longer than
;; 4096 bytes -> nametoolong (37) while exactly 4096 works; a NUL byte -> inval (28); not
;; UTF-8 (stray continuation byte, overlong encoding, surrogate, truncated sequence) -> ilseq
;; (25), while valid non-ASCII UTF-8 is just a name (noent if missing); empty -> noent (44).
;; Refused paths create nothing.
;; Fixture: `file.txt` in the preopen (fd 3); the test then expects nothing else created.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) "file.txt\00")
  (data (i32.const 48) "fi\00le.txt")
  (data (i32.const 64) "\ff\fe.txt")
  (data (i32.const 80) "\c0\af.txt")
  (data (i32.const 96) "\ed\a0\80.txt")
  (data (i32.const 112) "new\e2\82.txt")
  (data (i32.const 128) "h\c3\a9llo.txt")
  (data (i32.const 144) "\80")
  (data (i32.const 160) "new.txt\00")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; path_open(3, path) with oflags, read rights; returns the errno (the fd lands at 240)
  (func $open (param $path i32) (param $len i32) (param $oflags i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len) (local.get $oflags)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 240)))

  (func (export "_start") (local $i i32)
    (call $check (call $open (i32.const 16) (i32.const 8) (i32.const 0)) (i32.const 0) (i32.const 1))

    ;; out of bounds: fault (21)
    (call $check (call $open (i32.const 65536) (i32.const 1) (i32.const 0)) (i32.const 21) (i32.const 10))
    (call $check (call $open (i32.const 65530) (i32.const 8) (i32.const 0)) (i32.const 21) (i32.const 11))
    (call $check (call $open (i32.const -1) (i32.const 2) (i32.const 0)) (i32.const 21) (i32.const 12))
    (call $check (call $open (i32.const 65530) (i32.const 8) (i32.const 1)) (i32.const 21) (i32.const 13))
    (call $check (call $open (i32.const 63488) (i32.const 4096) (i32.const 1)) (i32.const 21) (i32.const 15))

    ;; a 4096-byte path ("./" x 2044 + "file.txt") at 8192 works; one more slash is too long
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.eq (local.get $i) (i32.const 4088)))
        (i32.store16 (i32.add (i32.const 8192) (local.get $i)) (i32.const 0x2f2e)) ;; "./"
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $next)))
    (i64.store (i32.const 12280) (i64.load (i32.const 16)))
    (call $check (call $open (i32.const 8192) (i32.const 4096) (i32.const 0)) (i32.const 0) (i32.const 20))
    (i32.store8 (i32.const 8191) (i32.const 0x2f))
    (call $check (call $open (i32.const 8191) (i32.const 4097) (i32.const 0)) (i32.const 37) (i32.const 21))
    ;; 5000 and more: nametoolong (37)
    (call $check (call $open (i32.const 8192) (i32.const 5000) (i32.const 0)) (i32.const 37) (i32.const 22))
    (call $check (call $open (i32.const 8192) (i32.const 5000) (i32.const 1)) (i32.const 37) (i32.const 23))
    (call $check (call $open (i32.const 16) (i32.const 0x7fffffff) (i32.const 0)) (i32.const 37) (i32.const 24))
    (call $check (call $open (i32.const 16) (i32.const -1) (i32.const 0)) (i32.const 37) (i32.const 25))

    ;; a NUL byte: inval (28), at the end or in the middle, also when creating
    (call $check (call $open (i32.const 32) (i32.const 9) (i32.const 0)) (i32.const 28) (i32.const 30))
    (call $check (call $open (i32.const 48) (i32.const 9) (i32.const 0)) (i32.const 28) (i32.const 31))
    (call $check (call $open (i32.const 160) (i32.const 8) (i32.const 1)) (i32.const 28) (i32.const 32))

    ;; not UTF-8: ilseq (25), also when creating
    (call $check (call $open (i32.const 64) (i32.const 6) (i32.const 0)) (i32.const 25) (i32.const 40))
    (call $check (call $open (i32.const 80) (i32.const 6) (i32.const 0)) (i32.const 25) (i32.const 41))
    (call $check (call $open (i32.const 96) (i32.const 7) (i32.const 1)) (i32.const 25) (i32.const 42))
    (call $check (call $open (i32.const 112) (i32.const 9) (i32.const 1)) (i32.const 25) (i32.const 43))
    (call $check (call $open (i32.const 144) (i32.const 1) (i32.const 1)) (i32.const 25) (i32.const 44))
    ;; valid UTF-8 ("héllo.txt") is an ordinary name: noent (44)
    (call $check (call $open (i32.const 128) (i32.const 10) (i32.const 0)) (i32.const 44) (i32.const 45))

    ;; empty: noent
    (call $check (call $open (i32.const 16) (i32.const 0) (i32.const 0)) (i32.const 44) (i32.const 50))
    (call $check (call $open (i32.const 16) (i32.const 0) (i32.const 1)) (i32.const 44) (i32.const 51))
  )
)
