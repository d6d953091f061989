// Command goplugin is a Guest of no particular world written in Go: a
// wasip1 reactor (go build -buildmode=c-shared, GOOS=wasip1 GOARCH=wasm)
// whose exports use the clock, sleep, randomness and the environment, so
// that host tests see a Go runtime start and run under a default-deny
// WASIConfig (host/guest_test.go, TestGuestGoPlugin). The tests build it.
package main

import (
	"crypto/rand"
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
