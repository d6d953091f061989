// Command goplugin is a Guest of no particular world written in Go: a
// wasip1 reactor (go build -buildmode=c-shared, GOOS=wasip1 GOARCH=wasm)
// whose exports use the clock, sleep, randomness and the environment, so
// that host tests see a Go runtime start and run under a default-deny
// WASIConfig (host/guest_test.go, TestGuestGoPlugin). The tests build it.
package main

import (
	"crypto/rand"
	"net"
	"os"
	"time"
)

func main() {}

//go:wasmexport add
func add(a, b int32) int32 { return a + b }

// sleepy sleeps ms milliseconds and returns how long the guest's clock
// says it slept, in ns.
//
//go:wasmexport sleepy
func sleepy(ms int32) int64 {
	start := time.Now()
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return int64(time.Since(start))
}

//go:wasmexport now
func now() int64 { return time.Now().Unix() }

//go:wasmexport random
func random() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(b[0]) | int64(b[1])<<8 | int64(b[2])<<16 | int64(b[3])<<24
}

//go:wasmexport envlen
func envlen() int32 { return int32(len(os.Environ())) }

// The hostile exports (host/hostile_test.go, TestHostileGoGuest): a Go
// runtime that misbehaves.

// depth keeps recurse from being optimised into a loop.
var depth int32

// recurse calls itself forever: the goroutine stack grows until the
// memory limit refuses it. Its frames are big (pad), so that the stack
// fills in few frames: the Go runtime walks every frame each time it
// copies a stack, which is slow in wasm for millions of small ones.
//
//go:wasmexport recurse
func recurse(n int32) int32 {
	var pad [4096]byte
	pad[n&4095] = byte(n)
	depth = n
	return recurse(n+1) + int32(pad[(n+1)&4095])
}

// hoard holds what hog allocated.
var hoard [][]byte

// hog allocates and keeps mib MiB.
//
//go:wasmexport hog
func hog(mib int32) int32 {
	for range mib {
		hoard = append(hoard, make([]byte, 1<<20))
	}
	return int32(len(hoard))
}

// readfile reads /etc/passwd: its length, or -1 when the host refused.
//
//go:wasmexport readfile
func readfile() int32 {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return -1
	}
	return int32(len(b))
}

// home returns the length of $HOME (0 when the host grants none).
//
//go:wasmexport home
func home() int32 { return int32(len(os.Getenv("HOME"))) }

// dial connects to TCP port 80 on loopback: 1 if it connected, -1 if not.
//
//go:wasmexport dial
func dial() int32 {
	c, err := net.Dial("tcp", "127.0.0.1:80")
	if err != nil {
		return -1
	}
	c.Close()
	return 1
}
