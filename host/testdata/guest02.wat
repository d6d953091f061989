;; guest02.wat — a Guest that asks WASI 0.2 (not preview 1) for the wall
;; clock, randomness and its environment: what it gets is its WASIConfig,
;; as from preview 1.
(module
  (import "wasi:clocks/wall-clock@0.2.0" "now" (func $now (param i32)))
  (import "wasi:random/random@0.2.0" "get-random-u64" (func $u64 (result i64)))
  (import "wasi:cli/environment@0.2.0" "get-environment" (func $env (param i32)))
  (import "wasi:clocks/monotonic-clock@0.2.0" "subscribe-duration" (func $after (param i64) (result i32)))
  (import "wasi:io/poll@0.2.0" "[method]pollable.block" (func $block (param i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))

  ;; cabi_realloc: a bump allocator (never frees; traps when memory is full).
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (if (i32.gt_u (global.get $heap) (i32.shl (memory.size) (i32.const 16))) (then unreachable))
    (local.get $p))

  ;; now() -> seconds of the wall clock.
  (func (export "now") (result i64)
    (call $now (i32.const 0))
    (i64.load (i32.const 0)))

  ;; rand() -> a random u64.
  (func (export "rand") (result i64) (call $u64))

  ;; envc() -> how many environment variables.
  (func (export "envc") (result i32)
    (call $env (i32.const 0))
    (i32.load (i32.const 4)))

  ;; sleep(ns) blocks on a monotonic-clock timer.
  (func (export "sleep") (param i64)
    (call $block (call $after (local.get 0))))
)
