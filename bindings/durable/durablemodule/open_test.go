package durablemodule_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/durable/durablemodule"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/bindings/state"
)

// TestMigrationsData: a renamed class keeps its objects where they are;
// a deleted class's objects go, once per migration tag, so a class made
// again by a later migration keeps what it writes after.
func TestMigrationsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := state.Open(dir, state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	open := func(ms ...durablemodule.Migration) durablemodule.Classes {
		t.Helper()
		classes, errs := durablemodule.Apply(ms)
		if errs != nil {
			t.Fatal(errs[0])
		}
		env := bindings.Env{Worker: "w", State: st, Logger: slog.New(slog.DiscardHandler), Config: &durablemodule.Config{Migrations: ms, Classes: classes}}
		o, err := durablemodule.Module().Open(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Close(); err != nil {
			t.Fatal(err)
		}
		return classes
	}
	// write puts a key in one object of each of the classes' storage.
	write := func(classes durablemodule.Classes, class string) string {
		cl := classes[class]
		path := filepath.Join(durablemodule.Dir(dir, cl.StorageName("w")), "00.sqlite")
		s := storage.NewSQLite(path, storage.SQLiteOptions{})
		defer s.Close()
		if err := s.Put(ctx, []storage.Entry{{Key: "k", Value: []byte("v")}}); err != nil {
			t.Fatal(err)
		}
		return path
	}
	exists := func(path string) bool { _, err := os.Stat(path); return err == nil }

	v1 := durablemodule.Migration{Tag: "v1", NewSQLiteClasses: []string{"Counter", "Old"}}
	classes := open(v1)
	counter, old := write(classes, "Counter"), write(classes, "Old")
	v2 := durablemodule.Migration{Tag: "v2", RenamedClasses: []durablemodule.Rename{{From: "Counter", To: "Tally"}}, DeletedClasses: []string{"Old"}}
	classes = open(v1, v2)
	if got := filepath.Join(durablemodule.Dir(dir, classes["Tally"].StorageName("w")), "00.sqlite"); got != counter || !exists(counter) {
		t.Errorf("renamed Counter to Tally: its object is at %s (exists %v), want %s", got, exists(counter), counter)
	}
	if exists(old) {
		t.Errorf("deleted Old: %s is still there", old)
	}
	v3 := durablemodule.Migration{Tag: "v3", NewSQLiteClasses: []string{"Old"}}
	classes = open(v1, v2, v3)
	again := write(classes, "Old")
	open(v1, v2, v3) // v2 applied already: the new Old keeps its data
	if !exists(again) {
		t.Errorf("Old made again by v3: its object %s was deleted at the next start", again)
	}
}
