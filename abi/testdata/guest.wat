;; guest.wat: the smallest Canonical ABI guest the abi tests need: a
;; "memory" export and a bump-allocating "cabi_realloc" whose behaviour the
;; test picks through the exported mutable global "mode".
;;
;; Build (Debian wabt): wat2wasm abi/testdata/guest.wat -o abi/testdata/guest.wasm
(module
  (memory (export "memory") 1)

  ;; 0: bump allocator (grows memory as needed)
  ;; 1: returns a pointer one byte past the aligned one (misaligned)
  ;; 2: returns a pointer whose allocation ends one byte past memory (out of bounds)
  ;; 3: traps (unreachable)
  ;; 4: grows memory by one page on every call, then bumps
  (global $mode (export "mode") (mut i32) (i32.const 0))
  (global $bump (export "bump") (mut i32) (i32.const 4096))
  (global $calls (export "calls") (mut i32) (i32.const 0))
  ;; the arguments of the last call
  (global $old (export "last_old") (mut i32) (i32.const 0))
  (global $oldsize (export "last_old_size") (mut i32) (i32.const 0))
  (global $align (export "last_align") (mut i32) (i32.const 0))
  (global $size (export "last_size") (mut i32) (i32.const 0))

  (func (export "cabi_realloc") (param $o i32) (param $os i32) (param $a i32) (param $n i32) (result i32)
    (local $p i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (global.set $old (local.get $o))
    (global.set $oldsize (local.get $os))
    (global.set $align (local.get $a))
    (global.set $size (local.get $n))
    ;; p = (bump + a - 1) & -a
    (local.set $p
      (i32.and
        (i32.add (global.get $bump) (i32.sub (local.get $a) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $a))))
    (if (i32.eq (global.get $mode) (i32.const 1))
      (then (return (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.eq (global.get $mode) (i32.const 2))
      (then (return
        (i32.add
          (i32.sub (i32.mul (memory.size) (i32.const 65536)) (local.get $n))
          (i32.const 1)))))
    (if (i32.eq (global.get $mode) (i32.const 3))
      (then unreachable))
    (if (i32.eq (global.get $mode) (i32.const 4))
      (then (drop (memory.grow (i32.const 1)))))
    ;; grow until [p, p+n) fits (64-bit arithmetic: no wrap-around)
    (block $done
      (loop $grow
        (br_if $done
          (i64.le_u
            (i64.add (i64.extend_i32_u (local.get $p)) (i64.extend_i32_u (local.get $n)))
            (i64.mul (i64.extend_i32_u (memory.size)) (i64.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
          (then unreachable))
        (br $grow)))
    (global.set $bump (i32.add (local.get $p) (local.get $n)))
    (local.get $p))
)
