;; norealloc.wat: a guest with memory but no cabi_realloc.
;;
;; Build (Debian wabt): wat2wasm abi/testdata/norealloc.wat -o abi/testdata/norealloc.wasm
(module
  (memory (export "memory") 1))
