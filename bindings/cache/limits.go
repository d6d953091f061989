package cache

// Cloudflare's limits, the defaults of [Limits].
const (
	// DefaultMaxBodyBytes is the largest body a put stores: 512 MiB, the
	// per-object limit of the Cache API on Free, Pro and Business plans.
	DefaultMaxBodyBytes = 512 << 20
	// DefaultMaxKeyBytes is the longest key (request URL): 16 KiB, the
	// URL limit of a Workers request.
	DefaultMaxKeyBytes = 16 << 10
	// DefaultMaxNameBytes is the longest cache name: workerd refuses
	// names of 1024 bytes or more ("Cache name is too long.").
	DefaultMaxNameBytes = 1023
	// DefaultMaxHeaderBytes bounds a stored response's header fields
	// (names and values): 128 KiB, Cloudflare's response header limit.
	DefaultMaxHeaderBytes = 128 << 10
)

// Limits bounds what a cache stores. A zero field takes its default.
type Limits struct {
	MaxBodyBytes   int64
	MaxKeyBytes    int
	MaxNameBytes   int
	MaxHeaderBytes int
}

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxKeyBytes <= 0 {
		l.MaxKeyBytes = DefaultMaxKeyBytes
	}
	if l.MaxNameBytes <= 0 {
		l.MaxNameBytes = DefaultMaxNameBytes
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return l
}
