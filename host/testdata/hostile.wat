;; hostile.wat — a Guest (no world) that attacks its host through the
;; Canonical ABI and WASI; host/hostile_test.go (TestHostileGuests) runs
;; each attack and checks that it ends with a typed error for that call
;; while the host goes on serving.
;;
;; Imports bindery:kv/store (granted a memory-backed namespace "CACHE"),
;; the suite's test interface test:hostile/host@0.1.0 (thing() -> a handle
;; of another resource type; count(), a host call that counts), WASI
;; preview 1's sockets and WASI 0.2's sockets and preopens.
;;
;; cabi_realloc is a bump allocator (heap from 4096, grows memory, traps
;; when it cannot) that misbehaves as the global $mode says:
;;   0 well-behaved   1 returns 0xFFFFFFF0 (out of bounds)
;;   2 returns an odd address (misaligned)   3 traps
;;   4 calls the host (count) before allocating: re-entry
;;   5 loops forever
;; Layout: 0..63 scratch; 256 "CACHE"; 264 "k"; 268 "big"; 272 ff fe fd
;; (invalid UTF-8); 1024 the return area; 16384..49151 zeroes (a long
;; valid string for overlapping lists).
(module
  (import "bindery:kv/store@0.1.0" "[static]namespace.open"
    (func $open (param i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.get"
    (func $get (param i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[method]namespace.get-many"
    (func $get_many (param i32 i32 i32 i32)))
  (import "bindery:kv/store@0.1.0" "[resource-drop]namespace"
    (func $drop (param i32)))
  (import "test:hostile/host@0.1.0" "thing" (func $thing (result i32)))
  (import "test:hostile/host@0.1.0" "count" (func $count))
  (import "wasi_snapshot_preview1" "sock_accept"
    (func $sock_accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv"
    (func $sock_recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send"
    (func $sock_send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown"
    (func $sock_shutdown (param i32 i32) (result i32)))
  (import "wasi:sockets/tcp-create-socket@0.2.0" "create-tcp-socket"
    (func $create_tcp_socket (param i32 i32)))
  (import "wasi:filesystem/preopens@0.2.0" "get-directories"
    (func $get_directories (param i32)))

  (memory (export "memory") 1)
  (data (i32.const 256) "CACHE")
  (data (i32.const 264) "k")
  (data (i32.const 268) "big")
  (data (i32.const 272) "\ff\fe\fd")

  (global $heap (mut i32) (i32.const 4096))
  (global $mode (mut i32) (i32.const 0))

  ;; alloc(align, size): the bump allocator.
  (func $alloc (param $align i32) (param $size i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
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
    (local.get $p))

  (func (export "cabi_realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
    (if (i32.eq (global.get $mode) (i32.const 1)) (then (return (i32.const 0xFFFFFFF0))))
    (if (i32.eq (global.get $mode) (i32.const 2))
      (then (return (i32.or (call $alloc (i32.const 8) (i32.add (local.get $size) (i32.const 8))) (i32.const 1)))))
    (if (i32.eq (global.get $mode) (i32.const 3)) (then unreachable))
    (if (i32.eq (global.get $mode) (i32.const 4)) (then (call $count)))
    (if (i32.eq (global.get $mode) (i32.const 5)) (then (loop $forever (br $forever))))
    (call $alloc (local.get $align) (local.get $size)))

  ;; add(a, b) -> a + b: the good call after every attack.
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))

  ;; recurse(n) never stops calling itself: the stack runs out.
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))

  ;; open() -> the handle of namespace "CACHE" (traps if open fails).
  (func $open_cache (export "open") (result i32)
    (call $open (i32.const 256) (i32.const 5) (i32.const 1024))
    (if (i32.load8_u (i32.const 1024)) (then unreachable))
    (i32.load (i32.const 1028)))

  ;; open_raw(name ptr, name len, retptr) -> the result's tag.
  (func (export "open_raw") (param i32 i32 i32) (result i32)
    (call $open (local.get 0) (local.get 1) (local.get 2))
    (i32.load8_u (local.get 2)))

  ;; get_raw(handle, key ptr, key len, retptr) -> the result's tag.
  (func $get_raw (export "get_raw") (param i32 i32 i32 i32) (result i32)
    (call $get (local.get 0) (local.get 1) (local.get 2) (local.get 3))
    (i32.load8_u (local.get 3)))

  ;; get(mode, key ptr, key len) -> the value's length, or -1 if none: a
  ;; namespace.get (the host lowers the value through cabi_realloc) with
  ;; cabi_realloc in the given mode.
  (func (export "get") (param $mode i32) (param $k i32) (param $n i32) (result i32)
    (local $h i32)
    (local.set $h (call $open_cache))
    (global.set $mode (local.get $mode))
    (call $get (local.get $h) (local.get $k) (local.get $n) (i32.const 1024))
    (global.set $mode (i32.const 0))
    (call $drop (local.get $h))
    (if (i32.load8_u (i32.const 1024)) (then unreachable))
    (if (i32.eqz (i32.load8_u (i32.const 1028))) (then (return (i32.const -1))))
    (i32.load (i32.const 1036)))

  ;; get_many(mode, n, key ptr, key len) -> the result's tag: a
  ;; namespace.get-many of n keys that all point at the same bytes, with
  ;; cabi_realloc in the given mode.
  (func (export "get_many") (param $mode i32) (param $n i32) (param $k i32) (param $len i32) (result i32)
    (local $h i32) (local $list i32) (local $i i32)
    (local.set $h (call $open_cache))
    (local.set $list (call $alloc (i32.const 4) (i32.mul (local.get $n) (i32.const 8))))
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.add (local.get $list) (i32.mul (local.get $i) (i32.const 8))) (local.get $k))
        (i32.store (i32.add (local.get $list) (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4))) (local.get $len))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (global.set $mode (local.get $mode))
    (call $get_many (local.get $h) (local.get $list) (local.get $n) (i32.const 1024))
    (global.set $mode (i32.const 0))
    (call $drop (local.get $h))
    (i32.load8_u (i32.const 1024)))

  ;; get_many_raw(list ptr, n) -> the result's tag.
  (func (export "get_many_raw") (param i32 i32) (result i32)
    (call $get_many (call $open_cache) (local.get 0) (local.get 1) (i32.const 1024))
    (i32.load8_u (i32.const 1024)))

  ;; overlap() -> the value's length, or -1: a get of "k" (copied to the
  ;; return area) whose return area is the key itself.
  (func (export "overlap") (result i32)
    (local $h i32)
    (local.set $h (call $open_cache))
    (i32.store8 (i32.const 1024) (i32.const 0x6b)) ;; "k"
    (if (call $get_raw (local.get $h) (i32.const 1024) (i32.const 1) (i32.const 1024))
      (then unreachable))
    (if (i32.eqz (i32.load8_u (i32.const 1028))) (then (return (i32.const -1))))
    (i32.load (i32.const 1036)))

  ;; use_after_drop(): get on a namespace handle after dropping it.
  (func (export "use_after_drop") (result i32)
    (local $h i32)
    (local.set $h (call $open_cache))
    (call $drop (local.get $h))
    (call $get_raw (local.get $h) (i32.const 264) (i32.const 1) (i32.const 1024)))

  ;; double_drop(): drops a namespace handle twice.
  (func (export "double_drop")
    (local $h i32)
    (local.set $h (call $open_cache))
    (call $drop (local.get $h))
    (call $drop (local.get $h)))

  ;; drop(h): drops handle h, whatever it is.
  (func (export "drop") (param i32) (call $drop (local.get 0)))

  ;; confused(): passes a handle of another resource type (a thing) as a
  ;; namespace.
  (func (export "confused") (result i32)
    (call $get_raw (call $thing) (i32.const 264) (i32.const 1) (i32.const 1024)))

  ;; accept(fd), recv(fd), send(fd), shutdown(fd): WASI preview 1
  ;; sockets; each returns its errno.
  (func (export "accept") (param i32) (result i32)
    (call $sock_accept (local.get 0) (i32.const 0) (i32.const 0)))
  (func (export "recv") (param i32) (result i32)
    ;; iovec at 32: { 1024, 64 }
    (i32.store (i32.const 32) (i32.const 1024))
    (i32.store (i32.const 36) (i32.const 64))
    (call $sock_recv (local.get 0) (i32.const 32) (i32.const 1) (i32.const 0) (i32.const 40) (i32.const 44)))
  (func (export "send") (param i32) (result i32)
    (i32.store (i32.const 32) (i32.const 256))
    (i32.store (i32.const 36) (i32.const 5))
    (call $sock_send (local.get 0) (i32.const 32) (i32.const 1) (i32.const 0) (i32.const 40)))
  (func (export "shutdown") (param i32) (result i32)
    (call $sock_shutdown (local.get 0) (i32.const 2)))

  ;; tcp() -> WASI 0.2 create-tcp-socket(ipv4)'s result: 0 if it gave a
  ;; socket, else 256 + the error code.
  (func (export "tcp") (result i32)
    (call $create_tcp_socket (i32.const 0) (i32.const 1024))
    (if (i32.eqz (i32.load8_u (i32.const 1024))) (then (return (i32.const 0))))
    (i32.add (i32.const 256) (i32.load8_u (i32.const 1028))))

  ;; dirs() -> how many directories WASI 0.2's get-directories preopens.
  (func (export "dirs") (result i32)
    (call $get_directories (i32.const 1024))
    (i32.load (i32.const 1028))))
