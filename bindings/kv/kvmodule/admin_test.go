package kvmodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/kv"
	"github.com/bindery-run/bindery/internal/admin"
)

const testToken = "secret"

// handler serves the admin API with the KV routes over store.
func handler(store KVStore) http.Handler {
	return admin.Handler(adminRoutes(Routes(store)), testToken)
}

// adminRoutes converts module routes to admin routes.
func adminRoutes(rs []bindings.Route) []admin.Route {
	out := make([]admin.Route, len(rs))
	for i, r := range rs {
		out[i] = admin.Route{Pattern: r.Pattern, Handler: r.Handler}
	}
	return out
}

// fakeRegistry is a KVStore and KVRegistry in memory.
type fakeRegistry struct {
	mu  sync.Mutex
	ids []string
}

func (f *fakeRegistry) KV(id string) *kv.Namespace {
	return kv.NewNamespace(kv.NewMemory(nil), kv.DefaultLimits(), nil)
}

func (f *fakeRegistry) KVNamespaces(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(slices.Values(f.ids)), nil
}

func (f *fakeRegistry) CreateKVNamespace(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "bad" {
		return fmt.Errorf("%w: bad id", kv.ErrInvalidArgument)
	}
	if !slices.Contains(f.ids, id) {
		f.ids = append(f.ids, id)
	}
	return nil
}

// kvOnly is a KVStore that keeps no list of namespaces.
type kvOnly struct{}

func (kvOnly) KV(string) *kv.Namespace { return nil }

func TestKVRegistryRoutes(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(handler(&fakeRegistry{}))
	defer srv.Close()
	c := NewClient(srv.URL, testToken, nil)
	steps := []struct {
		create  string // create this namespace, else list
		want    []string
		wantErr int // the API's status
	}{
		{want: []string{}},
		{create: "b"},
		{create: "a/x"}, // escaped in the path
		{create: "b"},   // again: nothing happens
		{create: "bad", wantErr: http.StatusBadRequest},
		{want: []string{"a/x", "b"}},
	}
	for i, s := range steps {
		var err error
		var got []string
		if s.create != "" {
			err = c.CreateKVNamespace(ctx, s.create)
		} else {
			got, err = c.KVNamespaces(ctx)
		}
		var apiErr *admin.Error
		switch {
		case s.wantErr != 0 && (!errors.As(err, &apiErr) || apiErr.Status != s.wantErr):
			t.Errorf("step %d: err = %v, want status %d", i, err, s.wantErr)
		case s.wantErr == 0 && err != nil:
			t.Errorf("step %d: %v", i, err)
		case s.create == "" && fmt.Sprint(got) != fmt.Sprint(s.want):
			t.Errorf("step %d: namespaces = %q, want %q", i, got, s.want)
		}
	}

	// A store that keeps no list: 501.
	plain := httptest.NewServer(handler(kvOnly{}))
	defer plain.Close()
	c = NewClient(plain.URL, testToken, nil)
	var apiErr *admin.Error
	if _, err := c.KVNamespaces(ctx); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotImplemented {
		t.Errorf("KVNamespaces without a registry: %v, want 501", err)
	}
	if err := c.CreateKVNamespace(ctx, "a"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotImplemented {
		t.Errorf("CreateKVNamespace without a registry: %v, want 501", err)
	}
}
