;; wasi_snapshot_preview1: invalid enum values and unknown flag bits are inval (28): clock ids 4
;; and 0xffffffff, whence 3 and 256 (preview1 numbering: set=0, cur=1, end=2), oflags 16,
;; fdflags 32 (in path_open and fd_fdstat_set_flags), lookupflags 2; the largest valid values
;; still work, and a refused call changes nothing.
;; Fixture: `file.txt` = "hello world" in the preopen (fd 3).
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) "new.txt")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))
  (func $check64 (param $got i64) (param $want i64) (param $id i32)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; path_open(3, lookup, path, oflags, fd_read|fd_seek|fd_tell|fd_fdstat_set_flags, fdflags)
  ;; returning the errno; the fd lands at 128
  (func $open (param $lookup i32) (param $path i32) (param $len i32) (param $oflags i32) (param $fdflags i32) (result i32)
    (call $path_open (i32.const 3) (local.get $lookup) (local.get $path) (local.get $len) (local.get $oflags)
      (i64.const 0x2e) (i64.const 0) (local.get $fdflags) (i32.const 128)))

  (func (export "_start") (local $fd i32)
    ;; clocks: 0..3 exist, 4 and 0xffffffff do not
    (call $check (call $clock_res_get (i32.const 3) (i32.const 256)) (i32.const 0) (i32.const 1))
    (call $check (call $clock_time_get (i32.const 3) (i64.const 0) (i32.const 256)) (i32.const 0) (i32.const 2))
    (i64.store (i32.const 256) (i64.const 99))
    (call $check (call $clock_res_get (i32.const 4) (i32.const 256)) (i32.const 28) (i32.const 3))
    (call $check (call $clock_res_get (i32.const -1) (i32.const 256)) (i32.const 28) (i32.const 4))
    (call $check (call $clock_time_get (i32.const 4) (i64.const 0) (i32.const 256)) (i32.const 28) (i32.const 5))
    (call $check (call $clock_time_get (i32.const -1) (i64.const 0) (i32.const 256)) (i32.const 28) (i32.const 6))
    (call $check (call $clock_time_get (i32.const 0x100) (i64.const 0) (i32.const 256)) (i32.const 28) (i32.const 7))
    (call $check64 (i64.load (i32.const 256)) (i64.const 99) (i32.const 8))

    ;; whence: set=0, cur=1, end=2 work
    (call $check (call $open (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 0)) (i32.const 0) (i32.const 10))
    (local.set $fd (i32.load (i32.const 128)))
    (call $check (call $fd_seek (local.get $fd) (i64.const 4) (i32.const 0) (i32.const 256)) (i32.const 0) (i32.const 11))
    (call $check64 (i64.load (i32.const 256)) (i64.const 4) (i32.const 12))
    (call $check (call $fd_seek (local.get $fd) (i64.const 2) (i32.const 1) (i32.const 256)) (i32.const 0) (i32.const 13))
    (call $check64 (i64.load (i32.const 256)) (i64.const 6) (i32.const 14))
    (call $check (call $fd_seek (local.get $fd) (i64.const -1) (i32.const 2) (i32.const 256)) (i32.const 0) (i32.const 15))
    (call $check64 (i64.load (i32.const 256)) (i64.const 10) (i32.const 16))
    ;; whence 3, 256 (a u8 with high bits), 255, 0xffffffff: inval, position unchanged
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 3) (i32.const 256)) (i32.const 28) (i32.const 17))
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 256) (i32.const 256)) (i32.const 28) (i32.const 18))
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 255) (i32.const 256)) (i32.const 28) (i32.const 19))
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const -1) (i32.const 256)) (i32.const 28) (i32.const 20))
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 1) (i32.const 256)) (i32.const 0) (i32.const 21))
    (call $check64 (i64.load (i32.const 256)) (i64.const 10) (i32.const 22))

    ;; oflags: 16 and above are unknown; nothing is created
    (call $check (call $open (i32.const 0) (i32.const 32) (i32.const 7) (i32.const 16) (i32.const 0)) (i32.const 28) (i32.const 30))
    (call $check (call $open (i32.const 0) (i32.const 32) (i32.const 7) (i32.const 17) (i32.const 0)) (i32.const 28) (i32.const 31))
    (call $check (call $open (i32.const 0) (i32.const 32) (i32.const 7) (i32.const 0x10001) (i32.const 0)) (i32.const 28) (i32.const 32))
    (call $check (call $open (i32.const 0) (i32.const 32) (i32.const 7) (i32.const -1) (i32.const 0)) (i32.const 28) (i32.const 33))
    (call $check (call $open (i32.const 0) (i32.const 32) (i32.const 7) (i32.const 0) (i32.const 0)) (i32.const 44) (i32.const 34))
    ;; fdflags: 32 and above are unknown
    (call $check (call $open (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 32)) (i32.const 28) (i32.const 35))
    (call $check (call $open (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 33)) (i32.const 28) (i32.const 36))
    (call $check (call $open (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 0x10000)) (i32.const 28) (i32.const 37))
    ;; lookupflags: only SYMLINK_FOLLOW (1) exists
    (call $check (call $open (i32.const 2) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 0)) (i32.const 28) (i32.const 38))
    (call $check (call $open (i32.const 3) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 0)) (i32.const 28) (i32.const 39))
    (call $check (call $open (i32.const 0x80000000) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 0)) (i32.const 28) (i32.const 40))
    (call $check (call $open (i32.const 1) (i32.const 16) (i32.const 8) (i32.const 0) (i32.const 0)) (i32.const 0) (i32.const 41))

    ;; fd_fdstat_set_flags: 32 and above are unknown; the flags stay as they were
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 32)) (i32.const 28) (i32.const 50))
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 33)) (i32.const 28) (i32.const 51))
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 0x10001)) (i32.const 28) (i32.const 52))
    (call $check (call $fd_fdstat_get (local.get $fd) (i32.const 256)) (i32.const 0) (i32.const 53))
    (call $check (i32.load16_u (i32.const 258)) (i32.const 0) (i32.const 54))
  )
)
