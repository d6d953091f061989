;; kvguest.wat: a guest that forwards its arguments, unchanged, to the host
;; functions of bindery:kv/store@0.1.0, so that a fuzz test can call the
;; generated host glue (bindings/kv/kvwit) with arbitrary core values.
;; Each export has the signature of the import it forwards to.
;;
;; Build (Debian wabt): wat2wasm abi/testdata/kvguest.wat -o abi/testdata/kvguest.wasm
(module
  (import "bindery:kv/store@0.1.0" "[static]namespace.open"
    (func $open (param i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.get"
    (func $get (param i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.get-with-metadata"
    (func $get_meta (param i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.get-many"
    (func $get_many (param i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.put"
    (func $put (param i32 i32 i32 i32 i32 i32 i64 i32 i64 i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.delete"
    (func $delete (param i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.list-keys"
    (func $list (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[resource-drop]namespace"
    (func $drop (param i32)))

  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 32768))

  ;; A bump allocator that grows memory as needed.
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

  (func (export "open") (param i32 i32 i32)
    (call $open (local.get 0) (local.get 1) (local.get 2)))
  (func (export "get") (param i32 i32 i32 i32)
    (call $get (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "get-with-metadata") (param i32 i32 i32 i32)
    (call $get_meta (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "get-many") (param i32 i32 i32 i32)
    (call $get_many (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "put") (param i32 i32 i32 i32 i32 i32 i64 i32 i64 i32 i32 i32 i32)
    (call $put (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
      (local.get 5) (local.get 6) (local.get 7) (local.get 8) (local.get 9)
      (local.get 10) (local.get 11) (local.get 12)))
  (func (export "delete") (param i32 i32 i32 i32)
    (call $delete (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "list-keys") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $list (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
      (local.get 5) (local.get 6) (local.get 7) (local.get 8) (local.get 9)))
  (func (export "drop") (param i32)
    (call $drop (local.get 0)))
)
