;; wasi_unstable `fd_fdstat_set_flags`: APPEND set after opening makes writes go to the end
;; whatever the position, clearing it writes at the position again, NONBLOCK can be toggled;
;; SYNC/DSYNC/RSYNC (fixed at open) and unknown bits are inval, a missing
;; fd_fdstat_set_flags right is notcapable, an unknown fd is badf.
;; Fixture: `append.txt` = "start\n" and `file.txt` = "hello world" in the preopen (fd 3);
;; the test then expects `append.txt` = "Xtart\nmore\n" and `file.txt` unchanged.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "append.txt")
  (data (i32.const 32) "file.txt")
  (data (i32.const 48) "more\n")
  (data (i32.const 56) "X")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; the fdflags of $fd
  (func $flags (param $fd i32) (result i32)
    (call $check (call $fd_fdstat_get (local.get $fd) (i32.const 256)) (i32.const 0) (i32.const 250))
    (i32.load16_u (i32.const 258)))

  ;; writes the $len bytes at $buf to $fd and returns the errno; the count lands at 128
  (func $write (param $fd i32) (param $buf i32) (param $len i32) (result i32)
    (i32.store (i32.const 96) (local.get $buf))
    (i32.store (i32.const 100) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 96) (i32.const 1) (i32.const 128)))

  (func (export "_start") (local $fd i32) (local $ro i32)
    ;; append.txt with all rights, no flags
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 10)
      (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 64)) (i32.const 0) (i32.const 1))
    (local.set $fd (i32.load (i32.const 64)))
    (call $check (call $flags (local.get $fd)) (i32.const 0) (i32.const 2))

    ;; set APPEND (1)
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 1)) (i32.const 0) (i32.const 3))
    (call $check (call $flags (local.get $fd)) (i32.const 1) (i32.const 4))
    ;; setting the same flags again is fine
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 1)) (i32.const 0) (i32.const 5))
    ;; the position is 0 (whence 2 = SET in wasi_unstable), yet the write goes to the end
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 2) (i32.const 136)) (i32.const 0) (i32.const 6))
    (call $check (call $write (local.get $fd) (i32.const 48) (i32.const 5)) (i32.const 0) (i32.const 7))
    (call $check (i32.load (i32.const 128)) (i32.const 5) (i32.const 8))

    ;; clear APPEND: writes go to the position again
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 0)) (i32.const 0) (i32.const 10))
    (call $check (call $flags (local.get $fd)) (i32.const 0) (i32.const 11))
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 2) (i32.const 136)) (i32.const 0) (i32.const 12))
    (call $check (call $write (local.get $fd) (i32.const 56) (i32.const 1)) (i32.const 0) (i32.const 13))

    ;; NONBLOCK (4) can be set and cleared
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 4)) (i32.const 0) (i32.const 20))
    (call $check (call $flags (local.get $fd)) (i32.const 4) (i32.const 21))
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 0)) (i32.const 0) (i32.const 22))
    (call $check (call $flags (local.get $fd)) (i32.const 0) (i32.const 23))

    ;; SYNC (16), DSYNC (2), RSYNC (8) cannot change after opening: inval (28)
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 16)) (i32.const 28) (i32.const 30))
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 2)) (i32.const 28) (i32.const 31))
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 8)) (i32.const 28) (i32.const 32))
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 17)) (i32.const 28) (i32.const 33))
    ;; unknown bits: inval
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 32)) (i32.const 28) (i32.const 34))
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const 0x10001)) (i32.const 28) (i32.const 35))
    (call $check (call $fd_fdstat_set_flags (local.get $fd) (i32.const -1)) (i32.const 28) (i32.const 36))
    ;; none of that changed the flags
    (call $check (call $flags (local.get $fd)) (i32.const 0) (i32.const 37))

    ;; unknown fd: badf (8)
    (call $check (call $fd_fdstat_set_flags (i32.const 99) (i32.const 1)) (i32.const 8) (i32.const 40))
    (call $check (call $fd_fdstat_set_flags (i32.const -1) (i32.const 0)) (i32.const 8) (i32.const 41))

    ;; file.txt opened with fd_read|fd_write only (no fd_fdstat_set_flags): notcapable (76)
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 8)
      (i32.const 0) (i64.const 0x42) (i64.const 0) (i32.const 0) (i32.const 64)) (i32.const 0) (i32.const 50))
    (local.set $ro (i32.load (i32.const 64)))
    (call $check (call $fd_fdstat_set_flags (local.get $ro) (i32.const 1)) (i32.const 76) (i32.const 51))
    (call $check (call $flags (local.get $ro)) (i32.const 0) (i32.const 52))
  )
)
