;; wasi_unstable `environ_sizes_get` and `environ_get`: the count and buffer size, the
;; NUL-terminated `NAME=VALUE` strings in the order given, the pointer array, and bad pointers
;; (out of bounds: fault; a misaligned pointer array or result: inval).
;; Fixture: run with `--env A=1 --env EMPTY= --env "GREETING=hi there"` (nothing inherited).
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; the expected environ buffer: 3 strings, 29 bytes with their NULs
  (data (i32.const 16) "A=1\00EMPTY=\00GREETING=hi there\00")

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
    ;; sizes: count at 256, buffer size at 260
    (call $check (call $environ_sizes_get (i32.const 256) (i32.const 260)) (i32.const 0) (i32.const 1))
    (call $check (i32.load (i32.const 256)) (i32.const 3) (i32.const 2))
    (call $check (i32.load (i32.const 260)) (i32.const 29) (i32.const 3))

    ;; pointer array at 512, buffer at 1024; sentinels after both must survive
    (i32.store8 (i32.const 1053) (i32.const 0xaa))
    (i32.store (i32.const 524) (i32.const 0x55555555))
    (call $check (call $environ_get (i32.const 512) (i32.const 1024)) (i32.const 0) (i32.const 4))
    (call $check (i32.load (i32.const 512)) (i32.const 1024) (i32.const 5))
    (call $check (i32.load (i32.const 516)) (i32.const 1028) (i32.const 6))
    (call $check (i32.load (i32.const 520)) (i32.const 1035) (i32.const 7))
    (call $check (call $memeq (i32.const 1024) (i32.const 16) (i32.const 29)) (i32.const 1) (i32.const 8))
    (call $check (i32.load8_u (i32.const 1053)) (i32.const 0xaa) (i32.const 9))
    (call $check (i32.load (i32.const 524)) (i32.const 0x55555555) (i32.const 10))

    ;; environ_sizes_get: results out of bounds -> fault (21), misaligned -> inval (28)
    (call $check (call $environ_sizes_get (i32.const 65536) (i32.const 260)) (i32.const 21) (i32.const 20))
    (call $check (call $environ_sizes_get (i32.const 256) (i32.const 65536)) (i32.const 21) (i32.const 21))
    (call $check (call $environ_sizes_get (i32.const 256) (i32.const 65534)) (i32.const 21) (i32.const 22))
    (call $check (call $environ_sizes_get (i32.const -4) (i32.const 260)) (i32.const 21) (i32.const 23))
    (call $check (call $environ_sizes_get (i32.const 258) (i32.const 260)) (i32.const 28) (i32.const 24))
    (call $check (call $environ_sizes_get (i32.const 256) (i32.const 261)) (i32.const 28) (i32.const 25))

    ;; environ_get: pointer array out of bounds -> fault
    (call $check (call $environ_get (i32.const 65536) (i32.const 1024)) (i32.const 21) (i32.const 30))
    (call $check (call $environ_get (i32.const 65532) (i32.const 1024)) (i32.const 21) (i32.const 31))
    (call $check (call $environ_get (i32.const -8) (i32.const 1024)) (i32.const 21) (i32.const 32))
    ;; string buffer out of bounds -> fault
    (call $check (call $environ_get (i32.const 512) (i32.const 65536)) (i32.const 21) (i32.const 33))
    (call $check (call $environ_get (i32.const 512) (i32.const 65520)) (i32.const 21) (i32.const 34))
    (call $check (call $environ_get (i32.const 512) (i32.const -2)) (i32.const 21) (i32.const 35))
    ;; misaligned pointer array -> inval
    (call $check (call $environ_get (i32.const 513) (i32.const 1024)) (i32.const 28) (i32.const 36))
    ;; a buffer ending exactly at the end of memory is fine
    (call $check (call $environ_get (i32.const 512) (i32.const 65507)) (i32.const 0) (i32.const 37))
    (call $check (call $memeq (i32.const 65507) (i32.const 16) (i32.const 29)) (i32.const 1) (i32.const 38))
  )
)
