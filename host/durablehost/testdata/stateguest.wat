;; stateguest.wat: a guest that forwards its arguments, unchanged, to host
;; functions of bindery:durable/state@0.1.0, so that FuzzStateHost can
;; call the generated host glue (host/internal/durablewit) with arbitrary
;; core values. Each export has the signature of the import it forwards to.
;;
;; Build (Debian wabt): wat2wasm host/durablehost/testdata/stateguest.wat -o host/durablehost/testdata/stateguest.wasm
(module
  (import "bindery:durable/state@0.1.0" "get"
    (func $get (param i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "put"
    (func $put (param i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "delete"
    (func $delete (param i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "list"
    (func $list (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "sql-exec"
    (func $sql-exec (param i32 i32 i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "set-web-socket-auto-response"
    (func $set-auto-response (param i32 i32 i32 i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "get-web-sockets"
    (func $get-web-sockets (param i32 i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "accept-web-socket"
    (func $accept-web-socket (param i32 i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "abort"
    (func $abort (param i32 i32)))
  (import "bindery:durable/state@0.1.0" "[method]cursor.next"
    (func $cursor-next (param i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "[method]cursor.column-names"
    (func $cursor-columns (param i32 i32)))
  (import "bindery:durable/state@0.1.0" "[method]web-socket.send"
    (func $ws-send (param i32 i32 i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "[method]web-socket.close"
    (func $ws-close (param i32 i32 i32 i32 i32 i32)))
  (import "bindery:durable/state@0.1.0" "[method]transaction.commit"
    (func $tx-commit (param i32 i32)))
  (import "bindery:durable/state@0.1.0" "[resource-drop]cursor"
    (func $cursor-drop (param i32)))

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

  (func (export "get") (param i32 i32 i32)
    (call $get (local.get 0) (local.get 1) (local.get 2)))
  (func (export "put") (param i32 i32 i32)
    (call $put (local.get 0) (local.get 1) (local.get 2)))
  (func (export "delete") (param i32 i32 i32)
    (call $delete (local.get 0) (local.get 1) (local.get 2)))
  (func (export "list") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (call $list (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 8) (local.get 9) (local.get 10) (local.get 11) (local.get 12) (local.get 13) (local.get 14) (local.get 15)))
  (func (export "sql-exec") (param i32 i32 i32 i32 i32)
    (call $sql-exec (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "set-auto-response") (param i32 i32 i32 i32 i32 i32)
    (call $set-auto-response (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "get-web-sockets") (param i32 i32 i32 i32)
    (call $get-web-sockets (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "accept-web-socket") (param i32 i32 i32 i32)
    (call $accept-web-socket (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "abort") (param i32 i32)
    (call $abort (local.get 0) (local.get 1)))
  (func (export "cursor-next") (param i32 i32 i32)
    (call $cursor-next (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cursor-columns") (param i32 i32)
    (call $cursor-columns (local.get 0) (local.get 1)))
  (func (export "ws-send") (param i32 i32 i32 i32 i32)
    (call $ws-send (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "ws-close") (param i32 i32 i32 i32 i32 i32)
    (call $ws-close (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "tx-commit") (param i32 i32)
    (call $tx-commit (local.get 0) (local.get 1)))
  (func (export "cursor-drop") (param i32)
    (call $cursor-drop (local.get 0)))
)
