package structured

import "testing"

// FuzzUnmarshal checks that decoding never panics and that what decodes
// encodes and decodes back to itself, and that Unmarshal into a struct
// and into any does not panic either.
func FuzzUnmarshal(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data)
		var s struct {
			A int
			B []string
			C map[string]float64
			D *Error
		}
		_ = Unmarshal(data, &s)
		var v any
		_ = Unmarshal(data, &v)
	})
}
