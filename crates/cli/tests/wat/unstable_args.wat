;; wasi_unstable `args_sizes_get` and `args_get`: the count and buffer size, the NUL-terminated
;; strings packed one after another, the pointer array, and bad pointers (out of bounds: fault;
;; a misaligned pointer array or result: inval).
;; Fixture: run with `--argv0 prog` and guest arguments `first`, `` (empty) and `with space`.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; the expected argv buffer: 4 strings, 23 bytes with their NULs
  (data (i32.const 16) "prog\00first\00\00with space\00")

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

  (func (export "_start")
    ;; sizes: argc at 256, argv_buf_size at 260
    (call $check (call $args_sizes_get (i32.const 256) (i32.const 260)) (i32.const 0) (i32.const 1))
    (call $check (i32.load (i32.const 256)) (i32.const 4) (i32.const 2))
    (call $check (i32.load (i32.const 260)) (i32.const 23) (i32.const 3))

    ;; argv array at 512, buffer at 1024; a sentinel right after the buffer must survive
    (i32.store8 (i32.const 1047) (i32.const 0xaa))
    (i32.store (i32.const 528) (i32.const 0x55555555))
    (call $check (call $args_get (i32.const 512) (i32.const 1024)) (i32.const 0) (i32.const 4))
    (call $check (i32.load (i32.const 512)) (i32.const 1024) (i32.const 5))
    (call $check (i32.load (i32.const 516)) (i32.const 1029) (i32.const 6))
    (call $check (i32.load (i32.const 520)) (i32.const 1035) (i32.const 7))
    (call $check (i32.load (i32.const 524)) (i32.const 1036) (i32.const 8))
    (call $check (call $memeq (i32.const 1024) (i32.const 16) (i32.const 23)) (i32.const 1) (i32.const 9))
    (call $check (i32.load8_u (i32.const 1047)) (i32.const 0xaa) (i32.const 10))
    ;; no terminating NULL pointer is written after the array (argc entries exactly)
    (call $check (i32.load (i32.const 528)) (i32.const 0x55555555) (i32.const 11))

    ;; the buffer may be anywhere, even unaligned
    (call $check (call $args_get (i32.const 512) (i32.const 2049)) (i32.const 0) (i32.const 12))
    (call $check (i32.load (i32.const 520)) (i32.const 2060) (i32.const 13))
    (call $check (call $memeq (i32.const 2049) (i32.const 16) (i32.const 23)) (i32.const 1) (i32.const 14))

    ;; args_sizes_get: results out of bounds -> fault (21)
    (call $check (call $args_sizes_get (i32.const 65536) (i32.const 260)) (i32.const 21) (i32.const 20))
    (call $check (call $args_sizes_get (i32.const 256) (i32.const 65536)) (i32.const 21) (i32.const 21))
    (call $check (call $args_sizes_get (i32.const 65532) (i32.const 65534)) (i32.const 21) (i32.const 22))
    (call $check (call $args_sizes_get (i32.const -4) (i32.const 260)) (i32.const 21) (i32.const 23))
    ;; misaligned results -> inval (28)
    (call $check (call $args_sizes_get (i32.const 257) (i32.const 260)) (i32.const 28) (i32.const 24))
    (call $check (call $args_sizes_get (i32.const 256) (i32.const 262)) (i32.const 28) (i32.const 25))

    ;; args_get: pointer array out of bounds -> fault
    (call $check (call $args_get (i32.const 65536) (i32.const 1024)) (i32.const 21) (i32.const 30))
    (call $check (call $args_get (i32.const 65528) (i32.const 1024)) (i32.const 21) (i32.const 31))
    (call $check (call $args_get (i32.const -4) (i32.const 1024)) (i32.const 21) (i32.const 32))
    ;; string buffer out of bounds (entirely, or running off the end) -> fault
    (call $check (call $args_get (i32.const 512) (i32.const 65536)) (i32.const 21) (i32.const 33))
    (call $check (call $args_get (i32.const 512) (i32.const 65530)) (i32.const 21) (i32.const 34))
    (call $check (call $args_get (i32.const 512) (i32.const -1)) (i32.const 21) (i32.const 35))
    ;; misaligned pointer array -> inval
    (call $check (call $args_get (i32.const 514) (i32.const 1024)) (i32.const 28) (i32.const 36))
    ;; a buffer that ends exactly at the end of memory is fine
    (call $check (call $args_get (i32.const 512) (i32.const 65513)) (i32.const 0) (i32.const 37))
    (call $check (call $memeq (i32.const 65513) (i32.const 16) (i32.const 23)) (i32.const 1) (i32.const 38))
  )
)
