;; preinit.wat — a module the host pre-initialises (WorkerConfig.Init):
;; _initialize sets the private global $counter to 1; the init function
;; "init" reads its standard input into memory at 2048 and adds 10; the
;; check function "check" returns 0 only if both ran. Each request adds 1
;; and answers the bytes read plus the counter as one digit, so a test sees
;; that every instance starts from the snapshot (memory and globals), not
;; from a fresh start. POST traps, so that a test can force a new instance.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "bindery:http/types@0.1.0" "[method]response-outparam.send-full"
    (func $send_full (param i32 i32 i32 i32 i32 i32 i32)))
  (import "bindery:http/types@0.1.0" "[resource-drop]response-outparam"
    (func $drop_outparam (param i32)))
  (import "bindery:io/streams@0.1.0" "[resource-drop]input-stream"
    (func $drop_input (param i32)))

  (memory (export "memory") 1)
  (global $counter (mut i32) (i32.const 0))
  ;; 3000: iovec {2048, 64}; 3008: nread; 3072: send-full's return area
  (data (i32.const 3000) "\00\08\00\00\40\00\00\00")
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

  (func (export "_initialize")
    (global.set $counter (i32.const 1)))

  (func (export "init")
    (if (call $fd_read (i32.const 0) (i32.const 3000) (i32.const 1) (i32.const 3008))
      (then unreachable))
    (global.set $counter (i32.add (global.get $counter) (i32.const 10))))

  (func (export "check") (result i32)
    (i32.ne (global.get $counter) (i32.const 11)))

  (func $handle (export "bindery:http/handler@0.1.0#handle")
    (param $method_ptr i32) (param $method_len i32)
    (param $url_ptr i32) (param $url_len i32)
    (param $headers_ptr i32) (param $headers_len i32)
    (param $body i32) (param $out i32)
    (local $n i32)
    ;; POST traps: the instance is discarded, the next one starts afresh
    (if (i32.eq (local.get $method_len) (i32.const 4)) (then unreachable))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (local.set $n (i32.load (i32.const 3008)))
    ;; the counter's last digit after the bytes read
    (i32.store8 (i32.add (i32.const 2048) (local.get $n))
      (i32.add (i32.const 48) (i32.rem_u (global.get $counter) (i32.const 10))))
    (call $send_full (local.get $out) (i32.const 200)
                     (i32.const 0) (i32.const 0)
                     (i32.const 2048) (i32.add (local.get $n) (i32.const 1))
                     (i32.const 3072))
    (call $drop_input (local.get $body))
    (call $drop_outparam (local.get $out)))
)
