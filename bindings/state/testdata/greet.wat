;; greet.wat — a Worker written by hand (no SDK) that answers with the
;; value of the key "greeting" of its KV binding STORE, or 404 "no
;; greeting" when the key is missing. Built with build.sh (wat2wasm).
(module
  (import "bindery:kv/store@0.1.0" "[static]namespace.open"
    (func $ns_open (param i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.get"
    (func $ns_get (param i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[resource-drop]namespace"
    (func $drop_ns (param i32)))
  (import "bindery:http/types@0.1.0" "[method]response-outparam.send-full"
    (func $send_full (param i32 i32 i32 i32 i32 i32 i32)))
  (import "bindery:http/types@0.1.0" "[resource-drop]response-outparam"
    (func $drop_outparam (param i32)))
  (import "bindery:io/streams@0.1.0" "[resource-drop]input-stream"
    (func $drop_input (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 1024) "STORE")         ;; 5 bytes
  (data (i32.const 1040) "greeting")      ;; 8 bytes
  (data (i32.const 1056) "no greeting")   ;; 11 bytes
  ;; 2048: return area of namespace.open: result<namespace, error>
  ;; 2064: return area of namespace.get: result<option<list<u8>>, error>
  ;; 2096: return area of send-full: result<_, error>

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

  ;; handle(method, url, headers, body: input-stream, out: response-outparam)
  (func $handle (export "bindery:http/handler@0.1.0#handle")
    (param $method_ptr i32) (param $method_len i32)
    (param $url_ptr i32) (param $url_len i32)
    (param $headers_ptr i32) (param $headers_len i32)
    (param $body i32) (param $out i32)
    (local $ns i32)
    ;; ns = namespace.open("STORE"); trap on error
    (call $ns_open (i32.const 1024) (i32.const 5) (i32.const 2048))
    (if (i32.load8_u (i32.const 2048)) (then unreachable))
    (local.set $ns (i32.load (i32.const 2052)))
    ;; ns.get("greeting"); trap on error
    (call $ns_get (local.get $ns) (i32.const 1040) (i32.const 8) (i32.const 2064))
    (if (i32.load8_u (i32.const 2064)) (then unreachable))
    (if (i32.load8_u (i32.const 2068))
      (then ;; some(value): 200 with the value
        (call $send_full (local.get $out) (i32.const 200) (i32.const 0) (i32.const 0)
                         (i32.load (i32.const 2072)) (i32.load (i32.const 2076))
                         (i32.const 2096)))
      (else ;; none: 404 "no greeting"
        (call $send_full (local.get $out) (i32.const 404) (i32.const 0) (i32.const 0)
                         (i32.const 1056) (i32.const 11) (i32.const 2096))))
    (if (i32.load8_u (i32.const 2096)) (then unreachable))
    (call $drop_ns (local.get $ns))
    (call $drop_input (local.get $body))
    (call $drop_outparam (local.get $out)))

  (func (export "cabi_post_bindery:http/handler@0.1.0#handle"))
)
