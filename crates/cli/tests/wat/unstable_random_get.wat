;; wasi_unstable `random_get`: two 16-byte fills differ (and are not all zero), a large fill,
;; length 0 anywhere up to the end of memory, buffers out of bounds -> fault with nothing
;; written. Fixture: none.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; 1 if the $n bytes at $p are all $byte
  (func $all (param $p i32) (param $n i32) (param $byte i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (if (i32.ne (i32.load8_u (local.get $p)) (local.get $byte)) (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  (func (export "_start")
    ;; two 16-byte fills at 256 and 272, with sentinels around them
    (memory.fill (i32.const 248) (i32.const 0xaa) (i32.const 48))
    (call $check (call $random_get (i32.const 256) (i32.const 16)) (i32.const 0) (i32.const 1))
    (call $check (call $random_get (i32.const 272) (i32.const 16)) (i32.const 0) (i32.const 2))
    (call $check (i32.and
      (i64.eq (i64.load (i32.const 256)) (i64.load (i32.const 272)))
      (i64.eq (i64.load (i32.const 264)) (i64.load (i32.const 280)))) (i32.const 0) (i32.const 3))
    (call $check (call $all (i32.const 256) (i32.const 16) (i32.const 0)) (i32.const 0) (i32.const 4))
    (call $check (call $all (i32.const 256) (i32.const 16) (i32.const 0xaa)) (i32.const 0) (i32.const 5))
    (call $check (call $all (i32.const 248) (i32.const 8) (i32.const 0xaa)) (i32.const 1) (i32.const 6))
    (call $check (call $all (i32.const 288) (i32.const 8) (i32.const 0xaa)) (i32.const 1) (i32.const 7))

    ;; a 32 KiB fill, unaligned
    (call $check (call $random_get (i32.const 1025) (i32.const 32768)) (i32.const 0) (i32.const 8))
    (call $check (call $all (i32.const 1025) (i32.const 64) (i32.const 0)) (i32.const 0) (i32.const 9))
    ;; the last 16 bytes of memory
    (call $check (call $random_get (i32.const 65520) (i32.const 16)) (i32.const 0) (i32.const 10))

    ;; length 0: success, nothing written, anywhere up to the end of memory
    (memory.fill (i32.const 512) (i32.const 0xaa) (i32.const 8))
    (call $check (call $random_get (i32.const 512) (i32.const 0)) (i32.const 0) (i32.const 20))
    (call $check (call $all (i32.const 512) (i32.const 8) (i32.const 0xaa)) (i32.const 1) (i32.const 21))
    (call $check (call $random_get (i32.const 0) (i32.const 0)) (i32.const 0) (i32.const 22))
    (call $check (call $random_get (i32.const 65536) (i32.const 0)) (i32.const 0) (i32.const 23))

    ;; out of bounds: fault (21), and nothing written
    (memory.fill (i32.const 65520) (i32.const 0xaa) (i32.const 16))
    (call $check (call $random_get (i32.const 65536) (i32.const 1)) (i32.const 21) (i32.const 30))
    (call $check (call $random_get (i32.const 65528) (i32.const 16)) (i32.const 21) (i32.const 31))
    (call $check (call $random_get (i32.const 65520) (i32.const 17)) (i32.const 21) (i32.const 32))
    (call $check (call $random_get (i32.const -1) (i32.const 2)) (i32.const 21) (i32.const 33))
    ;; more than the 16 MiB bound per call: inval (28), before the pointer is even looked at
    (call $check (call $random_get (i32.const 0) (i32.const -1)) (i32.const 28) (i32.const 34))
    (call $check (call $random_get (i32.const 65537) (i32.const 0)) (i32.const 21) (i32.const 35))
    (call $check (call $all (i32.const 65520) (i32.const 16) (i32.const 0xaa)) (i32.const 1) (i32.const 36))
  )
)
