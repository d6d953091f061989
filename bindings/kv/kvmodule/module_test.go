package kvmodule_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/bindings/kv/kvmodule"
	"github.com/bindery-run/bindery/bindings/kv/kvwit"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// TestConfigErrors: the module decodes kv_namespaces, and the config
// loader puts the file, line and column on what it reports.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            []string // in the error, or in the warnings when ok
		ok              bool
		ns              []kvmodule.Namespace
	}{
		{"valid", "wrangler.toml", "[[kv_namespaces]]\nbinding = \"STORE\"\nid = \"store-id\"\n\n[[kv_namespaces]]\nbinding = \"B\"\n",
			nil, true, []kvmodule.Namespace{{Binding: "STORE", ID: "store-id"}, {Binding: "B"}}},
		{"binding not a string", "wrangler.toml", "name = \"w\"\n[[kv_namespaces]]\nbinding = 7\n",
			[]string{"wrangler.toml:3:1: kv_namespaces[0].binding: expected a string, found integer"}, false, nil},
		{"missing binding", "wrangler.toml", "[[kv_namespaces]]\nid = \"x\"\n",
			[]string{"wrangler.toml:1:1: kv_namespaces[0].binding: missing required field \"binding\""}, false, nil},
		{"unknown field with suggestion", "wrangler.toml", "[[kv_namespaces]]\nbinding = \"K\"\nidd = \"x\"\n",
			[]string{"wrangler.toml:3:1: kv_namespaces[0].idd: unknown field \"idd\" (did you mean \"id\"?)"}, false, nil},
		{"not an array", "wrangler.jsonc", "{\n  \"kv_namespaces\": {\"binding\": \"K\"}\n}\n",
			[]string{"wrangler.jsonc:2:3: kv_namespaces: expected an array, found object"}, false, nil},
		{"duplicate across modules", "wrangler.toml", "[vars]\nK = \"v\"\n\n[[kv_namespaces]]\nbinding = \"K\"\n",
			[]string{"wrangler.toml:5:1: kv_namespaces[0].binding: binding name \"K\" is already used by vars.K (line 2)"}, false, nil},
		{"remote is a warning", "wrangler.toml", "[[kv_namespaces]]\nbinding = \"K\"\nremote = true\n",
			[]string{"wrangler.toml:3:1: field \"kv_namespaces[0].remote\" is not used by bindery dev"}, true, []kvmodule.Namespace{{Binding: "K"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := wrangler.Parse(tt.file, []byte(tt.src), "", kvmodule.Module().Parser())
			if !tt.ok {
				if err == nil {
					t.Fatalf("no error, want %q", tt.want)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nwant %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := kvmodule.Namespaces(cfg.Bindings["kv"])
			if len(got) != len(tt.ns) {
				t.Fatalf("namespaces = %+v, want %+v", got, tt.ns)
			}
			for i := range got {
				if got[i] != tt.ns[i] {
					t.Errorf("namespace %d = %+v, want %+v", i, got[i], tt.ns[i])
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(cfg.Warnings, "\n"), w) {
					t.Errorf("warnings %q, want %q", cfg.Warnings, w)
				}
			}
		})
	}
}

// TestWithoutModule: a config loader without the KV module still knows
// kv_namespaces (its names count for duplicates) but warns it is unused.
func TestWithoutModule(t *testing.T) {
	cfg, err := wrangler.Parse("wrangler.toml", []byte("[[kv_namespaces]]\nbinding = \"K\"\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], `wrangler.toml:1:1: field "kv_namespaces" is not used by bindery dev`) {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
	if cfg.Bindings["kv"] != nil {
		t.Errorf("Bindings = %v", cfg.Bindings)
	}
}

// TestOpen opens the module over a data directory: the namespaces the
// config declares exist, the binding serves them and the admin routes
// are there.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := kvmodule.Module()
	cfg := []kvmodule.Namespace{{Binding: "STORE", ID: "store-id"}, {Binding: "B"}}
	env := bindings.Env{Worker: "w", State: st, Config: cfg}
	o, err := m.Open(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := st.KVNamespaces(ctx)
	if err != nil || strings.Join(ids, ",") != "B,store-id" {
		t.Errorf("namespaces = %q, %v", ids, err)
	}
	if len(o.Bindings) != 1 || o.Bindings[0].WIT().Name != m.Interfaces[0].Name {
		t.Errorf("bindings = %v", o.Bindings)
	}
	if len(o.Routes) == 0 {
		t.Error("no admin routes")
	}
	if got := strings.Join(m.Describe(env), ", "); got != "env.STORE (KV store-id), env.B (KV B)" {
		t.Errorf("Describe = %q", got)
	}
}

// TestClock: a key put with a TTL through the binding bindings.Open gives
// a Worker expires when the host's manual clock passes it, with no sleep;
// the admin API reads the same clock.
func TestClock(t *testing.T) {
	ctx := context.Background()
	st, err := state.Open(t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := clock.NewManual(time.Now())
	cfg := map[string]any{"kv": []kvmodule.Namespace{{Binding: "STORE"}}}
	opened, err := bindings.Open(ctx, []bindings.Module{kvmodule.Module()}, bindings.Env{Worker: "w", State: st, Clock: c}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns, werr := opened[0].Bindings[0].(*kv.Binding).NamespaceOpen(ctx, "STORE")
	if werr != nil {
		t.Fatal(werr)
	}
	if werr := ns.Put(ctx, "k", []byte("v"), kvwit.PutOptions{ExpirationTTL: abi.Some[uint64](60)}); werr != nil {
		t.Fatal(werr)
	}
	get := func() bool {
		t.Helper()
		v, werr := ns.Get(ctx, "k")
		if werr != nil {
			t.Fatal(werr)
		}
		return v.Some
	}
	admin := func() bool {
		t.Helper()
		h := adminHandler(opened[0].Routes)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/kv/namespaces/STORE/values/k", nil))
		return rec.Code == http.StatusOK
	}
	c.Advance(59 * time.Second)
	if !get() || !admin() {
		t.Fatal("the key expired before its TTL")
	}
	c.Advance(time.Second)
	if get() {
		t.Error("the key is there once the clock passed its TTL")
	}
	if admin() {
		t.Error("the admin API still serves the key once the clock passed its TTL")
	}
}

// adminHandler serves routes, as the host's admin API does, without its
// token check.
func adminHandler(routes []bindings.Route) http.Handler {
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.HandleFunc(r.Pattern, r.Handler)
	}
	return mux
}
