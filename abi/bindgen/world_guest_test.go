package bindgen

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	imagefilter "github.com/bindery-run/bindery/abi/bindgen/testdata/imagefilter/host"
	"github.com/bindery-run/bindery/host"
)

// TestWorldOnGuest calls each plugin through host.Guest: the sandbox a
// service runs plugins in, default-deny WASI.
func TestWorldOnGuest(t *testing.T) {
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(ctx) })
	for _, lang := range []string{"go", "c", "rust"} {
		t.Run(lang, func(t *testing.T) {
			wasm := imageFilterGuests()[lang](t)
			logs := &logHost{}
			g, err := rt.NewGuest(ctx, host.GuestConfig{
				Name:     "filter-" + lang,
				Wasm:     wasm,
				Bindings: []host.Binding{imagefilter.NewLogBinding(logs), imagefilter.NewImageFilterBinding(clock(1234))},
				Check:    imagefilter.Check,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { g.Close(ctx) })
			p := imagefilter.New(g)
			got, err := p.Apply(ctx, []byte{10, 20, 250}, imagefilter.Params{Brightness: 10})
			if err != nil || !slices.Equal(got, []byte{20, 30, 255}) {
				t.Errorf("Apply = %v, %v", got, err)
			}
			_, err = p.Apply(ctx, nil, imagefilter.Params{})
			var fe imagefilter.Error
			if !errors.As(err, &fe) || fe.Tag != imagefilter.ErrorBadImage {
				t.Errorf("Apply(nil) = %v, want the guest's bad-image", err)
			}
			v, err := p.Version(ctx)
			if err != nil || !strings.HasPrefix(v, lang+" 1 at 1234") {
				t.Errorf("Version = %q, %v", v, err)
			}
			d, err := p.InfoDescribe(ctx)
			if err != nil || len(d) != 3 {
				t.Errorf("InfoDescribe = %q, %v", d, err)
			}
		})
	}
}
