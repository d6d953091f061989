package wrangler

import "fmt"

// NodeMode is how much of Node.js a Worker gets, as wrangler and workerd
// derive it from the compatibility date and flags (miniflare's
// NodeJSCompatMode).
type NodeMode int

const (
	// NodeOff: no Node.js built-in modules; importing one is an error
	// that names the nodejs_compat flag.
	NodeOff NodeMode = iota
	// NodeALS: "nodejs_als" alone gives node:async_hooks only.
	NodeALS
	// NodeV1: "nodejs_compat" with a compatibility date before
	// 2024-09-23: the built-in modules as node:* only, and no globals.
	NodeV1
	// NodeV2: "nodejs_compat" from 2024-09-23 on, "nodejs_compat_v2", or
	// any Worker dated 2026-08-04 or later (unless "no_nodejs_compat"):
	// the built-in modules with and without the node: prefix, and the
	// globals Buffer, process, global, setImmediate and clearImmediate.
	NodeV2
)

// String is the mode as miniflare names it ("off" for none).
func (m NodeMode) String() string {
	switch m {
	case NodeALS:
		return "als"
	case NodeV1:
		return "v1"
	case NodeV2:
		return "v2"
	}
	return "off"
}

// NodeCompat is a Worker's Node.js compatibility: what its bundle gets
// (internal/jsbuild) and whether process.env holds its vars and secrets.
// The zero value is no Node.js compatibility.
type NodeCompat struct {
	// Mode says which modules and globals the Worker gets.
	Mode NodeMode
	// PopulateProcessEnv puts the Worker's vars and secrets on
	// process.env (the nodejs_compat_populate_process_env flag, on by
	// default from 2025-04-01 when Node.js compatibility is on).
	PopulateProcessEnv bool
}

// The compatibility dates at which workerd changes its Node.js
// compatibility by default (workers-utils' compatibility-date.ts,
// wrangler's process-env.ts).
const (
	// NodeCompatV2Date is the date from which nodejs_compat means v2.
	NodeCompatV2Date = "2024-09-23"
	// NodeCompatPopulateEnvDate is the date from which nodejs_compat puts
	// vars and secrets on process.env.
	NodeCompatPopulateEnvDate = "2025-04-01"
	// NodeCompatDefaultOnDate is the date from which every Worker has
	// Node.js compatibility (v2) without a flag.
	NodeCompatDefaultOnDate = "2026-08-04"
)

// NodeCompat resolves the Node.js compatibility of the Worker from its
// compatibility_date and compatibility_flags as wrangler does
// ("nodejs_compat", "nodejs_compat_v2", "nodejs_als", their "no_"
// opposites and "nodejs_compat_populate_process_env" /
// "nodejs_compat_do_not_populate_process_env"). A flag together with its
// opposite is an error, as in workerd.
func (c *Config) NodeCompat() (NodeCompat, error) {
	for _, pair := range [][2]string{
		{"nodejs_compat", "no_nodejs_compat"},
		{"nodejs_compat_v2", "no_nodejs_compat_v2"},
		{"nodejs_compat_populate_process_env", "nodejs_compat_do_not_populate_process_env"},
	} {
		if c.HasFlag(pair[0]) && c.HasFlag(pair[1]) {
			return NodeCompat{}, fmt.Errorf("compatibility_flags has both %q and %q: remove one", pair[0], pair[1])
		}
	}
	date := c.CompatibilityDate
	defaultOn := date != "" && date >= NodeCompatDefaultOnDate
	compat := c.HasFlag("nodejs_compat") || (defaultOn && !c.HasFlag("no_nodejs_compat"))
	v2 := c.HasFlag("nodejs_compat_v2") ||
		(!c.HasFlag("no_nodejs_compat_v2") && (defaultOn || (compat && date >= NodeCompatV2Date)))
	var nc NodeCompat
	switch {
	case v2:
		nc.Mode = NodeV2
	case compat:
		nc.Mode = NodeV1
	case c.HasFlag("nodejs_als"):
		nc.Mode = NodeALS
	}
	// wrangler asks whether nodejs_compat is on, not v2 (a Worker with
	// only nodejs_compat_v2 keeps an empty process.env).
	switch {
	case c.HasFlag("nodejs_compat_populate_process_env") && compat:
		nc.PopulateProcessEnv = true
	case c.HasFlag("nodejs_compat_do_not_populate_process_env"):
	default:
		nc.PopulateProcessEnv = compat && date >= NodeCompatPopulateEnvDate
	}
	return nc, nil
}
