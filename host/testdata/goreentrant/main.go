//go:build wasip1

// Command goreentrant is the Go runtime's half of the re-entrancy spike
// (host/reentrancy_test.go, TestReentrantGoRuntime): a wasip1 reactor,
// without the SDK, whose export run calls the host, which calls run again
// on the same instance before it returns. Each level keeps values on its
// goroutine stack and heap across the host call, and does what stresses
// Go's runtime in the nested call: stack growth (the goroutine's stack is
// copied), garbage collection, goroutines and channels, timers, a
// recovered panic. Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
package main

import (
	"runtime"
	"sync"
	"time"
)

func main() {}

// call asks the host to run run(depth, mode) nested and returns its result.
//
//go:wasmimport spike call
func call(depth, mode uint32) uint64

// Modes: what each level does besides calling the next one.
const (
	modeDeep    = 1 << iota // recurse deeply: the goroutine stack grows and moves
	modeGC                  // allocate and collect
	modeGo                  // start goroutines and wait for them
	modeSleep               // time.Sleep (the scheduler's idle path)
	modePanic               // panic and recover
	modeBlockIn             // the nested level waits on a goroutine the outer level started
	modeTrap                // the deepest level panics unrecovered: the runtime exits
)

var pending = make(chan uint64) // modeBlockIn: a goroutine of level 1 sends here

// run returns depth*1000 + what the levels below it returned, or a value
// with bit 62 set when a check failed.
//
//go:wasmexport run
func run(depth, mode uint32) uint64 {
	var local [256]uint64 // on the goroutine stack: it moves when the stack grows
	for i := range local {
		local[i] = uint64(depth)<<32 | uint64(i)
	}
	heap := make([]byte, 64<<10)
	for i := range heap {
		heap[i] = byte(int(depth) + i)
	}
	done := make(chan uint64, 1)
	go func() { done <- uint64(depth) * 7 }()
	if mode&modeBlockIn != 0 && depth == 1 {
		go func() { pending <- uint64(depth) }()
	}

	var inner uint64
	if depth > 0 {
		inner = call(depth-1, mode)
	} else {
		if mode&modeTrap != 0 {
			go func() { panic("goreentrant: trap") }()
			time.Sleep(time.Millisecond)
		}
		if mode&modeBlockIn != 0 {
			inner = <-pending // sent by a goroutine of an outer level
		}
	}
	work(mode)

	bad := uint64(0)
	for i := range local {
		if local[i] != uint64(depth)<<32|uint64(i) {
			bad = 1 << 62
		}
	}
	for i := range heap {
		if heap[i] != byte(int(depth)+i) {
			bad = 1 << 62
		}
	}
	if <-done != uint64(depth)*7 {
		bad = 1 << 62
	}
	return bad | uint64(depth)*1000 + inner
}

func work(mode uint32) {
	if mode&modeDeep != 0 {
		if recurse(20000) != 20000 {
			panic("recurse")
		}
	}
	if mode&modeGC != 0 {
		var keep [][]byte
		for range 64 {
			keep = append(keep, make([]byte, 256<<10))
		}
		runtime.GC()
		runtime.KeepAlive(keep)
	}
	if mode&modeGo != 0 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		n := 0
		for range 16 {
			wg.Go(func() {
				runtime.Gosched()
				mu.Lock()
				n++
				mu.Unlock()
			})
		}
		wg.Wait()
		if n != 16 {
			panic("goroutines")
		}
	}
	if mode&modeSleep != 0 {
		time.Sleep(time.Millisecond)
	}
	if mode&modePanic != 0 {
		func() {
			defer func() { recover() }()
			panic("recovered")
		}()
	}
}

//go:noinline
func recurse(n int) int {
	var pad [16]uint64
	pad[n%16] = uint64(n)
	if n == 0 {
		return int(pad[0])
	}
	return recurse(n-1) + 1 + int(pad[n%16]) - n
}
