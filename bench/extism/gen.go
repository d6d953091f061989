package extismbench

// The shapes world's bindings: the host's typed caller (shapes/) and the
// Go guest's (guest-bindery/shapes/). TestGeneratedFresh fails when they
// are stale.
//go:generate go run -C ../.. ./cmd/bindery bindgen --wit bench/extism/wit --world shapes --lang go-host --out bench/extism/shapes
//go:generate go run -C ../.. ./cmd/bindery bindgen --wit bench/extism/wit --world shapes --lang go-guest --out bench/extism/guest-bindery/shapes
