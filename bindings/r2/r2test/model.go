package r2test

import (
	"strings"

	"github.com/bindery-run/bindery/bindings/r2"
)

// modelPage is one page of the reference list.
type modelPage struct {
	keys, prefixes []string
	truncated      bool
	// after is what the next page skips: every key <= after, and with
	// afterPrefix also every key that starts with after.
	after       string
	afterPrefix bool
}

// modelList is the reference List over sorted keys, written as plainly as
// possible: walk every key in order and skip what the options exclude.
// The page starts after prev (nil for the first page).
func modelList(sorted []string, o r2.ListOptions, prev *modelPage) modelPage {
	limit := o.Limit
	if limit == 0 {
		limit = 1000
	}
	var p modelPage
	rolled := ""
	for _, k := range sorted {
		if !strings.HasPrefix(k, o.Prefix) || (o.StartAfter != "" && k <= o.StartAfter) {
			continue
		}
		if prev != nil && (k <= prev.after || prev.afterPrefix && strings.HasPrefix(k, prev.after)) {
			continue
		}
		if rolled != "" && strings.HasPrefix(k, rolled) {
			continue
		}
		rest := k[len(o.Prefix):]
		if i := strings.Index(rest, o.Delimiter); o.Delimiter != "" && i >= 0 {
			cp := k[:len(o.Prefix)+i+len(o.Delimiter)]
			if len(p.keys)+len(p.prefixes) == limit {
				p.truncated = true
				return p
			}
			p.prefixes = append(p.prefixes, cp)
			rolled = cp
			p.after, p.afterPrefix = cp, true
			continue
		}
		if len(p.keys)+len(p.prefixes) == limit {
			p.truncated = true
			return p
		}
		p.keys = append(p.keys, k)
		p.after, p.afterPrefix = k, false
	}
	return p
}

// modelListAll pages through the reference list.
func modelListAll(sorted []string, o r2.ListOptions) (keys, prefixes []string) {
	var prev *modelPage
	for {
		p := modelList(sorted, o, prev)
		keys = append(keys, p.keys...)
		prefixes = append(prefixes, p.prefixes...)
		if !p.truncated {
			return keys, prefixes
		}
		prev = &p
	}
}
