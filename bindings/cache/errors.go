package cache

import "errors"

// Sentinel errors of the cache package. Errors returned by [Namespace]
// wrap one of them (test with [errors.Is]) and say what is at fault, for
// example
//
//	cache: refused: Cannot cache response to non-GET request.
//
// Errors from a [Backend] that wrap none of them (I/O failures, a closed
// database, a cancelled context) are passed on wrapped with the operation.
var (
	// ErrNotFound is returned by a [Backend] for a key with no fresh entry.
	// [Namespace] turns it into a nil response or a false result.
	ErrNotFound = errors.New("cache: not found")

	// ErrRefused is returned by a put that Cloudflare refuses with a
	// TypeError: a request method other than GET, a 206 response, a
	// response with Vary: *. Responses HTTP says not to store (no-store,
	// Set-Cookie, a TTL of 0) are no error: the put reports false.
	ErrRefused = errors.New("cache: refused")

	// ErrInvalidKey is returned for a key (a request URL) that is not an
	// absolute URL or is over Limits.MaxKeyBytes.
	ErrInvalidKey = errors.New("cache: invalid key")

	// ErrInvalidArgument is returned for a cache name over
	// Limits.MaxNameBytes, a status outside 200..599 and response headers
	// over Limits.MaxHeaderBytes.
	ErrInvalidArgument = errors.New("cache: invalid argument")

	// ErrTooLarge is returned when a body goes over Limits.MaxBodyBytes;
	// nothing is stored.
	ErrTooLarge = errors.New("cache: too large")

	// ErrBody is returned when reading the body to store fails; nothing
	// is stored.
	ErrBody = errors.New("cache: reading the body failed")
)
