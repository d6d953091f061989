package kv

import "time"

// Cloudflare's Workers KV limits, used for every zero field of [Limits].
const (
	// DefaultMaxKeyBytes is the maximum key length in bytes (UTF-8).
	DefaultMaxKeyBytes = 512
	// DefaultMaxValueBytes is the maximum value size: 25 MiB.
	DefaultMaxValueBytes = 25 << 20
	// DefaultMaxMetadataBytes is the maximum size of the metadata JSON text.
	DefaultMaxMetadataBytes = 1024
	// DefaultMaxBulkGet is the maximum number of keys in one bulk get.
	DefaultMaxBulkGet = 100
	// DefaultMaxBulkGetBytes is the maximum total size of the values
	// returned by one bulk get: 25 MiB.
	DefaultMaxBulkGetBytes = 25 << 20
	// DefaultMaxListLimit is the maximum, and the default, list page size.
	DefaultMaxListLimit = 1000
	// DefaultMinExpirationTTL is the shortest allowed expirationTtl, and the
	// shortest distance into the future of an absolute expiration.
	DefaultMinExpirationTTL = 60 * time.Second
)

// NoLimit disables a limit when assigned to a field of [Limits]. Any
// negative value has the same effect. It is an untyped constant, so it fits
// both the int fields and MinExpirationTTL.
const NoLimit = -1

// Limits are the per-namespace limits that [Namespace] enforces.
//
// The zero value of each field means "use Cloudflare's default" (the
// Default* constants), so Limits{} and DefaultLimits() behave the same. An
// embedder relaxes a limit by setting a larger value, or disables it with
// [NoLimit] (any negative value):
//
//	kv.Limits{MaxValueBytes: 100 << 20, MinExpirationTTL: kv.NoLimit}
//
// A disabled MaxListLimit still leaves the default page size at 1000. A
// disabled MinExpirationTTL still requires an expiration to lie in the
// future and an expirationTtl to be at least one second.
type Limits struct {
	// MaxKeyBytes bounds the length of a key and of a list prefix.
	MaxKeyBytes int
	// MaxValueBytes bounds the size of a value.
	MaxValueBytes int
	// MaxMetadataBytes bounds the size of the metadata JSON text.
	MaxMetadataBytes int
	// MaxBulkGet bounds the number of keys in one GetMany call.
	MaxBulkGet int
	// MaxBulkGetBytes bounds the total size of the values one GetMany call
	// returns.
	MaxBulkGetBytes int
	// MaxListLimit bounds ListOptions.Limit; it is also the default page
	// size when it is below 1000.
	MaxListLimit int
	// MinExpirationTTL is the shortest expirationTtl, and how far in the
	// future an absolute expiration must at least be. It is rounded up to
	// whole seconds.
	MinExpirationTTL time.Duration
}

// DefaultLimits returns Cloudflare's Workers KV limits: 512-byte keys,
// 25 MiB values, 1024-byte metadata, 100 keys (25 MiB) per bulk get, 1000
// keys per list page and a 60 s minimum expiration TTL.
func DefaultLimits() Limits {
	return Limits{
		MaxKeyBytes:      DefaultMaxKeyBytes,
		MaxValueBytes:    DefaultMaxValueBytes,
		MaxMetadataBytes: DefaultMaxMetadataBytes,
		MaxBulkGet:       DefaultMaxBulkGet,
		MaxBulkGetBytes:  DefaultMaxBulkGetBytes,
		MaxListLimit:     DefaultMaxListLimit,
		MinExpirationTTL: DefaultMinExpirationTTL,
	}
}

// withDefaults returns l with every zero field replaced by its default and
// every negative field normalised to NoLimit.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return NoLimit
		}
		return v
	}
	r := Limits{
		MaxKeyBytes:      pick(l.MaxKeyBytes, d.MaxKeyBytes),
		MaxValueBytes:    pick(l.MaxValueBytes, d.MaxValueBytes),
		MaxMetadataBytes: pick(l.MaxMetadataBytes, d.MaxMetadataBytes),
		MaxBulkGet:       pick(l.MaxBulkGet, d.MaxBulkGet),
		MaxBulkGetBytes:  pick(l.MaxBulkGetBytes, d.MaxBulkGetBytes),
		MaxListLimit:     pick(l.MaxListLimit, d.MaxListLimit),
		MinExpirationTTL: l.MinExpirationTTL,
	}
	switch {
	case l.MinExpirationTTL == 0:
		r.MinExpirationTTL = d.MinExpirationTTL
	case l.MinExpirationTTL < 0:
		r.MinExpirationTTL = NoLimit
	}
	return r
}

// exceeds reports whether n is over limit, where a negative limit means
// unlimited.
func exceeds(n, limit int) bool {
	return limit >= 0 && n > limit
}
