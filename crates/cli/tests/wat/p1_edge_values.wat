;; wasi_snapshot_preview1 with the edge values of the panic audit (docs/panic-audit.md): buffers
;; that end exactly at the end of memory (they fit) or one byte later (fault, and the string
;; that does not fit is not written), zero-length buffers at the very end, addresses that would
;; wrap past 2^32, counts of 0, 4097 and 2^32-1, offsets and sizes past i64::MAX, timeouts of
;; 2^64-1 ns, descriptor and signal numbers of 2^32-1. The runner is a debug build in tests,
;; where an unchecked overflow panics: each call must come back with its errno.
;; Fixture: `file.txt` = "hello world" and `link` -> `file.txt` in the preopen (fd 3), run
;; with `--env X=1 --clock-resolution 1ms`, stdout a pipe; the test then expects empty stdout
;; and `file.txt` unchanged.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_readlink" (func $path_readlink (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_tell" (func $fd_tell (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread" (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_allocate" (func $fd_allocate (param i32 i64 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_size" (func $fd_filestat_set_size (param i32 i64) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) "link")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))
  (func $check64 (param $got i64) (param $want i64) (param $id i32)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  (func (export "_start") (local $size i32) (local $len i32) (local $fd i32)
    ;; args_get: the strings end exactly at the end of memory
    (call $check (call $args_sizes_get (i32.const 256) (i32.const 260)) (i32.const 0) (i32.const 1))
    (local.set $size (i32.load (i32.const 260)))
    (call $check (call $args_get (i32.const 512) (i32.sub (i32.const 65536) (local.get $size))) (i32.const 0) (i32.const 2))
    (call $check (i32.load8_u (i32.const 65535)) (i32.const 0) (i32.const 3))
    (call $check (i32.load (i32.const 512)) (i32.sub (i32.const 65536) (local.get $size)) (i32.const 4))
    ;; one byte later: fault, and argv[0] (the module's path) is not written
    (memory.fill (i32.sub (i32.const 65536) (local.get $size)) (i32.const 0) (local.get $size))
    (call $check (call $args_get (i32.const 512) (i32.sub (i32.const 65537) (local.get $size))) (i32.const 21) (i32.const 5))
    (call $check (i32.load8_u (i32.sub (i32.const 65537) (local.get $size))) (i32.const 0) (i32.const 6))
    ;; a buffer whose terminator would be past 2^32
    (call $check (call $args_get (i32.const 512) (i32.const -2)) (i32.const 21) (i32.const 7))

    ;; environ_get: "X=1\0" in the last four bytes, then one byte later
    (call $check (call $environ_get (i32.const 512) (i32.const 65532)) (i32.const 0) (i32.const 10))
    (call $check (i32.load (i32.const 65532)) (i32.const 0x00313d58) (i32.const 11))
    (i32.store (i32.const 65532) (i32.const 0))
    (call $check (call $environ_get (i32.const 512) (i32.const 65533)) (i32.const 21) (i32.const 12))
    (call $check (i32.load (i32.const 65532)) (i32.const 0) (i32.const 13))

    ;; fd_prestat_dir_name: the name ends exactly at the end of memory, then one byte later
    (call $check (call $fd_prestat_get (i32.const 3) (i32.const 256)) (i32.const 0) (i32.const 20))
    (local.set $len (i32.load (i32.const 260)))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.sub (i32.const 65536) (local.get $len)) (local.get $len))
      (i32.const 0) (i32.const 21))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.sub (i32.const 65537) (local.get $len)) (local.get $len))
      (i32.const 21) (i32.const 22))
    (call $check (call $fd_prestat_dir_name (i32.const 3) (i32.const -1) (i32.const -1)) (i32.const 21) (i32.const 23))

    ;; path_readlink ("file.txt", 8 bytes): exactly at the end, empty at the very end, cut to
    ;; the buffer, one byte past the end, and a buffer wrapping past 2^32
    (call $check (call $path_readlink (i32.const 3) (i32.const 32) (i32.const 4) (i32.const 65528) (i32.const 8) (i32.const 256))
      (i32.const 0) (i32.const 30))
    (call $check (i32.load (i32.const 256)) (i32.const 8) (i32.const 31))
    (call $check64 (i64.load (i32.const 65528)) (i64.load (i32.const 16)) (i32.const 32))
    (call $check (call $path_readlink (i32.const 3) (i32.const 32) (i32.const 4) (i32.const 65536) (i32.const 0) (i32.const 256))
      (i32.const 0) (i32.const 33))
    (call $check (i32.load (i32.const 256)) (i32.const 0) (i32.const 34))
    (call $check (call $path_readlink (i32.const 3) (i32.const 32) (i32.const 4) (i32.const 65532) (i32.const 4) (i32.const 256))
      (i32.const 0) (i32.const 35))
    (call $check (i32.load (i32.const 256)) (i32.const 4) (i32.const 36))
    (call $check (call $path_readlink (i32.const 3) (i32.const 32) (i32.const 4) (i32.const 65529) (i32.const 8) (i32.const 256))
      (i32.const 21) (i32.const 37))
    (call $check (call $path_readlink (i32.const 3) (i32.const 32) (i32.const 4) (i32.const -1) (i32.const 2) (i32.const 256))
      (i32.const 21) (i32.const 38))

    ;; fd_readdir: an empty buffer at the very end, one header exactly at the end (full), a
    ;; buffer one byte past the end, and a cookie of 2^64-1 (past every entry: nothing)
    (call $check (call $fd_readdir (i32.const 3) (i32.const 65536) (i32.const 0) (i64.const 0) (i32.const 256))
      (i32.const 0) (i32.const 40))
    (call $check (i32.load (i32.const 256)) (i32.const 0) (i32.const 41))
    (call $check (call $fd_readdir (i32.const 3) (i32.const 65512) (i32.const 24) (i64.const 0) (i32.const 256))
      (i32.const 0) (i32.const 42))
    (call $check (i32.load (i32.const 256)) (i32.const 24) (i32.const 43))
    (call $check (call $fd_readdir (i32.const 3) (i32.const 65535) (i32.const 2) (i64.const 0) (i32.const 256))
      (i32.const 21) (i32.const 44))
    (call $check (call $fd_readdir (i32.const 3) (i32.const 1024) (i32.const 64) (i64.const -1) (i32.const 256))
      (i32.const 0) (i32.const 45))
    (call $check (i32.load (i32.const 256)) (i32.const 0) (i32.const 46))

    ;; poll_oneoff. Subscriptions at 1024: stdout writable (userdata 7), and the monotonic
    ;; clock with a relative timeout and a precision of 2^64-1 (userdata 8).
    (i64.store (i32.const 1024) (i64.const 7))
    (i32.store8 (i32.const 1032) (i32.const 2))
    (i32.store (i32.const 1040) (i32.const 1))
    (i64.store (i32.const 1072) (i64.const 8))
    (i32.store8 (i32.const 1080) (i32.const 0))
    (i32.store (i32.const 1088) (i32.const 1))
    (i64.store (i32.const 1096) (i64.const -1))
    (i64.store (i32.const 1104) (i64.const -1))
    (i32.store16 (i32.const 1112) (i32.const 0))
    ;; no subscriptions, one past the bound, 2^32-1
    (call $check (call $poll_oneoff (i32.const 1024) (i32.const 2048) (i32.const 0) (i32.const 256)) (i32.const 28) (i32.const 50))
    (call $check (call $poll_oneoff (i32.const 1024) (i32.const 2048) (i32.const 4097) (i32.const 256)) (i32.const 28) (i32.const 51))
    (call $check (call $poll_oneoff (i32.const 1024) (i32.const 2048) (i32.const -1) (i32.const 256)) (i32.const 28) (i32.const 52))
    ;; an events array wrapping past 2^32, and one with room for one event of two
    (call $check (call $poll_oneoff (i32.const 1024) (i32.const -32) (i32.const 2) (i32.const 256)) (i32.const 21) (i32.const 53))
    (call $check (call $poll_oneoff (i32.const 1024) (i32.const 65504) (i32.const 2) (i32.const 256)) (i32.const 21) (i32.const 54))
    ;; the clock's deadline saturates (rounded up to 1 ms past 2^64-1): stdout's event comes at once
    (call $check (call $poll_oneoff (i32.const 1024) (i32.const 65472) (i32.const 2) (i32.const 256)) (i32.const 0) (i32.const 55))
    (call $check (i32.load (i32.const 256)) (i32.const 1) (i32.const 56))
    (call $check64 (i64.load (i32.const 65472)) (i64.const 7) (i32.const 57))
    (call $check (i32.load16_u (i32.const 65480)) (i32.const 0) (i32.const 58))
    (call $check (i32.load8_u (i32.const 65482)) (i32.const 2) (i32.const 59))
    ;; the same with an absolute realtime deadline of 2^64-1
    (i32.store (i32.const 1088) (i32.const 0))
    (i32.store16 (i32.const 1112) (i32.const 1))
    (call $check (call $poll_oneoff (i32.const 1024) (i32.const 65472) (i32.const 2) (i32.const 256)) (i32.const 0) (i32.const 60))
    (call $check (i32.load (i32.const 256)) (i32.const 1) (i32.const 61))
    (call $check64 (i64.load (i32.const 65472)) (i64.const 7) (i32.const 62))

    ;; file.txt, with every right it can have
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 0)
      (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 128)) (i32.const 0) (i32.const 70))
    (local.set $fd (i32.load (i32.const 128)))
    ;; seeks to before the start (from the start, the position, the end)
    (call $check (call $fd_seek (local.get $fd) (i64.const -1) (i32.const 0) (i32.const 136)) (i32.const 28) (i32.const 71))
    (call $check (call $fd_seek (local.get $fd) (i64.const 0x8000000000000000) (i32.const 1) (i32.const 136)) (i32.const 28) (i32.const 72))
    (call $check (call $fd_seek (local.get $fd) (i64.const 0x8000000000000000) (i32.const 2) (i32.const 136)) (i32.const 28) (i32.const 73))
    (call $check (call $fd_tell (local.get $fd) (i32.const 136)) (i32.const 0) (i32.const 74))
    (call $check64 (i64.load (i32.const 136)) (i64.const 0) (i32.const 75))
    ;; pread/pwrite at offsets past i64::MAX
    (i32.store (i32.const 264) (i32.const 1024))
    (i32.store (i32.const 268) (i32.const 4))
    (call $check (call $fd_pread (local.get $fd) (i32.const 264) (i32.const 1) (i64.const -1) (i32.const 256)) (i32.const 28) (i32.const 80))
    (call $check (call $fd_pwrite (local.get $fd) (i32.const 264) (i32.const 1) (i64.const 0x8000000000000000) (i32.const 256))
      (i32.const 28) (i32.const 81))
    ;; allocations whose end overflows or passes i64::MAX, and an empty one
    (call $check (call $fd_allocate (local.get $fd) (i64.const -1) (i64.const 1)) (i32.const 28) (i32.const 82))
    (call $check (call $fd_allocate (local.get $fd) (i64.const 1) (i64.const -1)) (i32.const 28) (i32.const 83))
    (call $check (call $fd_allocate (local.get $fd) (i64.const 0x7fffffffffffffff) (i64.const 1)) (i32.const 28) (i32.const 84))
    (call $check (call $fd_allocate (local.get $fd) (i64.const 0) (i64.const 0)) (i32.const 28) (i32.const 85))
    ;; a size past i64::MAX
    (call $check (call $fd_filestat_set_size (local.get $fd) (i64.const -1)) (i32.const 28) (i32.const 86))

    ;; descriptor and signal numbers of 2^32-1, a precision of 2^64-1, random bytes at the end
    (call $check (call $fd_renumber (local.get $fd) (i32.const -1)) (i32.const 8) (i32.const 90))
    (call $check (call $fd_renumber (i32.const -1) (local.get $fd)) (i32.const 8) (i32.const 91))
    (call $check (call $fd_close (i32.const -1)) (i32.const 8) (i32.const 92))
    (call $check (call $proc_raise (i32.const -1)) (i32.const 28) (i32.const 93))
    (call $check (call $clock_time_get (i32.const 1) (i64.const -1) (i32.const 136)) (i32.const 0) (i32.const 94))
    (call $check (call $random_get (i32.const 65536) (i32.const 0)) (i32.const 0) (i32.const 95))
    (call $check (call $random_get (i32.const 65535) (i32.const 1)) (i32.const 0) (i32.const 96))
    (call $check (call $random_get (i32.const 65535) (i32.const 2)) (i32.const 21) (i32.const 97))
    (call $check (call $fd_close (local.get $fd)) (i32.const 0) (i32.const 98))))
