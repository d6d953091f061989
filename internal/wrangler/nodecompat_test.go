package wrangler

import (
	"strings"
	"testing"
)

// TestNodeCompat: the mode and process.env population follow wrangler's
// getNodeCompat and isProcessEnvPopulated for each date and flag set.
func TestNodeCompat(t *testing.T) {
	tests := []struct {
		name     string
		date     string
		flags    []string
		mode     NodeMode
		populate bool
		err      string
	}{
		{name: "nothing", date: "2024-01-01", mode: NodeOff},
		{name: "no date", flags: nil, mode: NodeOff},
		{name: "als", date: "2024-01-01", flags: []string{"nodejs_als"}, mode: NodeALS},
		{name: "v1 before the switch", date: "2024-09-22", flags: []string{"nodejs_compat"}, mode: NodeV1},
		{name: "v2 from the switch", date: "2024-09-23", flags: []string{"nodejs_compat"}, mode: NodeV2},
		{name: "v1 with no_v2", date: "2025-01-01", flags: []string{"nodejs_compat", "no_nodejs_compat_v2"}, mode: NodeV1},
		{name: "v2 flag on an old date", date: "2023-01-01", flags: []string{"nodejs_compat", "nodejs_compat_v2"}, mode: NodeV2},
		{name: "v2 flag alone", date: "2023-01-01", flags: []string{"nodejs_compat_v2"}, mode: NodeV2},
		{name: "compat beats als", date: "2025-01-01", flags: []string{"nodejs_als", "nodejs_compat"}, mode: NodeV2},
		{name: "env from its date", date: "2025-04-01", flags: []string{"nodejs_compat"}, mode: NodeV2, populate: true},
		{name: "env not before", date: "2025-03-31", flags: []string{"nodejs_compat"}, mode: NodeV2},
		{name: "env by flag", date: "2025-01-01", flags: []string{"nodejs_compat", "nodejs_compat_populate_process_env"}, mode: NodeV2, populate: true},
		{name: "env flag without compat", date: "2025-05-01", flags: []string{"nodejs_compat_populate_process_env"}, mode: NodeOff},
		{name: "env refused", date: "2025-05-01", flags: []string{"nodejs_compat", "nodejs_compat_do_not_populate_process_env"}, mode: NodeV2},
		{name: "v2 alone keeps env empty", date: "2025-05-01", flags: []string{"nodejs_compat_v2"}, mode: NodeV2},
		{name: "default on", date: "2026-08-04", mode: NodeV2, populate: true},
		{name: "default on, turned off", date: "2026-11-01", flags: []string{"no_nodejs_compat"}, mode: NodeV2},
		{name: "default on, both off", date: "2026-11-01", flags: []string{"no_nodejs_compat", "no_nodejs_compat_v2"}, mode: NodeOff},
		{name: "default on, als", date: "2026-11-01", flags: []string{"no_nodejs_compat", "no_nodejs_compat_v2", "nodejs_als"}, mode: NodeALS},
		{name: "contradiction", date: "2025-01-01", flags: []string{"nodejs_compat", "no_nodejs_compat"}, err: `both "nodejs_compat" and "no_nodejs_compat"`},
		{name: "env contradiction", date: "2025-01-01", flags: []string{"nodejs_compat_populate_process_env", "nodejs_compat_do_not_populate_process_env"}, err: "nodejs_compat_do_not_populate_process_env"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{CompatibilityDate: tc.date, CompatibilityFlags: tc.flags}
			nc, err := c.NodeCompat()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if nc.Mode != tc.mode || nc.PopulateProcessEnv != tc.populate {
				t.Errorf("got mode %v populate %v, want %v %v", nc.Mode, nc.PopulateProcessEnv, tc.mode, tc.populate)
			}
		})
	}
}
