// Package structured is the structured-value encoding of Durable Objects
// for Go: the bytes in which every Bindery SDK stores values, passes RPC
// arguments and results, keeps socket attachments and throws errors
// (docs/durable-objects.md, "The structured-value encoding"): CBOR with
// the prefix d9 d9 f7 and a fixed set of tags, so that a value a Go object
// stores reads the same in JavaScript, and the other way round.
//
// Marshal and Unmarshal work by reflection, in the manner of
// encoding/json, so types written for JSON work unchanged; Decode gives
// the generic representation, a tree that keeps every kind of value and
// every order.
//
//	b, err := structured.Marshal(Session{User: "ada", Seen: time.Now()})
//	var s Session
//	err = structured.Unmarshal(b, &s)
//	v, err := structured.Decode(b) // structured.Object{{"user", "ada"}, {"seen", time.Time{...}}}
//
// # Go values as Marshal writes them
//
//   - nil, a nil pointer, interface, slice or map: null. Undefined:
//     undefined.
//   - bool: a boolean. float64, float32: a number.
//   - int and uint types: a number when |n| ≤ 2^53 − 1, else a bigint, so
//     no integer loses digits. *big.Int and big.Int: a bigint, always.
//   - string: a string; one that is not UTF-8 is an error.
//   - []byte and [N]byte (any slice or array of a uint8 kind): a byte
//     string (JavaScript's ArrayBuffer). TypedArray: a typed array.
//   - Other slices and arrays: an array. Set: a Set.
//   - A struct: a plain object of its exported fields in declaration order,
//     named, renamed ("name"), left out ("-") and omitted when empty
//     (omitempty, omitzero) by json tags, with embedded structs' fields
//     promoted, as encoding/json does.
//   - A map with string keys: a plain object, its keys sorted by their
//     encoded bytes (so shorter keys first). A map with other keys: a Map,
//     sorted the same way. Object and Map: in their own order.
//   - time.Time: a Date, truncated toward −∞ to the millisecond.
//     InvalidDate: an invalid Date.
//   - Error and *Error: an Error (ErrorFrom makes one of any error).
//   - A Marshaler: what MarshalStructured returns. An
//     encoding.TextMarshaler: the string of its text.
//   - Channels, functions, complex numbers: an error.
//
// # The generic representation: what Decode returns
//
//	undefined      Undefined{}
//	null           nil
//	boolean        bool
//	number         float64 (−0, NaN and ±Inf included)
//	bigint         *big.Int (and an integer item beyond 2^53 − 1)
//	string         string
//	ArrayBuffer    []byte (a byte string)
//	typed array    TypedArray{Type, Bytes}
//	array          []any (a hole is Undefined{})
//	plain object   Object, its members in order
//	Map            Map, its entries in order (a repeated key: the later value, in the first one's place; a key −0 is 0)
//	Set            Set (a repeated element kept once; −0 is 0)
//	Date           time.Time in UTC; InvalidDate{} for NaN or a time beyond ±8.64e15 ms
//	Error          *Error
//
// Marshal writes each of these back as it was read; the only values that
// do not come back as they were are an Error's empty stack and null cause,
// read back as none.
//
// # Go values as Unmarshal fills them
//
// Unmarshal reads into a Go value what Marshal would write from it, and
// is lenient where that loses nothing: an int type takes an integral
// number or a bigint in range, a float type a number, *big.Int a bigint
// or an integral number, []byte a byte string or a Uint8Array, a slice or
// array an array, a Set or a typed array (element by element: a
// Float64Array fills a []float64), a map with string keys an object or a Map, a map with
// other keys a Map, a struct an object (properties matched to fields
// exactly, else without regard to case; others ignored), an interface
// the generic representation (when it fits: error takes an *Error), an
// Unmarshaler or encoding.TextUnmarshaler its value. null and undefined
// set a pointer, interface, slice or map to nil and leave anything else
// as it was. A value that does not fit is an *UnmarshalTypeError naming
// its place.
//
// # Errors
//
// Decode and Unmarshal refuse what the encoding refuses (bytes without
// the prefix, trailing bytes, indefinite lengths, unknown tags and simple
// values, text that is not UTF-8, an object's key twice, nesting deeper
// than 256, ...) with a *SyntaxError naming the byte offset. Marshal
// refuses with an *EncodeError naming the value's place.
//
// The decoder, the encoder of the generic representation and its types
// are also in the host, in the root module's bindings/durable/structured
// (the root cannot require this module), in identical files; both
// packages test against wit/deps/durable/testdata/structured-values.json,
// the vectors every SDK runs.
package structured
