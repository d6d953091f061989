;; guest.wat — a Guest of no particular world (GuestConfig, Guest.Call):
;; plain exports an embedder calls, WASI preview 1 calls whose answers
;; depend on the guest's WASIConfig, and imports of a test interface
;; (test:guest/host@0.1.0) for quotas and Close. It has no cabi_realloc,
;; which a Guest may lack: a host call that lowers a string into it traps.
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "test:guest/host@0.1.0" "ping" (func $ping (param i32 i32)))
  (import "test:guest/host@0.1.0" "greet" (func $greet (param i32)))
  (import "test:guest/host@0.1.0" "wait" (func $wait))

  (memory (export "memory") 1)
  ;; 0..63: scratch for results; 64..127: a poll subscription and event;
  ;; 256: "hello from the guest\n"; 1024..2047: a read buffer; 2048..: input
  (data (i32.const 256) "hello from the guest\n") ;; 21 bytes

  ;; add(a, b) -> a + b: a typed export.
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))

  ;; spin() never returns.
  (func (export "spin")
    (loop $forever (br $forever)))

  ;; bomb() grows memory 16 pages at a time until it cannot, then traps.
  (func (export "bomb")
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable)

  ;; trap() traps.
  (func (export "trap") unreachable)

  ;; now() and mono(): the wall and monotonic clocks, in ns.
  (func (export "now") (result i64)
    (drop (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 0)))
    (i64.load (i32.const 0)))
  (func (export "mono") (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0)))
    (i64.load (i32.const 0)))

  ;; rand() -> 8 random bytes.
  (func (export "rand") (result i64)
    (drop (call $random_get (i32.const 0) (i32.const 8)))
    (i64.load (i32.const 0)))

  ;; envc() and argc(): how many environment variables and arguments.
  (func (export "envc") (result i32)
    (drop (call $environ_sizes_get (i32.const 0) (i32.const 4)))
    (i32.load (i32.const 0)))
  (func (export "argc") (result i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (i32.load (i32.const 0)))

  ;; read(path, len) opens the path relative to the first preopened
  ;; directory (fd 3) and reads up to 1 KiB of it to 1024: the bytes read,
  ;; or -errno.
  (func (export "read") (param $path i32) (param $len i32) (result i32)
    (local $errno i32)
    (local.set $errno
      (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len)
        (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 16)))
    (if (local.get $errno) (then (return (i32.sub (i32.const 0) (local.get $errno)))))
    ;; iovec at 32: { buf 1024, len 1024 }
    (i32.store (i32.const 32) (i32.const 1024))
    (i32.store (i32.const 36) (i32.const 1024))
    (local.set $errno
      (call $fd_read (i32.load (i32.const 16)) (i32.const 32) (i32.const 1) (i32.const 24)))
    (if (local.get $errno) (then (return (i32.sub (i32.const 0) (local.get $errno)))))
    (i32.load (i32.const 24)))

  ;; sleep(ns) sleeps in poll_oneoff on a relative monotonic clock.
  (func (export "sleep") (param $ns i64) (result i32)
    (i64.store (i32.const 64) (i64.const 0))   ;; userdata
    (i32.store8 (i32.const 72) (i32.const 0))  ;; tag: clock
    (i32.store (i32.const 80) (i32.const 1))   ;; id: monotonic
    (i64.store (i32.const 88) (local.get $ns)) ;; timeout
    (i64.store (i32.const 96) (i64.const 0))   ;; precision
    (i32.store16 (i32.const 104) (i32.const 0)) ;; flags: relative
    (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 8)))

  ;; say() writes a line to stdout.
  (func (export "say")
    (i32.store (i32.const 32) (i32.const 256))
    (i32.store (i32.const 36) (i32.const 21))
    (drop (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 24))))

  ;; ping(n, len) calls the host's ping n times with len bytes at 2048.
  (func (export "ping") (param $n i32) (param $len i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (call $ping (i32.const 2048) (local.get $len))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again))))

  ;; greet() asks the host for a string (lowered through cabi_realloc).
  (func (export "greet")
    (call $greet (i32.const 0)))

  ;; wait() waits in the host until the test lets it go.
  (func (export "wait")
    (call $wait))
)
