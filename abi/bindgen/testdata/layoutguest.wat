;; layoutguest.wat: the guest of the layout tests (abi/bindgen). Each
;; export forwards its arguments, unchanged, to the import of the same name
;; in test:layout/types (testdata/layout/layout.wit), whose host side is the
;; generated testdata/layouthost. It also implements the export
;; test:layout/exports#make-mixed by returning the address in global "out",
;; where the test has written the result.
;;
;; Build (Debian wabt): wat2wasm abi/bindgen/testdata/layoutguest.wat -o abi/bindgen/testdata/layoutguest.wasm
(module
  (import "test:layout/types@0.1.0" "echo-mixed" (func $echo_mixed (param i32 i32 i32)))
  (import "test:layout/types@0.1.0" "echo-big" (func $echo_big (param i32 i32 i32)))
  (import "test:layout/types@0.1.0" "flat-small"
    (func $flat_small (param i32 i32 i32 i32 i64 i32 i64 i32 i32) (result i32)))
  (import "test:layout/types@0.1.0" "char-of" (func $char_of (param i32) (result i32)))
  (import "test:layout/types@0.1.0" "fail" (func $fail (param i32 i32)))

  ;; The test uses [0x1000, 0x20000) for its own data; cabi_realloc hands out
  ;; memory from 0x20000 up.
  (memory (export "memory") 4)
  (global $bump (export "bump") (mut i32) (i32.const 0x20000))
  (global $out (export "out") (mut i32) (i32.const 0))
  (global $posts (export "posts") (mut i32) (i32.const 0))
  (global $post_arg (export "post_arg") (mut i32) (i32.const 0))
  (global $tag_ptr (export "tag_ptr") (mut i32) (i32.const 0))
  (global $tag_len (export "tag_len") (mut i32) (i32.const 0))

  (func (export "cabi_realloc") (param $o i32) (param $os i32) (param $a i32) (param $n i32) (result i32)
    (local $p i32)
    (local.set $p
      (i32.and
        (i32.add (global.get $bump) (i32.sub (local.get $a) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $a))))
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

  (func (export "echo-mixed") (param i32 i32 i32)
    (call $echo_mixed (local.get 0) (local.get 1) (local.get 2)))
  (func (export "echo-big") (param i32 i32 i32)
    (call $echo_big (local.get 0) (local.get 1) (local.get 2)))
  (func (export "flat-small") (param i32 i32 i32 i32 i64 i32 i64 i32 i32) (result i32)
    (call $flat_small (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
      (local.get 5) (local.get 6) (local.get 7) (local.get 8)))
  (func (export "char-of") (param i32) (result i32)
    (call $char_of (local.get 0)))
  (func (export "fail") (param i32 i32)
    (call $fail (local.get 0) (local.get 1)))

  (func (export "test:layout/exports@0.1.0#make-mixed") (param $p i32) (param $n i32) (result i32)
    (global.set $tag_ptr (local.get $p))
    (global.set $tag_len (local.get $n))
    (global.get $out))
  (func (export "cabi_post_test:layout/exports@0.1.0#make-mixed") (param $r i32)
    (global.set $posts (i32.add (global.get $posts) (i32.const 1)))
    (global.set $post_arg (local.get $r)))
)
