package cronmodule_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/cron/cronmodule"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// TestConfig: [triggers] crons as wrangler writes it, every expression
// checked, errors with their file, line and column.
func TestConfig(t *testing.T) {
	tests := []struct {
		name, file, src, env string
		want                 string // in the error
		crons                []string
	}{
		{"toml", "wrangler.toml", "[triggers]\ncrons = [\"*/5 * * * *\", \"0 12 * * MON-FRI\"]\n", "", "", []string{"*/5 * * * *", "0 12 * * MON-FRI"}},
		{"jsonc", "wrangler.jsonc", "{\n  // every minute\n  \"triggers\": {\"crons\": [\"* * * * *\"]}\n}\n", "", "", []string{"* * * * *"}},
		{"inherited by an environment", "wrangler.toml", "[triggers]\ncrons = [\"0 * * * *\"]\n[env.staging]\n", "staging", "", []string{"0 * * * *"}},
		{"an environment's own", "wrangler.toml", "[triggers]\ncrons = [\"0 * * * *\"]\n[env.staging.triggers]\ncrons = [\"30 * * * *\"]\n", "staging", "", []string{"30 * * * *"}},
		{"empty", "wrangler.toml", "[triggers]\ncrons = []\n", "", "", nil},
		{"bad minute", "wrangler.toml", "[triggers]\ncrons = [\"* * * * *\", \"61 * * * *\"]\n", "", "wrangler.toml:2:23: triggers.crons[1]: cron \"61 * * * *\": minute", nil},
		{"bad name", "wrangler.toml", "[triggers]\ncrons = [\"0 12 * * MOX\"]\n", "", "day-of-week", nil},
		{"never fires", "wrangler.toml", "[triggers]\ncrons = [\"0 0 30 2 *\"]\n", "", "never fires", nil},
		{"listed twice", "wrangler.toml", "[triggers]\ncrons = [\"* * * * *\", \"* * * * *\"]\n", "", "cron \"* * * * *\" is listed twice", nil},
		{"not a string", "wrangler.toml", "[triggers]\ncrons = [5]\n", "", "triggers.crons[0]: expected a string, found integer", nil},
		{"not an array", "wrangler.toml", "[triggers]\ncrons = \"* * * * *\"\n", "", "triggers.crons: expected an array, found string", nil},
		{"unknown field", "wrangler.toml", "[triggers]\ncron = [\"* * * * *\"]\n", "", "unknown field \"cron\" (did you mean \"crons\"?)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := wrangler.Parse(tt.file, []byte(tt.src), tt.env, cronmodule.Module().Parser())
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if c := cronmodule.Parsed(cfg.Bindings["cron"]); c != nil {
				got = c.Crons
			}
			if !reflect.DeepEqual(got, tt.crons) {
				t.Errorf("crons %q, want %q", got, tt.crons)
			}
		})
	}
}
