;; hiddenmemory.wat: a guest with a memory that it does not export as "memory".
;;
;; Build (Debian wabt): wat2wasm abi/testdata/hiddenmemory.wat -o abi/testdata/hiddenmemory.wasm
(module
  (memory (export "mem") 1))
