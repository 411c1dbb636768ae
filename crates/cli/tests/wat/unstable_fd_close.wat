;; wasi_unstable `fd_close`: closing an opened file, closing it again (badf), unknown numbers
;; (badf), the lowest free number being reused, closing a standard stream, and closing the
;; preopened directory: afterwards `fd_prestat_get` and `path_open` on it are badf.
;; Fixture: `file.txt` in the preopen (fd 3).
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_unstable" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; opens file.txt read-only and returns the errno; the fd lands at 64
  (func $open (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))

  (func (export "_start") (local $fd i32) (local $fd2 i32)
    (call $check (call $open) (i32.const 0) (i32.const 1))
    (local.set $fd (i32.load (i32.const 64)))
    ;; 0-2 are stdio and 3 the preopen: the lowest free number is 4
    (call $check (local.get $fd) (i32.const 4) (i32.const 2))
    (call $check (call $open) (i32.const 0) (i32.const 3))
    (local.set $fd2 (i32.load (i32.const 64)))
    (call $check (local.get $fd2) (i32.const 5) (i32.const 4))

    ;; close, then the descriptor is gone
    (call $check (call $fd_close (local.get $fd)) (i32.const 0) (i32.const 5))
    (call $check (call $fd_fdstat_get (local.get $fd) (i32.const 128)) (i32.const 8) (i32.const 6))
    ;; double close: badf (8)
    (call $check (call $fd_close (local.get $fd)) (i32.const 8) (i32.const 7))
    ;; the other descriptor is still open
    (call $check (call $fd_fdstat_get (local.get $fd2) (i32.const 128)) (i32.const 0) (i32.const 8))
    ;; the freed number is reused
    (call $check (call $open) (i32.const 0) (i32.const 9))
    (call $check (i32.load (i32.const 64)) (i32.const 4) (i32.const 10))
    (call $check (call $fd_close (i32.const 4)) (i32.const 0) (i32.const 11))
    (call $check (call $fd_close (local.get $fd2)) (i32.const 0) (i32.const 12))
    (call $check (call $fd_close (local.get $fd2)) (i32.const 8) (i32.const 13))

    ;; numbers never opened: badf
    (call $check (call $fd_close (i32.const 99)) (i32.const 8) (i32.const 20))
    (call $check (call $fd_close (i32.const -1)) (i32.const 8) (i32.const 21))
    (call $check (call $fd_close (i32.const 0x7fffffff)) (i32.const 8) (i32.const 22))

    ;; a standard stream can be closed
    (call $check (call $fd_close (i32.const 2)) (i32.const 0) (i32.const 30))
    (call $check (call $fd_fdstat_get (i32.const 2) (i32.const 128)) (i32.const 8) (i32.const 31))
    (call $check (call $fd_close (i32.const 2)) (i32.const 8) (i32.const 32))

    ;; the preopen can be closed; then it is no longer a preopen, nor open at all
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 128)) (i32.const 0) (i32.const 40))
    (call $check (call $fd_close (i32.const 3)) (i32.const 0) (i32.const 41))
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 128)) (i32.const 8) (i32.const 42))
    (call $check (call $open) (i32.const 8) (i32.const 43))
    (call $check (call $fd_close (i32.const 3)) (i32.const 8) (i32.const 44))
  )
)
