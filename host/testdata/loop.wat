;; loop.wat — the handler spins forever. The host must stop it at its CPU /
;; wall-clock limit (e.g. context cancellation with wazero's
;; WithCloseOnContextDone) and answer an error for the request. Each pass
;; adds 1 to the i32 at address 3072, so a test can see that the guest
;; entered its loop and is still spinning.
(module
  (memory (export "memory") 1)
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
    (param i32 i32 i32 i32 i32 i32 i32 i32)
    (loop $forever
      (i32.store (i32.const 3072) (i32.add (i32.load (i32.const 3072)) (i32.const 1)))
      (br $forever)))
)
