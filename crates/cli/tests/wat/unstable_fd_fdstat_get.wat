;; wasi_unstable `fd_fdstat_get`: the 24-byte fdstat (filetype u8 at 0, flags u16 at 2,
;; rights_base u64 at 8, rights_inheriting u64 at 16) of the preopen, of files opened with all
;; rights, with narrowed rights and with APPEND, of a directory opened through the preopen and
;; of stdin (a pipe under the test harness); bad fd, bad result pointers.
;; Fixture: `file.txt` and the directory `a/` in the preopen (fd 3).
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) "a")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))
  (func $check64 (param $got i64) (param $want i64) (param $id i32)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; fd_fdstat_get($fd) into 256 (prefilled with 0xff) and checks every field (ids $id .. $id+4)
  (func $fdstat (param $fd i32) (param $type i32) (param $flags i32) (param $base i64) (param $inh i64) (param $id i32)
    (memory.fill (i32.const 256) (i32.const 0xff) (i32.const 24))
    (call $check (call $fd_fdstat_get (local.get $fd) (i32.const 256)) (i32.const 0) (local.get $id))
    (call $check (i32.load8_u (i32.const 256)) (local.get $type) (i32.add (local.get $id) (i32.const 1)))
    (call $check (i32.load16_u (i32.const 258)) (local.get $flags) (i32.add (local.get $id) (i32.const 2)))
    (call $check64 (i64.load (i32.const 264)) (local.get $base) (i32.add (local.get $id) (i32.const 3)))
    (call $check64 (i64.load (i32.const 272)) (local.get $inh) (i32.add (local.get $id) (i32.const 4))))

  ;; path_open(3, path, oflags, base, inheriting, fdflags), checked with $id; returns the fd
  (func $open (param $path i32) (param $len i32) (param $oflags i32) (param $base i64) (param $inh i64)
      (param $fdflags i32) (param $id i32) (result i32)
    (call $check (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len)
      (local.get $oflags) (local.get $base) (local.get $inh) (local.get $fdflags) (i32.const 64))
      (i32.const 0) (local.get $id))
    (i32.load (i32.const 64)))

  (func (export "_start") (local $fd i32)
    ;; the preopen: a directory (3), no flags, every directory right, and as inheriting rights
    ;; everything a file or directory supports (0x7bffe98 and 0xfffffff)
    (call $fdstat (i32.const 3) (i32.const 3) (i32.const 0) (i64.const 0x7bffe98) (i64.const 0xfffffff) (i32.const 1))

    ;; a file opened asking for every right gets exactly the regular-file rights (0x8e001ff),
    ;; and as inheriting rights what the directory may pass on
    (local.set $fd (call $open (i32.const 16) (i32.const 8) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 10)))
    (call $fdstat (local.get $fd) (i32.const 4) (i32.const 0) (i64.const 0x8e001ff) (i64.const 0xfffffff) (i32.const 11))

    ;; narrowed rights: fd_read|fd_seek, no inheriting rights
    (local.set $fd (call $open (i32.const 16) (i32.const 8) (i32.const 0) (i64.const 6) (i64.const 0) (i32.const 0) (i32.const 20)))
    (call $fdstat (local.get $fd) (i32.const 4) (i32.const 0) (i64.const 6) (i64.const 0) (i32.const 21))

    ;; opened with APPEND: flags = 1
    (local.set $fd (call $open (i32.const 16) (i32.const 8) (i32.const 0) (i64.const 0x40) (i64.const 0) (i32.const 1) (i32.const 30)))
    (call $fdstat (local.get $fd) (i32.const 4) (i32.const 1) (i64.const 0x40) (i64.const 0) (i32.const 31))

    ;; a directory: rights narrowed to what a directory supports (fd_read dropped: path_open|fd_readdir)
    (local.set $fd (call $open (i32.const 32) (i32.const 1) (i32.const 2) (i64.const 0x6002) (i64.const 0x42) (i32.const 0) (i32.const 40)))
    (call $fdstat (local.get $fd) (i32.const 3) (i32.const 0) (i64.const 0x6000) (i64.const 0x42) (i32.const 41))

    ;; stdin is a pipe under the test harness: filetype unknown (0), the rights of standard
    ;; input (fd_read|fd_fdstat_set_flags|fd_filestat_get|poll_fd_readwrite)
    (call $fdstat (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0x820000a) (i64.const 0) (i32.const 50))

    ;; bad fd: badf (8), and nothing written
    (i64.store (i32.const 256) (i64.const 0x1111))
    (call $check (call $fd_fdstat_get (i32.const 99) (i32.const 256)) (i32.const 8) (i32.const 60))
    (call $check (call $fd_fdstat_get (i32.const -1) (i32.const 256)) (i32.const 8) (i32.const 61))
    (call $check64 (i64.load (i32.const 256)) (i64.const 0x1111) (i32.const 62))

    ;; result out of bounds: fault (21)
    (call $check (call $fd_fdstat_get (i32.const 3) (i32.const 65536)) (i32.const 21) (i32.const 70))
    (call $check (call $fd_fdstat_get (i32.const 3) (i32.const 65520)) (i32.const 21) (i32.const 71))
    (call $check (call $fd_fdstat_get (i32.const 3) (i32.const -8)) (i32.const 21) (i32.const 72))
    ;; the last 24 bytes of memory are fine
    (call $check (call $fd_fdstat_get (i32.const 3) (i32.const 65512)) (i32.const 0) (i32.const 73))
    (call $check (i32.load8_u (i32.const 65512)) (i32.const 3) (i32.const 74))
    ;; result not 8-aligned: inval (28)
    (call $check (call $fd_fdstat_get (i32.const 3) (i32.const 260)) (i32.const 28) (i32.const 75))
    (call $check (call $fd_fdstat_get (i32.const 3) (i32.const 257)) (i32.const 28) (i32.const 76))
  )
)
