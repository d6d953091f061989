package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/state"
)

// TestQueuesCommand runs bindery queues on a data directory with no dev
// server: messages sent wait there, peek shows them without consuming,
// purge deletes them, update sets the retention; bad input is refused
// before the data is touched.
func TestQueuesCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	st, err := state.Open(data, state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	p := "--persist-to=" + data
	tests := []struct {
		args    []string
		wantErr string // in the error or stderr; "" means success
		usage   bool
		out     func(string) bool
	}{
		{args: []string{"send", "jobs", "hello"}},
		{args: []string{"send", "jobs", `{"n":1}`, "--content-type", "json", "--delay-seconds", "60"}},
		{args: []string{"send", "jobs", "--path", "-", "--content-type", "bytes"}},
		{args: []string{"peek", "jobs", "--json"}, out: func(s string) bool {
			var ms []struct {
				State, ContentType string
				Body               []byte
			}
			return json.Unmarshal([]byte(s), &ms) == nil && len(ms) == 3 && ms[0].State == "pending" &&
				string(ms[0].Body) == "hello" && ms[2].ContentType == "json" && string(ms[1].Body) == "from stdin"
		}},
		{args: []string{"peek", "jobs"}, out: func(s string) bool {
			return strings.Contains(s, `"hello"`) && strings.Contains(s, "66726f6d20737464696e") && strings.HasPrefix(s, "ID ")
		}},
		{args: []string{"info", "jobs", "--json"}, out: func(s string) bool {
			var in struct{ Ready, Delayed int }
			return json.Unmarshal([]byte(s), &in) == nil && in.Ready == 2 && in.Delayed == 1
		}},
		{args: []string{"list"}, out: func(s string) bool { return strings.Contains(s, "jobs ") && strings.Contains(s, "96h0m0s") }},
		{args: []string{"update", "jobs", "--message-retention-period-secs", "3600"}},
		{args: []string{"info", "jobs"}, out: func(s string) bool { return strings.Contains(s, "1h0m0s") }},
		{args: []string{"update", "jobs", "--message-retention-period-secs", "1209601"}, wantErr: "14 days"},
		{args: []string{"purge", "jobs"}},
		{args: []string{"info", "jobs", "--json"}, out: func(s string) bool { return strings.Contains(s, `"ready": 0`) && strings.Contains(s, `"delayed": 0`) }},

		{args: []string{"send", "jobs", "not json", "--content-type", "json"}, wantErr: "not JSON"},
		{args: []string{"send", "jobs", "x", "--content-type", "v8"}, wantErr: "want text, bytes or json"},
		{args: []string{"send", "jobs", "x", "--delay-seconds", "86401"}, wantErr: "86401"},
		{args: []string{"send", "jobs", strings.Repeat("x", 131072)}, wantErr: "128 KB"},
		{args: []string{"send", "jobs"}, wantErr: "wrong number of arguments", usage: true},
		{args: []string{"update", "jobs"}, wantErr: "--message-retention-period-secs", usage: true},
		{args: []string{"pop", "jobs"}, wantErr: `unknown command "pop"`, usage: true},
		{args: []string{"list", "--persist-to", filepath.Join(dir, "nope")}, wantErr: "no data directory"},
	}
	for _, tt := range tests {
		args := append([]string{"queues"}, tt.args...)
		if !strings.HasPrefix(tt.args[len(tt.args)-1], "--persist-to") && !strings.Contains(strings.Join(tt.args, " "), "--persist-to") {
			args = append(args, p)
		}
		out, errOut, err := runCLI(t, dir, args...)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%q: %v\n%s", tt.args, err, errOut)
			continue
		case tt.wantErr != "" && err == nil:
			t.Errorf("%q succeeded, want an error with %q", tt.args, tt.wantErr)
			continue
		case tt.wantErr != "" && !strings.Contains(err.Error()+errOut, tt.wantErr):
			t.Errorf("%q: error %q %q lacks %q", tt.args, err, errOut, tt.wantErr)
		case tt.usage != errors.Is(err, errUsage):
			t.Errorf("%q: err = %v, usage error %v", tt.args, err, tt.usage)
		}
		if tt.out != nil && !tt.out(out) {
			t.Errorf("%q: output\n%s", tt.args, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); err == nil {
		t.Error("a missing data directory was created")
	}
}
