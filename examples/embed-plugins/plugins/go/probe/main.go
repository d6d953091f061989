//go:build wasip1

// Command probe is the test plugin of examples/embed-plugins: it does
// what its image says, to show what its grants let it do. The image is a
// command and an argument:
//
//	log MSG     calls the log import once with MSG; answers "logged"
//	spam N      calls the log import N times; answers "logged N"
//	env NAME    answers the environment variable NAME ("" when unset)
//	clock       answers the wall clock's time (RFC 3339)
//	read PATH   answers the file at PATH, or fails with bad-image(why)
//	loop        never returns
//	grow MIB    allocates MIB MiB and answers "grew"
//
// Anything else fails with bad-image.
package main

import (
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bindery-run/bindery/examples/embed-plugins/plugins/go/imagefilter"
)

func init() { imagefilter.Exports.Apply = apply }

// sink keeps grow's allocations alive.
var sink [][]byte

func apply(img []byte, _ imagefilter.Params) ([]byte, *imagefilter.Error) {
	cmd, arg, _ := strings.Cut(string(img), " ")
	switch cmd {
	case "log":
		imagefilter.Log(arg)
		return []byte("logged"), nil
	case "spam":
		n, _ := strconv.Atoi(arg)
		for i := range n {
			imagefilter.Log("spam " + strconv.Itoa(i))
		}
		return []byte("logged " + strconv.Itoa(n)), nil
	case "env":
		return []byte(os.Getenv(arg)), nil
	case "clock":
		return []byte(time.Now().UTC().Format(time.RFC3339)), nil
	case "read":
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, badImage(err.Error())
		}
		return b, nil
	case "loop":
		for n := 0; ; n++ {
			if n < 0 {
				break
			}
		}
		return nil, nil
	case "grow":
		n, _ := strconv.Atoi(arg)
		for range n {
			sink = append(sink, make([]byte, 1<<20))
		}
		return []byte("grew"), nil
	}
	return nil, badImage("unknown command " + strconv.Quote(cmd))
}

func badImage(why string) *imagefilter.Error {
	return &imagefilter.Error{Tag: imagefilter.ErrorBadImage, BadImage: why}
}

func main() {}
