;; initloop.wat — _initialize spins forever. NewWorker must give up when its
;; context ends (a deadline, or Ctrl-C while bindery dev starts) and say
;; that it was stopped, not show the stop's trap.
(module
  (memory (export "memory") 1)
  (func (export "_initialize")
    (loop $forever
      (br $forever)))
  (func $handle (export "bindery:http/handler@0.1.0#handle")
    (param i32 i32 i32 i32 i32 i32 i32 i32))
)
