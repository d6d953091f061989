package r2module_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/r2/r2module"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// TestConfig: the module decodes r2_buckets through the config loader,
// whose errors carry the file and line.
func TestConfig(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // in the error; "" for success
		buckets   []r2module.Bucket
	}{
		{"valid", "[[r2_buckets]]\nbinding = \"FILES\"\nbucket_name = \"files\"\n\n[[r2_buckets]]\nbinding = \"B\"\n", "",
			[]r2module.Bucket{{Binding: "FILES", BucketName: "files"}, {Binding: "B"}}},
		{"bad binding name", "[[r2_buckets]]\nbinding = \"a-b\"\n", `wrangler.toml:2:1: r2_buckets[0].binding: binding name "a-b" is not a valid JavaScript identifier`, nil},
		{"unknown field", "[[r2_buckets]]\nbinding = \"B\"\nbucket = \"x\"\n", `wrangler.toml:3:1: r2_buckets[0].bucket: unknown field "bucket"`, nil},
		{"entry not a table", "r2_buckets = [\"x\"]\n", `wrangler.toml:1:15: r2_buckets[0]: expected a table, found string`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := wrangler.Parse("wrangler.toml", []byte(tt.src), "", r2module.Module().Parser())
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := r2module.Buckets(cfg.Bindings["r2"])
			if len(got) != len(tt.buckets) {
				t.Fatalf("buckets = %+v, want %+v", got, tt.buckets)
			}
			for i := range got {
				if got[i] != tt.buckets[i] {
					t.Errorf("bucket %d = %+v, want %+v", i, got[i], tt.buckets[i])
				}
			}
		})
	}
}

// TestOpen: the buckets the config declares exist, the sweep job and the
// S3 server are there, and the S3 credentials are made only when the
// server starts.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := state.Open(dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := r2module.Module()
	env := bindings.Env{Worker: "w", State: st, Config: []r2module.Bucket{{Binding: "FILES", BucketName: "files"}, {Binding: "pics"}}}
	if !m.Servers[0].Want(env.Config) || m.Servers[0].Want(nil) {
		t.Error("the S3 server is wanted exactly when the config has buckets")
	}
	o, err := m.Open(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := st.R2().Buckets(ctx)
	if err != nil || len(bs) != 2 || bs[0].Name != "files" || bs[1].Name != "pics" {
		t.Errorf("buckets = %+v, %v", bs, err)
	}
	if len(o.Jobs) != 1 || len(o.Routes) == 0 || len(o.Bindings) != 1 {
		t.Errorf("opened = %+v", o)
	}
	creds := filepath.Join(dir, "s3-credentials.json")
	if _, err := os.Stat(creds); err == nil {
		t.Error("credentials made before the S3 server starts")
	}
	h, line, err := o.Servers[r2module.S3Flag](&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8788})
	if err != nil || h == nil || !strings.HasPrefix(line, "S3 API on http://127.0.0.1:8788 ") {
		t.Errorf("S3 server: %v, %q", err, line)
	}
	if _, err := os.Stat(creds); err != nil {
		t.Errorf("no credentials after the S3 server started: %v", err)
	}
}
