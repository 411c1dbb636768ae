;; wasi_unstable `fd_seek`: whence is numbered cur=0, end=1, set=2 (preview1: set=0, cur=1,
;; end=2); the ABI layer translates. Fixture: `file.txt` = "hello world" in the preopen (fd 3).
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))
  (func $check64 (param $got i64) (param $want i64) (param $id i32)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  (func (export "_start") (local $fd i32)
    ;; open file.txt with all rights; the new fd lands at 64
    (call $check (call $path_open (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 8)
      (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 64)) (i32.const 0) (i32.const 1))
    (local.set $fd (i32.load (i32.const 64)))

    ;; whence 2 = SET in wasi_unstable: position 4
    (call $check (call $fd_seek (local.get $fd) (i64.const 4) (i32.const 2) (i32.const 128)) (i32.const 0) (i32.const 2))
    (call $check64 (i64.load (i32.const 128)) (i64.const 4) (i32.const 3))
    ;; whence 0 = CUR: 4 + 3 = 7
    (call $check (call $fd_seek (local.get $fd) (i64.const 3) (i32.const 0) (i32.const 128)) (i32.const 0) (i32.const 4))
    (call $check64 (i64.load (i32.const 128)) (i64.const 7) (i32.const 5))
    ;; whence 1 = END: 11 - 1 = 10
    (call $check (call $fd_seek (local.get $fd) (i64.const -1) (i32.const 1) (i32.const 128)) (i32.const 0) (i32.const 6))
    (call $check64 (i64.load (i32.const 128)) (i64.const 10) (i32.const 7))
    ;; whence 3 does not exist: inval (28)
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 3) (i32.const 128)) (i32.const 28) (i32.const 8))
    ;; result pointer out of bounds: fault (21)
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 0) (i32.const 65536)) (i32.const 21) (i32.const 9))
    ;; bad fd: badf (8)
    (call $check (call $fd_seek (i32.const 99) (i64.const 0) (i32.const 0) (i32.const 128)) (i32.const 8) (i32.const 10))
    ;; negative resulting offset: inval (28)
    (call $check (call $fd_seek (local.get $fd) (i64.const -100) (i32.const 2) (i32.const 128)) (i32.const 28) (i32.const 11))
  )
)
