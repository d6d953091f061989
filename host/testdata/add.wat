;; add.wat — the smallest Guest: add(a, b) -> a + b, no imports (the
;; Runtime.NewGuest example, and Guest.Call against a raw wazero call in
;; BenchmarkGuestCall).
(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
)
