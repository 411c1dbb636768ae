;; preview1 `poll_oneoff` with arguments no compiler would pass: misaligned arrays and result
;; (inval), arrays and result out of bounds (fault), an events array with room for fewer
;; events than subscriptions (fault, before any waiting), unknown tags, clock ids and clock
;; flags (inval). A failed call writes nothing. Layout: subscription 48 bytes (userdata@0 tag@8
;; id@16 timeout@24 precision@32 flags@40; fd@16), event 32 bytes.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  ;; the monotonic clock
  (func $now (result i64)
    (if (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 136)) (then (call $proc_exit (i32.const 99))))
    (i64.load (i32.const 136)))

  ;; a clock subscription at $a
  (func $clock_sub (param $a i32) (param $userdata i64) (param $id i32) (param $timeout i64) (param $flags i32)
    (memory.fill (local.get $a) (i32.const 0) (i32.const 48))
    (i64.store (local.get $a) (local.get $userdata))
    (i32.store offset=16 (local.get $a) (local.get $id))
    (i64.store offset=24 (local.get $a) (local.get $timeout))
    (i32.store16 offset=40 (local.get $a) (local.get $flags)))

  ;; poll_oneoff(in, out, n, nevents) after setting *nevents (if in bounds) to 77 and the
  ;; events at 4096 to 0xaa; checks the errno is $want, in less than half a second, and that
  ;; nothing was written on failure
  (func $poll (param $in i32) (param $out i32) (param $n i32) (param $nevents i32) (param $want i32) (param $id i32)
    (local $t0 i64)
    (i32.store (i32.const 128) (i32.const 77))
    (memory.fill (i32.const 4096) (i32.const 0xaa) (i32.const 256))
    (local.set $t0 (call $now))
    (call $check (call $poll_oneoff (local.get $in) (local.get $out) (local.get $n) (local.get $nevents)) (local.get $want) (local.get $id))
    (if (i64.ge_u (i64.sub (call $now) (local.get $t0)) (i64.const 500_000_000))
      (then (call $proc_exit (i32.add (local.get $id) (i32.const 1)))))
    (if (local.get $want) (then
      (call $check (i32.load (i32.const 128)) (i32.const 77) (i32.add (local.get $id) (i32.const 2)))
      (call $check (i32.load (i32.const 4096)) (i32.const 0xaaaaaaaa) (i32.add (local.get $id) (i32.const 3))))))

  (func (export "_start")
    ;; two 2 s timeouts at 256 and 304: any call that got as far as waiting would be slow
    (call $clock_sub (i32.const 256) (i64.const 1) (i32.const 1) (i64.const 2_000_000_000) (i32.const 0))
    (call $clock_sub (i32.const 304) (i64.const 2) (i32.const 1) (i64.const 2_000_000_000) (i32.const 0))

    ;; misaligned: subscriptions, events, nevents -> inval (28)
    (call $poll (i32.const 260) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 28) (i32.const 10))
    (call $poll (i32.const 256) (i32.const 4100) (i32.const 1) (i32.const 128) (i32.const 28) (i32.const 20))
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const 130) (i32.const 28) (i32.const 30))

    ;; out of bounds -> fault (21): subscriptions past the end, straddling it, wrapping around
    (call $poll (i32.const 65536) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 21) (i32.const 40))
    (call $poll (i32.const 65512) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 21) (i32.const 50))
    (call $poll (i32.const -8) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 21) (i32.const 60))
    ;; events: the first event fits, the second does not (two subscriptions)
    (call $poll (i32.const 256) (i32.const 65504) (i32.const 2) (i32.const 128) (i32.const 21) (i32.const 70))
    (call $poll (i32.const 256) (i32.const 65536) (i32.const 1) (i32.const 128) (i32.const 21) (i32.const 80))
    (call $poll (i32.const 256) (i32.const -32) (i32.const 1) (i32.const 128) (i32.const 21) (i32.const 90))
    ;; nevents
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const 65536) (i32.const 21) (i32.const 100))
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const -4) (i32.const 21) (i32.const 110))

    ;; unknown tag (3, 255) -> inval
    (i32.store8 (i32.const 264) (i32.const 3))
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 28) (i32.const 120))
    (i32.store8 (i32.const 264) (i32.const 255))
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 28) (i32.const 130))
    ;; unknown clock id (4, -1) -> inval
    (call $clock_sub (i32.const 256) (i64.const 1) (i32.const 4) (i64.const 0) (i32.const 0))
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 28) (i32.const 140))
    (call $clock_sub (i32.const 256) (i64.const 1) (i32.const -1) (i64.const 0) (i32.const 0))
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 28) (i32.const 150))
    ;; an unknown clock flag (2) -> inval
    (call $clock_sub (i32.const 256) (i64.const 1) (i32.const 1) (i64.const 0) (i32.const 2))
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 28) (i32.const 160))
    ;; a bad second subscription spoils the whole call, even with a good first one
    (call $clock_sub (i32.const 256) (i64.const 1) (i32.const 1) (i64.const 0) (i32.const 0))
    (i32.store8 (i32.const 312) (i32.const 9))
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 2) (i32.const 128) (i32.const 28) (i32.const 170))

    ;; the same arguments, well formed: a zero timeout fires at once, one event
    (call $poll (i32.const 256) (i32.const 4096) (i32.const 1) (i32.const 128) (i32.const 0) (i32.const 180))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 184))
    (call $check (i32.load (i32.const 4096)) (i32.const 1) (i32.const 185))
    (call $check (i32.load16_u (i32.const 4104)) (i32.const 0) (i32.const 186))
    (call $check (i32.load8_u (i32.const 4106)) (i32.const 0) (i32.const 187))
    ;; events may end exactly at the end of memory
    (call $poll (i32.const 256) (i32.const 65504) (i32.const 1) (i32.const 128) (i32.const 0) (i32.const 190))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 194))
    (call $check (i32.load (i32.const 65504)) (i32.const 1) (i32.const 195))
  )
)
