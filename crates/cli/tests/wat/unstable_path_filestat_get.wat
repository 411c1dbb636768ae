;; wasi_unstable `path_filestat_get`: the 56-byte filestat (dev u64 at 0, ino u64 at 8,
;; filetype u8 at 16, nlink u32 at 20, size u64 at 24, atim at 32, mtim at 40, ctim at 48),
;; compared field by field with preview1's 64-byte one (nlink u64 at 24, size at 32, ...) for
;; the same path; nothing written past the record; a symlink followed or not; the last 56
;; bytes of memory hold it, 64 do not; errors.
;; Fixture: `file.txt` = "hello world" with a hard link `hard.txt` (nlink 2), atime
;; 1500000000.000000123 and mtime 1600000000.000000456; the directory `sub/`; `link` -> `file.txt`;
;; in the preopen (fd 3). Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $p1_path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) "sub")
  (data (i32.const 48) "link")
  (data (i32.const 64) "missing")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))
  (func $check64 (param $got i64) (param $want i64) (param $id i32)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; Both filestats of the path, with lookup flags $flags: wasi_unstable's at 1024 and
  ;; preview1's at 2048, each in a 128-byte area filled with 0xaa first. Checks that nothing
  ;; is written past the records, that the unstable padding (bytes 17-19) is zero, and that
  ;; both agree (ids $id .. $id+12).
  (func $both (param $flags i32) (param $path i32) (param $len i32) (param $id i32)
    (memory.fill (i32.const 1024) (i32.const 0xaa) (i32.const 128))
    (memory.fill (i32.const 2048) (i32.const 0xaa) (i32.const 128))
    (call $check (call $path_filestat_get (i32.const 3) (local.get $flags) (local.get $path) (local.get $len) (i32.const 1024))
      (i32.const 0) (local.get $id))
    (call $check (call $p1_path_filestat_get (i32.const 3) (local.get $flags) (local.get $path) (local.get $len) (i32.const 2048))
      (i32.const 0) (i32.add (local.get $id) (i32.const 1)))
    (call $check64 (i64.load (i32.const 1080)) (i64.const 0xaaaaaaaaaaaaaaaa) (i32.add (local.get $id) (i32.const 2)))
    (call $check64 (i64.load (i32.const 1088)) (i64.const 0xaaaaaaaaaaaaaaaa) (i32.add (local.get $id) (i32.const 2)))
    (call $check64 (i64.load (i32.const 2112)) (i64.const 0xaaaaaaaaaaaaaaaa) (i32.add (local.get $id) (i32.const 3)))
    (call $check64 (i64.load (i32.const 1024)) (i64.load (i32.const 2048)) (i32.add (local.get $id) (i32.const 4)))
    (call $check64 (i64.load (i32.const 1032)) (i64.load (i32.const 2056)) (i32.add (local.get $id) (i32.const 5)))
    (call $check (i32.load8_u (i32.const 1040)) (i32.load8_u (i32.const 2064)) (i32.add (local.get $id) (i32.const 6)))
    (call $check (i32.and (i32.load (i32.const 1040)) (i32.const 0xffffff00)) (i32.const 0) (i32.add (local.get $id) (i32.const 7)))
    (call $check64 (i64.extend_i32_u (i32.load (i32.const 1044))) (i64.load (i32.const 2072)) (i32.add (local.get $id) (i32.const 8)))
    (call $check64 (i64.load (i32.const 1048)) (i64.load (i32.const 2080)) (i32.add (local.get $id) (i32.const 9)))
    (call $check64 (i64.load (i32.const 1056)) (i64.load (i32.const 2088)) (i32.add (local.get $id) (i32.const 10)))
    (call $check64 (i64.load (i32.const 1064)) (i64.load (i32.const 2096)) (i32.add (local.get $id) (i32.const 11)))
    (call $check64 (i64.load (i32.const 1072)) (i64.load (i32.const 2104)) (i32.add (local.get $id) (i32.const 12))))

  (func (export "_start")
    ;; file.txt: regular (4), 2 links, 11 bytes, the fixture's times
    (call $both (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 10))
    (call $check (i32.load8_u (i32.const 1040)) (i32.const 4) (i32.const 30))
    (call $check (i32.load (i32.const 1044)) (i32.const 2) (i32.const 31))
    (call $check64 (i64.load (i32.const 1048)) (i64.const 11) (i32.const 32))
    (call $check64 (i64.load (i32.const 1056)) (i64.const 1500000000000000123) (i32.const 33))
    (call $check64 (i64.load (i32.const 1064)) (i64.const 1600000000000000456) (i32.const 34))
    (call $check (i32.load8_u (i32.const 2064)) (i32.const 4) (i32.const 35))
    (call $check64 (i64.load (i32.const 2072)) (i64.const 2) (i32.const 36))
    (call $check64 (i64.load (i32.const 2080)) (i64.const 11) (i32.const 37))
    (call $check64 (i64.load (i32.const 2096)) (i64.const 1600000000000000456) (i32.const 38))
    (i64.store (i32.const 512) (i64.load (i32.const 1032)))

    ;; sub: a directory (3)
    (call $both (i32.const 0) (i32.const 32) (i32.const 3) (i32.const 40))
    (call $check (i32.load8_u (i32.const 1040)) (i32.const 3) (i32.const 60))

    ;; link, not followed: a symlink (7) whose size is the length of "file.txt", its own inode
    (call $both (i32.const 0) (i32.const 48) (i32.const 4) (i32.const 100))
    (call $check (i32.load8_u (i32.const 1040)) (i32.const 7) (i32.const 120))
    (call $check64 (i64.load (i32.const 1048)) (i64.const 8) (i32.const 121))
    (call $check (i64.eq (i64.load (i32.const 1032)) (i64.load (i32.const 512))) (i32.const 0) (i32.const 122))
    ;; link, followed: file.txt
    (call $both (i32.const 1) (i32.const 48) (i32.const 4) (i32.const 130))
    (call $check (i32.load8_u (i32.const 1040)) (i32.const 4) (i32.const 150))
    (call $check64 (i64.load (i32.const 1032)) (i64.load (i32.const 512)) (i32.const 151))
    (call $check64 (i64.load (i32.const 1048)) (i64.const 11) (i32.const 152))

    ;; the last 56 bytes of memory hold a wasi_unstable filestat, not a preview1 one
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 65480))
      (i32.const 0) (i32.const 160))
    (call $check64 (i64.load (i32.const 65504)) (i64.const 11) (i32.const 161))
    (call $check (call $p1_path_filestat_get (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 65480))
      (i32.const 21) (i32.const 162))
    (call $check (call $p1_path_filestat_get (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 65472))
      (i32.const 0) (i32.const 163))
    ;; result out of bounds: fault (21); misaligned: inval (28)
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 65488))
      (i32.const 21) (i32.const 164))
    (memory.fill (i32.const 1024) (i32.const 0xaa) (i32.const 128))
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 1028))
      (i32.const 28) (i32.const 165))
    (call $check64 (i64.load (i32.const 1032)) (i64.const 0xaaaaaaaaaaaaaaaa) (i32.const 166))
    ;; missing: noent (44); bad fd: badf (8); nothing written
    (call $check (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 7) (i32.const 1024))
      (i32.const 44) (i32.const 167))
    (call $check (call $path_filestat_get (i32.const 99) (i32.const 0) (i32.const 16) (i32.const 8) (i32.const 1024))
      (i32.const 8) (i32.const 168))
    (call $check64 (i64.load (i32.const 1024)) (i64.const 0xaaaaaaaaaaaaaaaa) (i32.const 169))
  )
)
