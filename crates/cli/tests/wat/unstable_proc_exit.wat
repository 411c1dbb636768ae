;; wasi_unstable `proc_exit`: exits with status 42 at once; the code after it never runs (it
;; would trap, giving status 134). Fixture: none; the test asserts the exit status 42 directly.
(module
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func (export "_start")
    (call $proc_exit (i32.const 42))
    unreachable)
)
