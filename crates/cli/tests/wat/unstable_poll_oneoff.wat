;; wasi_unstable `poll_oneoff` with its 56-byte `subscription` (the clock payload has a leading
;; `identifier`: userdata@0 tag@8 identifier@16 id@24 timeout@32 precision@40 flags@48; an
;; fd_read/fd_write payload is fd@16) and the 32-byte `event` (userdata@0 error@8 type@10
;; nbytes@16 flags@24). A clock with a junk identifier fires with its userdata after its
;; timeout; the earliest of two clocks fires; an absolute deadline in the past fires at once; a
;; file (the second subscription, 56 bytes in) is ready before a long clock with the bytes
;; left; a bad fd gets badf in its event; no subscriptions or more than 4096 are inval.
;; Fixture: `file.txt` = "hello world" in the preopen (fd 3).
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_unstable" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
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
  ;; fails unless $lo <= $got < $hi (unsigned)
  (func $between (param $got i64) (param $lo i64) (param $hi i64) (param $id i32)
    (if (i64.lt_u (local.get $got) (local.get $lo)) (then (call $proc_exit (local.get $id))))
    (if (i64.ge_u (local.get $got) (local.get $hi)) (then (call $proc_exit (local.get $id)))))

  ;; the monotonic clock
  (func $now (result i64)
    (if (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 136)) (then (call $proc_exit (i32.const 99))))
    (i64.load (i32.const 136)))

  ;; subscription number $i of the array at 256 (56 bytes each)
  (func $sub (param $i i32) (result i32)
    (i32.add (i32.const 256) (i32.mul (local.get $i) (i32.const 56))))
  ;; event number $i of the array at 2048 (32 bytes each)
  (func $ev (param $i i32) (result i32)
    (i32.add (i32.const 2048) (i32.shl (local.get $i) (i32.const 5))))

  (func $clock_sub (param $i i32) (param $userdata i64) (param $identifier i64) (param $id i32)
      (param $timeout i64) (param $precision i64) (param $flags i32)
    (local $a i32)
    (local.set $a (call $sub (local.get $i)))
    (memory.fill (local.get $a) (i32.const 0) (i32.const 56))
    (i64.store (local.get $a) (local.get $userdata))
    (i32.store8 offset=8 (local.get $a) (i32.const 0))
    (i64.store offset=16 (local.get $a) (local.get $identifier))
    (i32.store offset=24 (local.get $a) (local.get $id))
    (i64.store offset=32 (local.get $a) (local.get $timeout))
    (i64.store offset=40 (local.get $a) (local.get $precision))
    (i32.store16 offset=48 (local.get $a) (local.get $flags)))

  (func $fd_sub (param $i i32) (param $userdata i64) (param $tag i32) (param $fd i32)
    (local $a i32)
    (local.set $a (call $sub (local.get $i)))
    (memory.fill (local.get $a) (i32.const 0) (i32.const 56))
    (i64.store (local.get $a) (local.get $userdata))
    (i32.store8 offset=8 (local.get $a) (local.get $tag))
    (i32.store offset=16 (local.get $a) (local.get $fd)))

  ;; polls the first $n subscriptions into the events at 2048; returns the errno
  (func $poll (param $n i32) (result i32)
    (memory.fill (i32.const 2048) (i32.const 0xaa) (i32.const 256))
    (i32.store (i32.const 128) (i32.const 77))
    (call $poll_oneoff (i32.const 256) (i32.const 2048) (local.get $n) (i32.const 128)))

  ;; checks event $i: userdata, error, type
  (func $event (param $i i32) (param $userdata i64) (param $error i32) (param $type i32) (param $id i32)
    (call $check64 (i64.load (call $ev (local.get $i))) (local.get $userdata) (local.get $id))
    (call $check (i32.load16_u offset=8 (call $ev (local.get $i))) (local.get $error) (i32.add (local.get $id) (i32.const 1)))
    (call $check (i32.load8_u offset=10 (call $ev (local.get $i))) (local.get $type) (i32.add (local.get $id) (i32.const 2))))

  (func (export "_start") (local $t0 i64) (local $fd i32)
    ;; a relative 10 ms monotonic clock with a junk identifier: fires after 10 ms, once
    (call $clock_sub (i32.const 0) (i64.const 0x1122334455667788) (i64.const 0xdeadbeefdeadbeef)
      (i32.const 1) (i64.const 10_000_000) (i64.const 0) (i32.const 0))
    (local.set $t0 (call $now))
    (call $check (call $poll (i32.const 1)) (i32.const 0) (i32.const 1))
    (call $between (i64.sub (call $now) (local.get $t0)) (i64.const 10_000_000) (i64.const 1_000_000_000) (i32.const 2))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 3))
    (call $event (i32.const 0) (i64.const 0x1122334455667788) (i32.const 0) (i32.const 0) (i32.const 4))
    (call $check64 (i64.load offset=16 (call $ev (i32.const 0))) (i64.const 0) (i32.const 7))
    (call $check (i32.load16_u offset=24 (call $ev (i32.const 0))) (i32.const 0) (i32.const 8))
    ;; nothing written past the one event
    (call $check64 (i64.load (call $ev (i32.const 1))) (i64.const 0xaaaaaaaaaaaaaaaa) (i32.const 9))

    ;; the same on the realtime clock, with a precision
    (call $clock_sub (i32.const 0) (i64.const 5) (i64.const -1) (i32.const 0) (i64.const 10_000_000) (i64.const 1000) (i32.const 0))
    (local.set $t0 (call $now))
    (call $check (call $poll (i32.const 1)) (i32.const 0) (i32.const 10))
    (call $between (i64.sub (call $now) (local.get $t0)) (i64.const 10_000_000) (i64.const 1_000_000_000) (i32.const 11))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 12))
    (call $event (i32.const 0) (i64.const 5) (i32.const 0) (i32.const 0) (i32.const 13))

    ;; the earliest of two clocks fires: 3 s (userdata 10) and 10 ms (userdata 11)
    (call $clock_sub (i32.const 0) (i64.const 10) (i64.const 0x0102030405060708) (i32.const 1) (i64.const 3_000_000_000) (i64.const 0) (i32.const 0))
    (call $clock_sub (i32.const 1) (i64.const 11) (i64.const 0x0807060504030201) (i32.const 1) (i64.const 10_000_000) (i64.const 0) (i32.const 0))
    (local.set $t0 (call $now))
    (call $check (call $poll (i32.const 2)) (i32.const 0) (i32.const 20))
    (call $between (i64.sub (call $now) (local.get $t0)) (i64.const 10_000_000) (i64.const 1_000_000_000) (i32.const 21))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 22))
    (call $event (i32.const 0) (i64.const 11) (i32.const 0) (i32.const 0) (i32.const 23))

    ;; an absolute deadline in the past (abstime = 1 at offset 48) fires at once; read as
    ;; relative, 2 s would be waited
    (call $clock_sub (i32.const 0) (i64.const 30) (i64.const 0xdeadbeefdeadbeef) (i32.const 1) (i64.const 2_000_000_000) (i64.const 0) (i32.const 1))
    (local.set $t0 (call $now))
    (call $check (call $poll (i32.const 1)) (i32.const 0) (i32.const 30))
    (call $between (i64.sub (call $now) (local.get $t0)) (i64.const 0) (i64.const 500_000_000) (i32.const 31))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 32))
    (call $event (i32.const 0) (i64.const 30) (i32.const 0) (i32.const 0) (i32.const 33))

    ;; a file (fd_read|fd_seek|poll_fd_readwrite) as the second subscription, after a 5 s
    ;; clock: ready at once with 11 bytes left, then 5 after seeking to 6 (set = 2 here)
    (call $check (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 8)
      (i32.const 0) (i64.const 0x8000006) (i64.const 0) (i32.const 0) (i32.const 64)) (i32.const 0) (i32.const 40))
    (local.set $fd (i32.load (i32.const 64)))
    (call $clock_sub (i32.const 0) (i64.const 40) (i64.const 7) (i32.const 1) (i64.const 5_000_000_000) (i64.const 0) (i32.const 0))
    (call $fd_sub (i32.const 1) (i64.const 41) (i32.const 1) (local.get $fd))
    (local.set $t0 (call $now))
    (call $check (call $poll (i32.const 2)) (i32.const 0) (i32.const 41))
    (call $between (i64.sub (call $now) (local.get $t0)) (i64.const 0) (i64.const 500_000_000) (i32.const 42))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 43))
    (call $event (i32.const 0) (i64.const 41) (i32.const 0) (i32.const 1) (i32.const 44))
    (call $check64 (i64.load offset=16 (call $ev (i32.const 0))) (i64.const 11) (i32.const 47))
    (call $check (i32.load16_u offset=24 (call $ev (i32.const 0))) (i32.const 0) (i32.const 48))
    (call $check (call $fd_seek (local.get $fd) (i64.const 6) (i32.const 2) (i32.const 136)) (i32.const 0) (i32.const 49))
    (call $check (call $poll (i32.const 2)) (i32.const 0) (i32.const 50))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 51))
    (call $event (i32.const 0) (i64.const 41) (i32.const 0) (i32.const 1) (i32.const 52))
    (call $check64 (i64.load offset=16 (call $ev (i32.const 0))) (i64.const 5) (i32.const 55))
    ;; fd_write on stdout (type 2) is ready too
    (call $fd_sub (i32.const 0) (i64.const 42) (i32.const 2) (i32.const 1))
    (call $check (call $poll (i32.const 1)) (i32.const 0) (i32.const 90))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 91))
    (call $event (i32.const 0) (i64.const 42) (i32.const 0) (i32.const 2) (i32.const 92))

    ;; a bad fd: an event with badf (8), at once
    (call $clock_sub (i32.const 0) (i64.const 60) (i64.const 7) (i32.const 1) (i64.const 5_000_000_000) (i64.const 0) (i32.const 0))
    (call $fd_sub (i32.const 1) (i64.const 61) (i32.const 1) (i32.const 99))
    (local.set $t0 (call $now))
    (call $check (call $poll (i32.const 2)) (i32.const 0) (i32.const 60))
    (call $between (i64.sub (call $now) (local.get $t0)) (i64.const 0) (i64.const 500_000_000) (i32.const 61))
    (call $check (i32.load (i32.const 128)) (i32.const 1) (i32.const 62))
    (call $event (i32.const 0) (i64.const 61) (i32.const 8) (i32.const 1) (i32.const 63))

    ;; no subscriptions, or more than 4096: inval (28), nevents untouched
    (call $check (call $poll (i32.const 0)) (i32.const 28) (i32.const 70))
    (call $check (i32.load (i32.const 128)) (i32.const 77) (i32.const 71))
    (call $check (call $poll (i32.const 4097)) (i32.const 28) (i32.const 72))
    (call $check (i32.load (i32.const 128)) (i32.const 77) (i32.const 73))
    ;; an unknown clock id (4) and an unknown tag (3): inval
    (call $clock_sub (i32.const 0) (i64.const 80) (i64.const 1) (i32.const 4) (i64.const 0) (i64.const 0) (i32.const 0))
    (call $check (call $poll (i32.const 1)) (i32.const 28) (i32.const 80))
    (call $fd_sub (i32.const 0) (i64.const 81) (i32.const 3) (i32.const 1))
    (call $check (call $poll (i32.const 1)) (i32.const 28) (i32.const 81))
  )
)
