;; norealloc.wat — exports the handler but no cabi_realloc, so the host
;; could never pass it a request: NewWorker must refuse it.
(module
  (memory (export "memory") 1)
  (func $handle (export "bindery:http/handler@0.1.0#handle")
    (param $method_ptr i32) (param $method_len i32)
    (param $url_ptr i32) (param $url_len i32)
    (param $headers_ptr i32) (param $headers_len i32)
    (param $body i32) (param $out i32)
    unreachable)
)
