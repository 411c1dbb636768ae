;; wasi_unstable `clock_res_get` and `clock_time_get` for all four clocks (realtime,
;; monotonic, process and thread CPU time): nonzero resolutions, a realtime clock after 2020,
;; a monotonic clock that never goes back, clock id 4 -> inval, and bad result pointers
;; (out of bounds: fault; not 8-aligned: inval). Fixture: none.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_unstable" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; clock $clk: resolution and time readable and nonzero (ids $id .. $id+3)
  (func $readable (param $clk i32) (param $id i32)
    (i64.store (i32.const 256) (i64.const 0))
    (call $check (call $clock_res_get (local.get $clk) (i32.const 256)) (i32.const 0) (local.get $id))
    (call $check (i64.ne (i64.load (i32.const 256)) (i64.const 0)) (i32.const 1) (i32.add (local.get $id) (i32.const 1)))
    (i64.store (i32.const 264) (i64.const 0))
    (call $check (call $clock_time_get (local.get $clk) (i64.const 1) (i32.const 264)) (i32.const 0) (i32.add (local.get $id) (i32.const 2)))
    (call $check (i64.ne (i64.load (i32.const 264)) (i64.const 0)) (i32.const 1) (i32.add (local.get $id) (i32.const 3))))

  (func (export "_start") (local $i i32) (local $prev i64) (local $now i64)
    (call $readable (i32.const 0) (i32.const 1))
    (call $readable (i32.const 1) (i32.const 5))
    (call $readable (i32.const 2) (i32.const 9))
    (call $readable (i32.const 3) (i32.const 13))

    ;; realtime is nanoseconds since the epoch: after 2020-09-13 (1.6e18 ns)
    (call $check (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 264)) (i32.const 0) (i32.const 20))
    (call $check (i64.gt_u (i64.load (i32.const 264)) (i64.const 1600000000000000000)) (i32.const 1) (i32.const 21))
    ;; any precision is accepted, even the largest
    (call $check (call $clock_time_get (i32.const 0) (i64.const -1) (i32.const 264)) (i32.const 0) (i32.const 22))

    ;; monotonic never decreases over 1000 reads
    (call $check (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 264)) (i32.const 0) (i32.const 30))
    (local.set $prev (i64.load (i32.const 264)))
    (block $done
      (loop $next
        (br_if $done (i32.eq (local.get $i) (i32.const 1000)))
        (call $check (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 264)) (i32.const 0) (i32.const 31))
        (local.set $now (i64.load (i32.const 264)))
        (call $check (i64.ge_u (local.get $now) (local.get $prev)) (i32.const 1) (i32.const 32))
        (local.set $prev (local.get $now))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))

    ;; clock id 4 does not exist: inval (28), and nothing is written
    (i64.store (i32.const 256) (i64.const 77))
    (call $check (call $clock_res_get (i32.const 4) (i32.const 256)) (i32.const 28) (i32.const 40))
    (call $check (call $clock_time_get (i32.const 4) (i64.const 0) (i32.const 256)) (i32.const 28) (i32.const 41))
    (call $check (i64.eq (i64.load (i32.const 256)) (i64.const 77)) (i32.const 1) (i32.const 42))
    (call $check (call $clock_res_get (i32.const -1) (i32.const 256)) (i32.const 28) (i32.const 43))
    (call $check (call $clock_time_get (i32.const -1) (i64.const 0) (i32.const 256)) (i32.const 28) (i32.const 44))

    ;; result out of bounds -> fault (21)
    (call $check (call $clock_res_get (i32.const 0) (i32.const 65536)) (i32.const 21) (i32.const 50))
    (call $check (call $clock_res_get (i32.const 1) (i32.const 65532)) (i32.const 21) (i32.const 51))
    (call $check (call $clock_res_get (i32.const 1) (i32.const -8)) (i32.const 21) (i32.const 52))
    (call $check (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 65536)) (i32.const 21) (i32.const 53))
    (call $check (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 65532)) (i32.const 21) (i32.const 54))
    (call $check (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const -8)) (i32.const 21) (i32.const 55))
    ;; the last 8 bytes of memory are fine
    (call $check (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 65528)) (i32.const 0) (i32.const 56))
    ;; result not 8-aligned -> inval (28)
    (call $check (call $clock_res_get (i32.const 0) (i32.const 260)) (i32.const 28) (i32.const 57))
    (call $check (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 257)) (i32.const 28) (i32.const 58))
  )
)
