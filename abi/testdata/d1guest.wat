;; d1guest.wat: a guest that forwards its arguments, unchanged, to the host
;; functions of bindery:d1/database@0.1.0, so that a fuzz test can call the
;; generated host glue (bindings/d1/d1wit) with arbitrary core values.
;; Each export has the signature of the import it forwards to.
;;
;; Build (Debian wabt): wat2wasm abi/testdata/d1guest.wat -o abi/testdata/d1guest.wasm
(module
  (import "bindery:d1/database@0.1.0" "[static]database.open"
    (func $open (param i32 i32 i32)))
  (import "bindery:d1/database@0.1.0" "[method]database.query"
    (func $query (param i32 i32 i32 i32 i32 i32)))
  (import "bindery:d1/database@0.1.0" "[method]database.batch"
    (func $batch (param i32 i32 i32 i32)))
  (import "bindery:d1/database@0.1.0" "[method]database.exec"
    (func $exec (param i32 i32 i32 i32)))
  (import "bindery:d1/database@0.1.0" "[method]database.with-session"
    (func $with-session (param i32 i32 i32 i32 i32)))
  (import "bindery:d1/database@0.1.0" "[method]session.query"
    (func $session-query (param i32 i32 i32 i32 i32 i32)))
  (import "bindery:d1/database@0.1.0" "[method]session.batch"
    (func $session-batch (param i32 i32 i32 i32)))
  (import "bindery:d1/database@0.1.0" "[method]session.bookmark"
    (func $bookmark (param i32 i32)))
  (import "bindery:d1/database@0.1.0" "[resource-drop]database"
    (func $drop (param i32)))
  (import "bindery:d1/database@0.1.0" "[resource-drop]session"
    (func $session-drop (param i32)))

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
  (func (export "query") (param i32 i32 i32 i32 i32 i32)
    (call $query (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "batch") (param i32 i32 i32 i32)
    (call $batch (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "exec") (param i32 i32 i32 i32)
    (call $exec (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "with-session") (param i32 i32 i32 i32 i32)
    (call $with-session (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "session-query") (param i32 i32 i32 i32 i32 i32)
    (call $session-query (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "session-batch") (param i32 i32 i32 i32)
    (call $session-batch (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "bookmark") (param i32 i32)
    (call $bookmark (local.get 0) (local.get 1)))
  (func (export "drop") (param i32)
    (call $drop (local.get 0)))
  (func (export "session-drop") (param i32)
    (call $session-drop (local.get 0)))
)
