;; sleep.wat — the handler sleeps for ten minutes with WASI poll_oneoff
;; and a relative monotonic clock subscription (what Go's time.Sleep and an
;; idle Go scheduler do), then answers 200 "slept". The host must end the
;; sleep at the request's deadline, or when the client goes away, and
;; discard the instance.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "bindery:http/types@0.1.0" "[method]response-outparam.send-full"
    (func $send_full (param i32 i32 i32 i32 i32 i32 i32)))
  (import "bindery:http/types@0.1.0" "[resource-drop]response-outparam"
    (func $drop_outparam (param i32)))
  (import "bindery:io/streams@0.1.0" "[resource-drop]input-stream"
    (func $drop_input (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 1024) "slept")                 ;; 5 bytes
  ;; 3000: one subscription (48 bytes): userdata 0, tag 0 (clock), clock id
  ;; 1 (monotonic) at +16, timeout 600e9 ns at +24, precision 0, flags 0.
  (data (i32.const 3016) "\01\00\00\00")
  (data (i32.const 3024) "\00\70\c9\b2\8b\00\00\00")
  ;; 3072: the event (32 bytes); 3104: nevents; 2048: send-full's return area
  ;; ---- bump allocator (same in every fixture) -----------------------------
  ;; The heap starts at 4096; addresses below it hold data segments and
  ;; scratch space for return areas. Memory is never freed.
  (global $heap (mut i32) (i32.const 4096))

  ;; cabi_realloc(old_ptr, old_size, align, new_size) -> ptr
  ;; Aligns the bump pointer up to `align`, grows memory when needed (traps if
  ;; it cannot), and copies min(old_size, new_size) bytes when reallocating.
  (func $cabi_realloc (export "cabi_realloc")
    (param $old_ptr i32) (param $old_size i32) (param $align i32) (param $new_size i32)
    (result i32)
    (local $ptr i32) (local $end i32) (local $have i32) (local $i i32) (local $n i32)
    ;; ptr = (heap + align - 1) & -align
    (local.set $ptr
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $new_size)))
    ;; grow by ceil((end - have) / 64 KiB) pages when end is past the memory
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow
                (i32.shr_u
                  (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                  (i32.const 16)))
              (i32.const -1))
          (then unreachable))))
    (global.set $heap (local.get $end))
    ;; realloc: copy the old bytes (byte loop, so no bulk-memory needed)
    (local.set $n (select (local.get $old_size) (local.get $new_size)
                          (i32.lt_u (local.get $old_size) (local.get $new_size))))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $ptr) (local.get $i))
                    (i32.load8_u (i32.add (local.get $old_ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (local.get $ptr))
  ;; -------------------------------------------------------------------------

  (func $handle (export "bindery:http/handler@0.1.0#handle")
    (param $method_ptr i32) (param $method_len i32)
    (param $url_ptr i32) (param $url_len i32)
    (param $headers_ptr i32) (param $headers_len i32)
    (param $body i32) (param $out i32)
    (if (call $poll_oneoff (i32.const 3000) (i32.const 3072) (i32.const 1) (i32.const 3104))
      (then unreachable))
    (call $send_full (local.get $out) (i32.const 200)
                     (i32.const 0) (i32.const 0)
                     (i32.const 1024) (i32.const 5)
                     (i32.const 2048))
    (call $drop_input (local.get $body))
    (call $drop_outparam (local.get $out)))
)
