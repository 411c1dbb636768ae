;; wasi_snapshot_preview1 from a module that exports no memory (it has one, but does not export
;; it as `memory`): the host sees no guest memory, so every pointer is out of bounds. fd_write
;; and args_sizes_get are fault (21) and write nothing; an unknown fd is still badf (8) first;
;; calls without pointers work as usual: fd_close(99) is badf, closing stderr succeeds once.
;; Fixture: none; the test then expects empty stdout.
;; Each failed check exits with its id; success exits 0.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory 1)
  (data (i32.const 16) "not visible\n")

  (func $check (param $got i32) (param $want i32) (param $id i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $proc_exit (local.get $id)))))

  (func (export "_start")
    ;; a valid iovec in the guest's own memory: the host cannot see it
    (i32.store (i32.const 256) (i32.const 16))
    (i32.store (i32.const 260) (i32.const 12))
    (call $check (call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 21) (i32.const 1))
    (call $check (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)) (i32.const 21) (i32.const 2))
    (call $check (call $args_sizes_get (i32.const 128) (i32.const 132)) (i32.const 21) (i32.const 3))
    (call $check (call $args_sizes_get (i32.const 0) (i32.const 4)) (i32.const 21) (i32.const 4))
    ;; descriptors are checked before memory: badf
    (call $check (call $fd_write (i32.const 99) (i32.const 256) (i32.const 1) (i32.const 128)) (i32.const 8) (i32.const 5))
    ;; no pointers
    (call $check (call $fd_close (i32.const 99)) (i32.const 8) (i32.const 6))
    (call $check (call $fd_fdstat_set_flags (i32.const 99) (i32.const 0)) (i32.const 8) (i32.const 7))
    (call $check (call $fd_close (i32.const 2)) (i32.const 0) (i32.const 8))
    (call $check (call $fd_close (i32.const 2)) (i32.const 8) (i32.const 9))
  )
)
