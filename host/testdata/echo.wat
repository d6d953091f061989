;; echo.wat — well-behaved streaming Worker: answers 200 with the request body.
;; Sends the head with response-outparam.send, then reads the body with
;; input-stream.read(65536) until stream-error::closed, writing each chunk to
;; the output stream; dropping the output stream ends the body.
;; The heap pointer is reset after each chunk, so memory stays bounded however
;; large the body is.
(module
  (import "bindery:io/streams@0.1.0" "[method]input-stream.read"
    (func $read (param i32 i32 i32)))
  (import "bindery:io/streams@0.1.0" "[method]output-stream.write"
    (func $write (param i32 i32 i32 i32)))
  (import "bindery:io/streams@0.1.0" "[resource-drop]output-stream"
    (func $drop_output (param i32)))
  (import "bindery:io/streams@0.1.0" "[resource-drop]input-stream"
    (func $drop_input (param i32)))
  (import "bindery:http/types@0.1.0" "[method]response-outparam.send"
    (func $send (param i32 i32 i32 i32 i32)))
  (import "bindery:http/types@0.1.0" "[resource-drop]response-outparam"
    (func $drop_outparam (param i32)))

  (memory (export "memory") 1)
  ;; 2048: return area (16 bytes) for send and read
  ;; 2064: return area (8 bytes) for write
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
    (local $stream i32) (local $mark i32)
    ;; send(out, 200, headers = [], retptr) -> result<own<output-stream>, error>
    (call $send (local.get $out) (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 2048))
    (if (i32.load8_u (i32.const 2048)) (then unreachable))
    (local.set $stream (i32.load (i32.const 2052)))

    (block $end
      (loop $chunk
        (local.set $mark (global.get $heap))
        ;; read(body, 65536, retptr) -> result<list<u8>, stream-error>
        (call $read (local.get $body) (i32.const 65536) (i32.const 2048))
        (if (i32.load8_u (i32.const 2048))
          (then
            ;; err: disc at +4 is 0 for closed (end of body), 1 for failed
            (br_if $end (i32.eqz (i32.load8_u (i32.const 2052))))
            unreachable))
        ;; ok: list ptr at +4, len at +8
        (call $write (local.get $stream)
                     (i32.load (i32.const 2052)) (i32.load (i32.const 2056))
                     (i32.const 2064))
        ;; a write error means the client has gone: stop echoing
        (br_if $end (i32.load8_u (i32.const 2064)))
        ;; the chunk is written: give its memory back to the bump heap
        (global.set $heap (local.get $mark))
        (br $chunk)))

    (call $drop_output (local.get $stream))   ;; ends the response body
    (call $drop_input (local.get $body))
    (call $drop_outparam (local.get $out)))
)
