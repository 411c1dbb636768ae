;; wasi_unstable `fd_prestat_get` and `fd_prestat_dir_name`: the preopen (fd 3) is a directory
;; named `.` (length 1, no NUL written); a buffer shorter than the name is nametoolong; numbers
;; that are not preopens (stdio, an opened file or directory, unknown numbers) are badf; bad
;; pointers are fault, a misaligned prestat is inval.
;; Fixture: `file.txt` in the preopen.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) ".")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  (func (export "_start") (local $file i32) (local $dir i32)
    ;; prestat of the preopen: tag 0 (dir) at 0, name length 1 at 4
    (memory.fill (i32.const 256) (i32.const 0xff) (i32.const 8))
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 256)) (i32.const 0) (i32.const 1))
    (call $check (i32.load8_u (i32.const 256)) (i32.const 0) (i32.const 2))
    (call $check (i32.load (i32.const 260)) (i32.const 1) (i32.const 3))

    ;; the name, exactly as long as the buffer: `.`, with no NUL after it
    (memory.fill (i32.const 512) (i32.const 0xaa) (i32.const 16))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.const 512) (i32.const 1)) (i32.const 0) (i32.const 4))
    (call $check (i32.load8_u (i32.const 512)) (i32.const 46) (i32.const 5))
    (call $check (i32.load8_u (i32.const 513)) (i32.const 0xaa) (i32.const 6))
    ;; a longer buffer is fine, and only the name is written
    (memory.fill (i32.const 512) (i32.const 0xaa) (i32.const 16))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.const 512) (i32.const 16)) (i32.const 0) (i32.const 7))
    (call $check (i32.load8_u (i32.const 512)) (i32.const 46) (i32.const 8))
    (call $check (i32.load8_u (i32.const 513)) (i32.const 0xaa) (i32.const 9))
    ;; a buffer shorter than the name: nametoolong (37), nothing written
    (memory.fill (i32.const 512) (i32.const 0xaa) (i32.const 16))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.const 512) (i32.const 0)) (i32.const 37) (i32.const 10))
    (call $check (i32.load8_u (i32.const 512)) (i32.const 0xaa) (i32.const 11))
    ;; the last byte of memory is fine
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.const 65535) (i32.const 1)) (i32.const 0) (i32.const 12))
    (call $check (i32.load8_u (i32.const 65535)) (i32.const 46) (i32.const 13))

    ;; the next number after the last preopen is badf (8): that ends libc's preopen scan
    (call $check (call $fd_prestat_get (i32.const 4) (i32.const 256)) (i32.const 8) (i32.const 20))
    (call $check (call $fd_prestat_dir_name (i32.const 4) (i32.const 512) (i32.const 16)) (i32.const 8) (i32.const 21))
    ;; stdio is not a preopen: badf
    (call $check (call $fd_prestat_get (i32.const 0) (i32.const 256)) (i32.const 8) (i32.const 22))
    (call $check (call $fd_prestat_get (i32.const 1) (i32.const 256)) (i32.const 8) (i32.const 23))
    (call $check (call $fd_prestat_get (i32.const 2) (i32.const 256)) (i32.const 8) (i32.const 24))
    (call $check (call $fd_prestat_dir_name (i32.const 1) (i32.const 512) (i32.const 16)) (i32.const 8) (i32.const 25))
    (call $check (call $fd_prestat_get (i32.const 99) (i32.const 256)) (i32.const 8) (i32.const 26))
    (call $check (call $fd_prestat_get (i32.const -1) (i32.const 256)) (i32.const 8) (i32.const 27))
    (call $check (call $fd_prestat_dir_name (i32.const -1) (i32.const 512) (i32.const 16)) (i32.const 8) (i32.const 28))

    ;; an opened file and a directory opened through the preopen are not preopens: badf
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)) (i32.const 0) (i32.const 30))
    (local.set $file (i32.load (i32.const 64)))
    (call $check (call $fd_prestat_get (local.get $file) (i32.const 256)) (i32.const 8) (i32.const 31))
    (call $check (call $fd_prestat_dir_name (local.get $file) (i32.const 512) (i32.const 16)) (i32.const 8) (i32.const 32))
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 1)
      (i32.const 2) (i64.const 0x2000) (i64.const 0) (i32.const 0) (i32.const 64)) (i32.const 0) (i32.const 33))
    (local.set $dir (i32.load (i32.const 64)))
    (call $check (call $fd_prestat_get (local.get $dir) (i32.const 256)) (i32.const 8) (i32.const 34))
    (call $check (call $fd_prestat_dir_name (local.get $dir) (i32.const 512) (i32.const 16)) (i32.const 8) (i32.const 35))

    ;; bad pointers: out of bounds -> fault (21), prestat not 4-aligned -> inval (28)
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 65536)) (i32.const 21) (i32.const 40))
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 65532)) (i32.const 21) (i32.const 41))
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const -4)) (i32.const 21) (i32.const 42))
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 258)) (i32.const 28) (i32.const 43))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.const 65536) (i32.const 1)) (i32.const 21) (i32.const 44))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.const -1) (i32.const 1)) (i32.const 21) (i32.const 45))
    ;; the last 8 bytes of memory are fine
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 65528)) (i32.const 0) (i32.const 46))
    (call $check (i32.load (i32.const 65532)) (i32.const 1) (i32.const 47))
  )
)
