// Package structured is the host's side of the structured-value encoding
// of Durable Objects (docs/durable-objects.md, "The structured-value
// encoding"): the CBOR subset, prefix d9 d9 f7, in which every SDK writes
// stored values, RPC arguments and results, socket attachments and
// thrown errors. The host itself never needs to look inside them; this
// package is for the CLI (`bindery do storage get` shows a value,
// `put` writes one from JSON).
//
//   - Decode reads bytes into a Value, a tree that keeps every kind and
//     every order; Encode writes one back (Encode(Decode(b)) is b for
//     every value written in its shortest form).
//   - Format shows a Value as Node.js's util.inspect shows the same
//     JavaScript value: { a: 1, b: [ 2n, 'x' ] }, Map(1) { 1 => 'a' }.
//   - ToJSON converts a Value to JSON for --json output (lossy: see
//     ToJSON).
//   - EncodeJSON encodes a JSON text as a value.
//
// The Value types, the decoder and the encoder are identical files in
// the Go guest SDK's package bindery/structured (the root module cannot
// require the guest SDK, so the code is copied; TestSharedFiles keeps the
// copies equal), and both packages run the vectors every SDK runs,
// wit/deps/durable/testdata/structured-values.json.
package structured
