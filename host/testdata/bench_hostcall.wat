;; bench_hostcall.wat — benchmark fixture (host/bench_test.go), not a test of
;; bad input. The handler reads N = the trailing decimal digits of the request
;; URL (".../calls/1000" -> 1000; none -> 0), calls the host function
;; bindery:config/vars@0.1.0 `get` N times on the name "BENCH_VAR", then
;; answers 200 "ok" via send-full. Whether `get` finds the name is up to the
;; Worker's vars binding: absent = the cheapest host call (lift one string,
;; one map lookup, store one byte); present = the host also lowers the value,
;; which calls back into this module's cabi_realloc.
;; The bump heap is reset to its base once the URL is parsed (the request's
;; lowered method/URL/headers are dead by then) and after every call, so a
;; pooled instance's memory stays bounded however many requests it serves.
(module
  (import "bindery:config/vars@0.1.0" "get"
    (func $get (param i32 i32 i32)))
  (import "bindery:http/types@0.1.0" "[method]response-outparam.send-full"
    (func $send_full (param i32 i32 i32 i32 i32 i32 i32)))
  (import "bindery:http/types@0.1.0" "[resource-drop]response-outparam"
    (func $drop_outparam (param i32)))
  (import "bindery:io/streams@0.1.0" "[resource-drop]input-stream"
    (func $drop_input (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 1024) "BENCH_VAR")   ;; 9 bytes: the variable looked up
  (data (i32.const 1040) "ok")          ;; 2 bytes: the response body
  ;; 2048: return area (8 bytes) for send-full's result<_, error>
  ;; 2064: return area (16 bytes) for get's option<value>
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
    (local $p i32) (local $end i32) (local $d i32) (local $n i32) (local $i i32)
    ;; n = value of the trailing decimal digits of the URL (a non-digit resets it)
    (local.set $p (local.get $url_ptr))
    (local.set $end (i32.add (local.get $url_ptr) (local.get $url_len)))
    (block $parsed
      (loop $next
        (br_if $parsed (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $d (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (if (i32.lt_u (local.get $d) (i32.const 10))
          (then (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (local.get $d))))
          (else (local.set $n (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    ;; the lowered request arguments are no longer needed
    (global.set $heap (i32.const 4096))
    ;; n x get("BENCH_VAR", retptr = 2064)
    (block $done
      (loop $call
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $get (i32.const 1024) (i32.const 9) (i32.const 2064))
        (global.set $heap (i32.const 4096))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $call)))
    ;; send-full(out, 200, headers = [], body = (1040, 2), retptr = 2048)
    (call $send_full (local.get $out) (i32.const 200)
                     (i32.const 0) (i32.const 0)
                     (i32.const 1040) (i32.const 2)
                     (i32.const 2048))
    (if (i32.load8_u (i32.const 2048)) (then unreachable))
    (call $drop_input (local.get $body))
    (call $drop_outparam (local.get $out)))
)
