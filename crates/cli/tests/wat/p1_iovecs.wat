;; wasi_snapshot_preview1 `fd_read` / `fd_write` iovec lists: counts over 1024 (1025,
;; 0x7fffffff, 0xffffffff) are inval; exactly 1024 one-byte buffers work both ways; lengths
;; summing past u32::MAX are inval; buffers out of bounds are fault; overlapping read buffers
;; do not crash and give a short read of at most the first non-empty buffer (the file position
;; moving by exactly that much); overlapping write buffers are fine. Failed calls write nothing.
;; Fixture in the preopen (fd 3): `file.txt` = "hello world", `big.txt` = 2000 bytes where byte
;; i is 'a' + i % 26. The test then expects `iov1024.txt` = the first 1024 bytes of that
;; pattern, `overlap.txt` = "abab" and empty stdout.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "file.txt")
  (data (i32.const 32) "big.txt")
  (data (i32.const 48) "ab")
  (data (i32.const 64) "iov1024.txt")
  (data (i32.const 80) "overlap.txt")
  (data (i32.const 96) "hello world")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))
  (func $check64 (param $got i64) (param $want i64) (param $id i32)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

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

  ;; path_open(3, path) with oflags and rights, checked with $id; returns the fd
  (func $open (param $path i32) (param $len i32) (param $oflags i32) (param $rights i64) (param $id i32) (result i32)
    (call $check (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len) (local.get $oflags)
      (local.get $rights) (i64.const 0) (i32.const 0) (i32.const 128)) (i32.const 0) (local.get $id))
    (i32.load (i32.const 128)))

  ;; the current position of $fd
  (func $tell (param $fd i32) (result i64)
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 1) (i32.const 136)) (i32.const 0) (i32.const 249))
    (i64.load (i32.const 136)))

  ;; rewinds $fd
  (func $rewind (param $fd i32)
    (call $check (call $fd_seek (local.get $fd) (i64.const 0) (i32.const 0) (i32.const 136)) (i32.const 0) (i32.const 250)))

  (func (export "_start") (local $file i32) (local $big i32) (local $out i32) (local $i i32) (local $n i32)
    ;; fd_read|fd_seek|fd_tell
    (local.set $file (call $open (i32.const 16) (i32.const 8) (i32.const 0) (i64.const 0x26) (i32.const 1)))
    (local.set $big (call $open (i32.const 32) (i32.const 7) (i32.const 0) (i64.const 0x26) (i32.const 2)))
    ;; CREAT, fd_write
    (local.set $out (call $open (i32.const 64) (i32.const 11) (i32.const 1) (i64.const 0x40) (i32.const 3)))

    ;; too many buffers: inval (28), nothing read or written
    (call $iov (i32.const 0) (i32.const 48) (i32.const 2))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 0x7fffffff) (i32.const 128)) (i32.const 28) (i32.const 10))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1025) (i32.const 128)) (i32.const 28) (i32.const 11))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const -1) (i32.const 128)) (i32.const 28) (i32.const 12))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 0x7fffffff) (i32.const 128)) (i32.const 28) (i32.const 13))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 1025) (i32.const 128)) (i32.const 28) (i32.const 14))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const -1) (i32.const 128)) (i32.const 28) (i32.const 15))
    (call $check64 (call $tell (local.get $file)) (i64.const 0) (i32.const 16))

    ;; exactly 1024 one-byte buffers: the list at 8192, the bytes at 16384 ('a' + i % 26)
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.eq (local.get $i) (i32.const 1024)))
        (i32.store8 (i32.add (i32.const 16384) (local.get $i))
          (i32.add (i32.const 97) (i32.rem_u (local.get $i) (i32.const 26))))
        (i32.store (i32.add (i32.const 8192) (i32.shl (local.get $i) (i32.const 3)))
          (i32.add (i32.const 16384) (local.get $i)))
        (i32.store (i32.add (i32.const 8196) (i32.shl (local.get $i) (i32.const 3))) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $check (call $fd_write (local.get $out) (i32.const 8192) (i32.const 1024) (i32.const 128)) (i32.const 0) (i32.const 20))
    (call $check (i32.load (i32.const 128)) (i32.const 1024) (i32.const 21))
    ;; read 1024 bytes of big.txt into every other byte from 32768 (the rest stays 0xaa)
    (memory.fill (i32.const 32768) (i32.const 0xaa) (i32.const 2048))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.eq (local.get $i) (i32.const 1024)))
        (i32.store (i32.add (i32.const 8192) (i32.shl (local.get $i) (i32.const 3)))
          (i32.add (i32.const 32768) (i32.shl (local.get $i) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $check (call $fd_read (local.get $big) (i32.const 8192) (i32.const 1024) (i32.const 128)) (i32.const 0) (i32.const 22))
    (local.set $n (i32.load (i32.const 128)))
    (call $check (local.get $n) (i32.const 1024) (i32.const 23))
    (local.set $i (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.eq (local.get $i) (i32.const 1024)))
        (call $check (i32.load8_u (i32.add (i32.const 32768) (i32.shl (local.get $i) (i32.const 1))))
          (i32.add (i32.const 97) (i32.rem_u (local.get $i) (i32.const 26))) (i32.const 24))
        (call $check (i32.load8_u (i32.add (i32.const 32769) (i32.shl (local.get $i) (i32.const 1))))
          (i32.const 0xaa) (i32.const 25))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    ;; the list running off the end of memory: fault
    (call $check (call $fd_read (local.get $big) (i32.const 57352) (i32.const 1024) (i32.const 128)) (i32.const 21) (i32.const 26))

    ;; lengths summing to 2^32 or more: inval, whatever the buffers
    (call $iov (i32.const 0) (i32.const 0) (i32.const 0x80000000))
    (call $iov (i32.const 1) (i32.const 0) (i32.const 0x80000000))
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 28) (i32.const 30))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 28) (i32.const 31))
    (call $iov (i32.const 0) (i32.const 1024) (i32.const -1))
    (call $iov (i32.const 1) (i32.const 1024) (i32.const 1))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 28) (i32.const 32))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 28) (i32.const 33))

    ;; buffers out of bounds: fault
    (call $iov (i32.const 0) (i32.const 0) (i32.const -1))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 40))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 41))
    (call $iov (i32.const 0) (i32.const 65530) (i32.const 10))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 42))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 43))
    (call $iov (i32.const 0) (i32.const -1) (i32.const 2))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 44))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 45))
    (call $iov (i32.const 0) (i32.const 65536) (i32.const 1))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 46))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 47))
    ;; a good buffer followed by a bad one: fault, and the good one was not used either
    (call $iov (i32.const 0) (i32.const 1024) (i32.const 4))
    (call $iov (i32.const 1) (i32.const 65535) (i32.const 2))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 21) (i32.const 48))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 21) (i32.const 49))
    (call $check64 (call $tell (local.get $file)) (i64.const 0) (i32.const 50))
    ;; an empty buffer at the very end of memory is fine
    (call $iov (i32.const 0) (i32.const 65536) (i32.const 0))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 0) (i32.const 51))
    (call $check (i32.load (i32.const 128)) (i32.const 0) (i32.const 52))

    ;; overlapping read buffers: [1024, +8) and [1028, +8)
    (memory.fill (i32.const 1024) (i32.const 0) (i32.const 64))
    (call $iov (i32.const 0) (i32.const 1024) (i32.const 8))
    (call $iov (i32.const 1) (i32.const 1028) (i32.const 8))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 0) (i32.const 60))
    (local.set $n (i32.load (i32.const 128)))
    (call $check (i32.and (i32.ge_u (local.get $n) (i32.const 1)) (i32.le_u (local.get $n) (i32.const 8))) (i32.const 1) (i32.const 61))
    (call $check (call $memeq (i32.const 1024) (i32.const 96) (local.get $n)) (i32.const 1) (i32.const 62))
    (call $check64 (call $tell (local.get $file)) (i64.extend_i32_u (local.get $n)) (i32.const 63))
    ;; the later buffer first in the list: it is the one filled
    (call $rewind (local.get $file))
    (memory.fill (i32.const 1024) (i32.const 0) (i32.const 64))
    (call $iov (i32.const 0) (i32.const 1028) (i32.const 8))
    (call $iov (i32.const 1) (i32.const 1024) (i32.const 8))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 0) (i32.const 64))
    (local.set $n (i32.load (i32.const 128)))
    (call $check (i32.and (i32.ge_u (local.get $n) (i32.const 1)) (i32.le_u (local.get $n) (i32.const 8))) (i32.const 1) (i32.const 65))
    (call $check (call $memeq (i32.const 1028) (i32.const 96) (local.get $n)) (i32.const 1) (i32.const 66))
    (call $check64 (call $tell (local.get $file)) (i64.extend_i32_u (local.get $n)) (i32.const 67))
    ;; the same buffer twice, after an empty one
    (call $rewind (local.get $file))
    (call $iov (i32.const 0) (i32.const 1024) (i32.const 0))
    (call $iov (i32.const 1) (i32.const 1040) (i32.const 4))
    (call $iov (i32.const 2) (i32.const 1040) (i32.const 4))
    (call $check (call $fd_read (local.get $file) (i32.const 256) (i32.const 3) (i32.const 128)) (i32.const 0) (i32.const 68))
    (local.set $n (i32.load (i32.const 128)))
    (call $check (i32.and (i32.ge_u (local.get $n) (i32.const 1)) (i32.le_u (local.get $n) (i32.const 4))) (i32.const 1) (i32.const 69))
    (call $check (call $memeq (i32.const 1040) (i32.const 96) (local.get $n)) (i32.const 1) (i32.const 70))
    (call $check64 (call $tell (local.get $file)) (i64.extend_i32_u (local.get $n)) (i32.const 71))

    ;; overlapping write buffers: "ab" twice
    (local.set $out (call $open (i32.const 80) (i32.const 11) (i32.const 1) (i64.const 0x40) (i32.const 80)))
    (call $iov (i32.const 0) (i32.const 48) (i32.const 2))
    (call $iov (i32.const 1) (i32.const 48) (i32.const 2))
    (call $check (call $fd_write (local.get $out) (i32.const 256) (i32.const 2) (i32.const 128)) (i32.const 0) (i32.const 81))
    (call $check (i32.load (i32.const 128)) (i32.const 4) (i32.const 82))
  )
)
