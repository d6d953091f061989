package bindery

import "errors"

// Errors a KV, R2 or D1 operation can return; match them with errors.Is. The
// error itself carries the host's message, which names the key and limit.
var (
	// ErrNotFound is returned for a missing key (KV Get, R2 Head and Get).
	ErrNotFound = errors.New("not found")
	// ErrNoSuchNamespace means the config grants no KV binding of that name.
	ErrNoSuchNamespace = errors.New("kv: no such namespace")
	// ErrInvalidKey means a key is empty, too long, or otherwise not allowed.
	ErrInvalidKey = errors.New("invalid key")
	// ErrTooLarge means a value, object, metadata or batch is over its limit.
	ErrTooLarge = errors.New("too large")
	// ErrInvalidArgument means an option is out of range.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrInternal means the host's store failed.
	ErrInternal = errors.New("internal error")
)
