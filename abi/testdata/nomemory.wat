;; nomemory.wat: a guest that exports no memory.
;;
;; Build (Debian wabt): wat2wasm abi/testdata/nomemory.wat -o abi/testdata/nomemory.wasm
(module
  (func (export "f")))
