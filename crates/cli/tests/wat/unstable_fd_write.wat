;; wasi_unstable `fd_write`: a gather write (one buffer empty) to a file created through the
;; preopen, writes to stdout and stderr, no buffers; bad fd, missing fd_write right (a file
;; opened read-only, the preopened directory), bad pointers. Failed calls write nothing.
;; Fixture: `file.txt` = "hello world" in the preopen (fd 3); the test then expects
;; `out.txt` = "Hello, WASI!\n", `file.txt` unchanged, stdout "to stdout\n" and stderr
;; "to stderr\n".
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) "out.txt")
  (data (i32.const 48) "Hello, WASI!\n")
  (data (i32.const 64) "to stdout\n")
  (data (i32.const 80) "to stderr\n")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; stores iovec number $i of the list at 256
  (func $iov (param $i i32) (param $buf i32) (param $len i32)
    (i32.store (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 3))) (local.get $buf))
    (i32.store (i32.add (i32.const 260) (i32.shl (local.get $i) (i32.const 3))) (local.get $len)))

  (func (export "_start") (local $out i32) (local $ro i32)
    ;; create out.txt (oflags CREAT) with fd_write
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 7)
      (i32.const 1) (i64.const 0x40) (i64.const 0) (i32.const 0) (i32.const 128)) (i32.const 0) (i32.const 1))
    (local.set $out (i32.load (i32.const 128)))

    ;; "Hello, " + "" + "WASI!\n"
    (call $iov (i32.const 0) (i32.const 48) (i32.const 7))
    (call $iov (i32.const 1) (i32.const 0) (i32.const 0))
    (call $iov (i32.const 2) (i32.const 55) (i32.const 6))
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 3) (i32.const 136)) (i32.const 0) (i32.const 2))
    (call $check (i32.load (i32.const 136)) (i32.const 13) (i32.const 3))
    ;; no buffers: 0 bytes
    (i32.store (i32.const 136) (i32.const 77))
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 0) (i32.const 136)) (i32.const 0) (i32.const 4))
    (call $check (i32.load (i32.const 136)) (i32.const 0) (i32.const 5))
    ;; an empty buffer at the very end of memory: 0 bytes
    (call $iov (i32.const 0) (i32.const 65536) (i32.const 0))
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 1) (i32.const 136)) (i32.const 0) (i32.const 6))
    (call $check (i32.load (i32.const 136)) (i32.const 0) (i32.const 7))

    ;; stdout and stderr
    (call $iov (i32.const 0) (i32.const 64) (i32.const 10))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 136)) (i32.const 0) (i32.const 10))
    (call $check (i32.load (i32.const 136)) (i32.const 10) (i32.const 11))
    (call $iov (i32.const 0) (i32.const 80) (i32.const 10))
    (call $check (call $fd_write (i32.const 2) (i32.const 256) (i32.const 1) (i32.const 136)) (i32.const 0) (i32.const 12))
    (call $check (i32.load (i32.const 136)) (i32.const 10) (i32.const 13))

    ;; from here on every call fails and must write nothing
    (call $iov (i32.const 0) (i32.const 48) (i32.const 5))
    ;; unknown fd: badf (8)
    (call $check (call $fd_write (i32.const 99) (i32.const 256) (i32.const 1) (i32.const 136)) (i32.const 8) (i32.const 20))
    (call $check (call $fd_write (i32.const -1) (i32.const 256) (i32.const 1) (i32.const 136)) (i32.const 8) (i32.const 21))
    ;; file.txt opened read-only: notcapable (76)
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 128)) (i32.const 0) (i32.const 22))
    (local.set $ro (i32.load (i32.const 128)))
    (call $check (call $fd_write (local.get $ro) (i32.const 256) (i32.const 1) (i32.const 136)) (i32.const 76) (i32.const 23))
    ;; the preopened directory: notcapable
    (call $check (call $fd_write (i32.const 3) (i32.const 256) (i32.const 1) (i32.const 136)) (i32.const 76) (i32.const 24))

    ;; nwritten out of bounds -> fault (21), misaligned -> inval (28)
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 1) (i32.const 65536)) (i32.const 21) (i32.const 30))
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 1) (i32.const 65534)) (i32.const 21) (i32.const 31))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const -4)) (i32.const 21) (i32.const 32))
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 1) (i32.const 137)) (i32.const 28) (i32.const 33))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 138)) (i32.const 28) (i32.const 34))
    ;; iovec array out of bounds -> fault, misaligned -> inval
    (call $check (call $fd_write (local.get $out) (i32.const 65536) (i32.const 1) (i32.const 136)) (i32.const 21) (i32.const 35))
    (call $check (call $fd_write (local.get $out) (i32.const 65528) (i32.const 2) (i32.const 136)) (i32.const 21) (i32.const 36))
    (call $check (call $fd_write (i32.const 1) (i32.const 254) (i32.const 1) (i32.const 136)) (i32.const 28) (i32.const 37))
    ;; a buffer out of bounds (even after a good one) -> fault
    (call $iov (i32.const 1) (i32.const 65530) (i32.const 7))
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 2) (i32.const 136)) (i32.const 21) (i32.const 38))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 2) (i32.const 136)) (i32.const 21) (i32.const 39))
    (call $iov (i32.const 1) (i32.const -1) (i32.const 1))
    (call $check (call $fd_write (i32.const 2) (i32.const 256) (i32.const 2) (i32.const 136)) (i32.const 21) (i32.const 40))
  )
)
