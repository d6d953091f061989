package d1_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/d1/d1test"
)

func TestConformance(t *testing.T) {
	flavours := []struct {
		name string
		open d1test.Open
	}{
		{"file", func(t *testing.T, o d1.Options) *d1.Database {
			db, err := d1.Open(context.Background(), filepath.Join(t.TempDir(), "db.sqlite"), o)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
		{"memory", func(t *testing.T, o d1.Options) *d1.Database {
			db, err := d1.OpenMemory(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
	}
	for _, f := range flavours {
		t.Run(f.name, func(t *testing.T) { d1test.Run(t, f.open) })
	}
}
