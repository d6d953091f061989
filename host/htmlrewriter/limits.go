package htmlrewriter

// Limits bound what one Rewriter keeps in memory. A zero field means its
// default.
type Limits struct {
	// MaxTokenBytes bounds a tag, and a comment or doctype a handler must
	// see, which are kept whole until they end (text and comments no
	// handler wants stream through). Default DefaultMaxTokenBytes.
	MaxTokenBytes int
	// MaxDepth bounds the stack of open elements the selectors are matched
	// against. Default DefaultMaxDepth.
	MaxDepth int
}

// The default limits. lol-html's (Cloudflare's) whole budget is 3 MiB.
const (
	DefaultMaxTokenBytes = 1 << 20
	DefaultMaxDepth      = 1 << 15
)

func (l Limits) withDefaults() Limits {
	if l.MaxTokenBytes <= 0 {
		l.MaxTokenBytes = DefaultMaxTokenBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}
