package kv

import "errors"

// Sentinel errors of the kv package. Errors returned by [Namespace] wrap one
// of them (test with [errors.Is]) and add a message that names the thing at
// fault and the limit it broke, for example
//
//	kv: invalid key: key "aaaa…" is 600 bytes, the limit is 512
//
// Errors that come from a [Backend] and wrap none of these sentinels (I/O
// failures, a closed database, a cancelled context) are passed on wrapped
// with the operation and key.
var (
	// ErrNotFound is returned by a [Backend] when a key is missing or has
	// expired. [Namespace] turns it into a false "found" result instead.
	ErrNotFound = errors.New("kv: not found")

	// ErrNoSuchNamespace is returned when a Worker uses a KV binding name
	// that its manifest does not grant.
	ErrNoSuchNamespace = errors.New("kv: no such namespace")

	// ErrInvalidKey is returned for a key (or list prefix) that is empty,
	// "." or "..", not valid UTF-8, or longer than Limits.MaxKeyBytes.
	ErrInvalidKey = errors.New("kv: invalid key")

	// ErrTooLarge is returned when a value, metadata or bulk get exceeds
	// its limit.
	ErrTooLarge = errors.New("kv: too large")

	// ErrInvalidArgument is returned for a bad option: metadata that is not
	// JSON, an expiration that is too soon or negative, a list limit out of
	// range, or a list cursor that was not produced by the backend.
	ErrInvalidArgument = errors.New("kv: invalid argument")
)
