//go:build wasip1

// Command guest-extism is the Extism plugin of the comparison (Go PDK,
// GOOS=wasip1 -buildmode=c-shared). Its exports do the same work as
// guest-bindery's describe:
//
//   - describe_json: params and outcome as JSON (pdk.InputJSON /
//     pdk.OutputJSON), the way Extism's documentation passes typed data;
//   - describe_bin: a fixed little-endian encoding, the cheapest a byte
//     ABI allows: params are width u32, height u32, then the name's
//     bytes; the outcome is area u64, then the label's bytes.
package main

import (
	"encoding/binary"
	"strconv"

	"github.com/extism/go-pdk"
)

type params struct {
	Width  uint32 `json:"width"`
	Height uint32 `json:"height"`
	Name   string `json:"name"`
}

type outcome struct {
	Area  uint64 `json:"area"`
	Label string `json:"label"`
}

func describe(p params) outcome {
	return outcome{
		Area:  uint64(p.Width) * uint64(p.Height),
		Label: p.Name + " " + strconv.FormatUint(uint64(p.Width), 10) + "x" + strconv.FormatUint(uint64(p.Height), 10),
	}
}

//go:wasmexport describe_json
func describeJSON() int32 {
	var p params
	if err := pdk.InputJSON(&p); err != nil {
		pdk.SetError(err)
		return 1
	}
	if err := pdk.OutputJSON(describe(p)); err != nil {
		pdk.SetError(err)
		return 1
	}
	return 0
}

//go:wasmexport describe_bin
func describeBin() int32 {
	in := pdk.Input()
	if len(in) < 8 {
		pdk.SetErrorString("describe_bin: input shorter than 8 bytes")
		return 1
	}
	o := describe(params{
		Width:  binary.LittleEndian.Uint32(in[0:]),
		Height: binary.LittleEndian.Uint32(in[4:]),
		Name:   string(in[8:]),
	})
	out := make([]byte, 8+len(o.Label))
	binary.LittleEndian.PutUint64(out, o.Area)
	copy(out[8:], o.Label)
	pdk.Output(out)
	return 0
}

func main() {}
