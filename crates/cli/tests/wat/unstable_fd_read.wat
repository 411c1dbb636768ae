;; wasi_unstable `fd_read`: a scatter read into several buffers (one of them empty), a short
;; read, end of file giving 0, no buffers, empty stdin; bad fd, missing fd_read right (a file
;; opened write-only, the preopened directory), bad pointers.
;; Fixture: `file.txt` = "hello world" in the preopen (fd 3); stdin empty.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) "hello world")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; 1 if the $n bytes at $a and $b are equal
  (func $memeq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (if (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b)))
          (then (return (i32.const 0))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; stores iovec number $i of the list at 256
  (func $iov (param $i i32) (param $buf i32) (param $len i32)
    (i32.store (i32.add (i32.const 256) (i32.shl (local.get $i) (i32.const 3))) (local.get $buf))
    (i32.store (i32.add (i32.const 260) (i32.shl (local.get $i) (i32.const 3))) (local.get $len)))

  ;; opens file.txt with rights $rights; returns the errno, the fd lands at 64
  (func $open (param $rights i64) (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8)
      (i32.const 0) (local.get $rights) (i64.const 0) (i32.const 0) (i32.const 64)))

  (func (export "_start") (local $fd i32) (local $wo i32)
    ;; fd_read|fd_seek
    (call $check (call $open (i64.const 6)) (i32.const 0) (i32.const 1))
    (local.set $fd (i32.load (i32.const 64)))

    ;; four buffers: 5 bytes, none, 3 bytes, 10 bytes; the 11 bytes of the file fill them in order
    (memory.fill (i32.const 1024) (i32.const 0xaa) (i32.const 1024))
    (call $iov (i32.const 0) (i32.const 1024) (i32.const 5))
    (call $iov (i32.const 1) (i32.const 1100) (i32.const 0))
    (call $iov (i32.const 2) (i32.const 1536) (i32.const 3))
    (call $iov (i32.const 3) (i32.const 1600) (i32.const 10))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 4) (i32.const 128)) (i32.const 0) (i32.const 2))
    (call $check (i32.load (i32.const 128)) (i32.const 11) (i32.const 3))
    (call $check (call $memeq (i32.const 1024) (i32.const 32) (i32.const 5)) (i32.const 1) (i32.const 4))
    (call $check (i32.load8_u (i32.const 1029)) (i32.const 0xaa) (i32.const 5))
    (call $check (i32.load8_u (i32.const 1100)) (i32.const 0xaa) (i32.const 6))
    (call $check (call $memeq (i32.const 1536) (i32.const 37) (i32.const 3)) (i32.const 1) (i32.const 7))
    (call $check (call $memeq (i32.const 1600) (i32.const 40) (i32.const 3)) (i32.const 1) (i32.const 8))
    (call $check (i32.load8_u (i32.const 1603)) (i32.const 0xaa) (i32.const 9))

    ;; end of file: 0 bytes, success
    (i32.store (i32.const 128) (i32.const 77))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 4) (i32.const 128)) (i32.const 0) (i32.const 10))
    (call $check (i32.load (i32.const 128)) (i32.const 0) (i32.const 11))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 4) (i32.const 128)) (i32.const 0) (i32.const 12))
    (call $check (i32.load (i32.const 128)) (i32.const 0) (i32.const 13))

    ;; back to the start (whence 2 = SET in wasi_unstable); a 4-byte buffer reads "hell"
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 2) (i32.const 136)) (i32.const 0) (i32.const 20))
    (memory.fill (i32.const 1024) (i32.const 0xaa) (i32.const 16))
    (call $iov (i32.const 0) (i32.const 1024) (i32.const 4))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 0) (i32.const 21))
    (call $check (i32.load (i32.const 128)) (i32.const 4) (i32.const 22))
    (call $check (call $memeq (i32.const 1024) (i32.const 32) (i32.const 4)) (i32.const 1) (i32.const 23))
    (call $check (i32.load8_u (i32.const 1028)) (i32.const 0xaa) (i32.const 24))
    ;; the next read continues at "o world"
    (call $iov (i32.const 0) (i32.const 1024) (i32.const 100))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 0) (i32.const 25))
    (call $check (i32.load (i32.const 128)) (i32.const 7) (i32.const 26))
    (call $check (call $memeq (i32.const 1024) (i32.const 36) (i32.const 7)) (i32.const 1) (i32.const 27))

    ;; no buffers at all: 0 bytes
    (i32.store (i32.const 128) (i32.const 77))
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 2) (i32.const 136)) (i32.const 0) (i32.const 30))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 0) (i32.const 128)) (i32.const 0) (i32.const 31))
    (call $check (i32.load (i32.const 128)) (i32.const 0) (i32.const 32))

    ;; stdin is empty: 0 bytes
    (i32.store (i32.const 128) (i32.const 77))
    (call $check (call $fd_read (i32.const 0) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 0) (i32.const 33))
    (call $check (i32.load (i32.const 128)) (i32.const 0) (i32.const 34))

    ;; unknown fd: badf (8)
    (call $check (call $fd_read (i32.const 99) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 8) (i32.const 40))
    (call $check (call $fd_read (i32.const -1) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 8) (i32.const 41))
    ;; file opened with fd_write only: notcapable (76)
    (call $check (call $open (i64.const 0x40)) (i32.const 0) (i32.const 42))
    (local.set $wo (i32.load (i32.const 64)))
    (call $check (call $fd_read (local.get $wo) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 76) (i32.const 43))
    ;; a directory has no fd_read right: notcapable
    (call $check (call $fd_read (i32.const 3) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 76) (i32.const 44))

    ;; bad pointers. nread out of bounds -> fault (21), misaligned -> inval (28)
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 2) (i32.const 136)) (i32.const 0) (i32.const 50))
    (call $iov (i32.const 0) (i32.const 1024) (i32.const 4))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 1) (i32.const 65536)) (i32.const 21) (i32.const 51))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 1) (i32.const -4)) (i32.const 21) (i32.const 52))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 1) (i32.const 130)) (i32.const 28) (i32.const 53))
    ;; iovec array out of bounds -> fault, misaligned -> inval
    (call $check (call $fd_read (local.get $fd) (i32.const 65536) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 54))
    (call $check (call $fd_read (local.get $fd) (i32.const 65532) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 55))
    (call $check (call $fd_read (local.get $fd) (i32.const 258) (i32.const 1) (i32.const 128)) (i32.const 28) (i32.const 56))
    ;; a buffer out of bounds -> fault
    (call $iov (i32.const 0) (i32.const 65534) (i32.const 4))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 57))
    ;; none of the failed calls read anything: the position is still 0
    (call $iov (i32.const 0) (i32.const 1024) (i32.const 2))
    (call $check (call $fd_read (local.get $fd) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 0) (i32.const 58))
    (call $check (call $memeq (i32.const 1024) (i32.const 32) (i32.const 2)) (i32.const 1) (i32.const 59))
  )
)
