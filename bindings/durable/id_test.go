package durable_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/badgerdb"
)

func testNamespace(class string, seed byte) *durable.Namespace {
	var k durable.Key
	for i := range k {
		k[i] = seed + byte(i)
	}
	return durable.NewNamespace(class, k)
}

// TestIDFromName: a name always gives the same named id in one namespace,
// different names and namespaces give different ids, and the id parses
// back.
func TestIDFromName(t *testing.T) {
	a, b := testNamespace("Counter", 1), testNamespace("Counter", 2)
	names := []string{"", "alice", "Alice", "alice ", "ünïcode", strings.Repeat("x", 10000), "\x00"}
	seen := map[durable.ID]string{}
	for _, name := range names {
		id := a.IDFromName(name)
		if id != a.IDFromName(name) {
			t.Errorf("IDFromName(%q) differs between calls", name)
		}
		if prev, ok := seen[id]; ok {
			t.Errorf("IDFromName(%q) = IDFromName(%q)", name, prev)
		}
		seen[id] = name
		if id.IsUnique() {
			t.Errorf("IDFromName(%q) has the unique bit set", name)
		}
		if id == b.IDFromName(name) {
			t.Errorf("IDFromName(%q) is the same in two namespaces", name)
		}
		s := id.String()
		if len(s) != 64 || strings.ToLower(s) != s {
			t.Errorf("String() = %q, want 64 lower-case hex digits", s)
		}
		back, err := a.IDFromString(s)
		if err != nil || back != id {
			t.Errorf("IDFromString(%s) = %v, %v", s, back, err)
		}
	}
}

// TestNewUniqueID: unique ids have the top bit set, differ, and parse
// back in their namespace only.
func TestNewUniqueID(t *testing.T) {
	a, b := testNamespace("Room", 1), testNamespace("Room", 2)
	seen := map[durable.ID]bool{}
	for range 1000 {
		id, err := a.NewUniqueID()
		if err != nil {
			t.Fatal(err)
		}
		if !id.IsUnique() || id[0]&0x80 == 0 {
			t.Fatalf("unique id %s lacks the top bit", id)
		}
		if seen[id] {
			t.Fatalf("NewUniqueID repeated %s", id)
		}
		seen[id] = true
		if back, err := a.IDFromString(id.String()); err != nil || back != id {
			t.Fatalf("IDFromString(%s) = %v, %v", id, back, err)
		}
		if _, err := b.IDFromString(id.String()); !errors.Is(err, durable.ErrOtherNamespace) {
			t.Fatalf("another namespace took %s: %v", id, err)
		}
	}
}

// TestIDFromString: malformed ids and ids of another namespace are typed
// errors that name the input, the class and the fault.
func TestIDFromString(t *testing.T) {
	ns := testNamespace("Counter", 1)
	good := ns.IDFromName("alice").String()
	flip := []byte(good)
	flip[63] ^= 1 // a MAC digit changed: 0<->1, 2<->3, ... stay hex
	if flip[63] > 'f' || (flip[63] > '9' && flip[63] < 'a') {
		t.Fatalf("bad flip %q", flip[63])
	}
	keyFlip := []byte(good)
	keyFlip[0] ^= 1
	tests := []struct {
		name, in string
		kind     error
		detail   string
	}{
		{"empty", "", durable.ErrMalformedID, "want 64 hex digits, got 0 characters"},
		{"short", good[:63], durable.ErrMalformedID, "got 63 characters"},
		{"long", good + "0", durable.ErrMalformedID, "got 65 characters"},
		{"upper case", strings.ToUpper(good), durable.ErrMalformedID, "is upper case (ids are lower-case hex)"},
		{"upper case digit", "A" + good[1:], durable.ErrMalformedID, "character 1 ('A') is upper case"},
		{"not hex", good[:10] + "g" + good[11:], durable.ErrMalformedID, "character 11 ('g') is not a hex digit"},
		{"multibyte", good[:62] + "é", durable.ErrMalformedID, "is not a hex digit"},
		{"mac changed", string(flip), durable.ErrOtherNamespace, "not made by this class's namespace"},
		{"key changed", string(keyFlip), durable.ErrOtherNamespace, "not made by this class's namespace"},
		{"other namespace", testNamespace("Counter", 2).IDFromName("alice").String(), durable.ErrOtherNamespace, ""},
		{"zero", strings.Repeat("0", 64), durable.ErrOtherNamespace, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ns.IDFromString(tt.in)
			if err == nil {
				t.Fatalf("IDFromString(%q) = %s, want an error", tt.in, id)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v, want %v", err, tt.kind)
			}
			var ie *durable.IDError
			if !errors.As(err, &ie) || ie.Input != tt.in || ie.Class != "Counter" {
				t.Fatalf("error %#v, want an *IDError naming the input and class", err)
			}
			if !strings.Contains(err.Error(), "Counter") || !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q, want the class and %q", err, tt.detail)
			}
			if id != (durable.ID{}) {
				t.Errorf("a failed parse returned %s", id)
			}
		})
	}
	long := strings.Repeat("z", 1<<20)
	_, err := ns.IDFromString(long)
	if msg := err.Error(); len(msg) > 300 {
		t.Errorf("a 1 MiB input gives a %d-byte message", len(msg))
	}
}

// TestKeyStores: both stores keep the first key of a class, rename and
// delete keys, and a namespace opened again makes the same ids.
func TestKeyStores(t *testing.T) {
	ctx := context.Background()
	db, err := badgerdb.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, keys := range map[string]durable.KeyStore{"memory": durable.NewMemoryKeys(), "badger": durable.NewBadgerKeys(db)} {
		t.Run(name, func(t *testing.T) {
			a, err := durable.OpenNamespace(ctx, keys, "Counter")
			if err != nil {
				t.Fatal(err)
			}
			again, err := durable.OpenNamespace(ctx, keys, "Counter")
			if err != nil {
				t.Fatal(err)
			}
			id := a.IDFromName("alice")
			if again.IDFromName("alice") != id {
				t.Fatal("a namespace opened again has another key")
			}
			other, err := durable.OpenNamespace(ctx, keys, "Room")
			if err != nil {
				t.Fatal(err)
			}
			if other.IDFromName("alice") == id {
				t.Error("two classes share a key")
			}
			if _, err := other.IDFromString(id.String()); !errors.Is(err, durable.ErrOtherNamespace) {
				t.Errorf("class Room took Counter's id: %v", err)
			}
			// Renamed: the new name has the old key.
			if err := keys.RenameKey(ctx, "Counter", "Tally"); err != nil {
				t.Fatal(err)
			}
			tally, err := durable.OpenNamespace(ctx, keys, "Tally")
			if err != nil {
				t.Fatal(err)
			}
			if tally.IDFromName("alice") != id {
				t.Error("a renamed class lost its key")
			}
			if err := keys.RenameKey(ctx, "Tally", "Room"); !errors.Is(err, durable.ErrKeyExists) {
				t.Errorf("rename onto a class with a key: %v, want ErrKeyExists", err)
			}
			if err := keys.RenameKey(ctx, "Never", "Used"); err != nil {
				t.Errorf("rename of a class with no key: %v", err)
			}
			// Deleted: a class of the old name starts afresh.
			if err := keys.DeleteKey(ctx, "Tally"); err != nil {
				t.Fatal(err)
			}
			if err := keys.DeleteKey(ctx, "Tally"); err != nil {
				t.Errorf("second delete: %v", err)
			}
			fresh, err := durable.OpenNamespace(ctx, keys, "Tally")
			if err != nil {
				t.Fatal(err)
			}
			if fresh.IDFromName("alice") == id {
				t.Error("a deleted class's key came back")
			}
			if _, err := durable.OpenNamespace(ctx, keys, ""); err == nil {
				t.Error("a namespace with no class name opened")
			}
			canceled, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := durable.OpenNamespace(canceled, keys, "X"); !errors.Is(err, context.Canceled) {
				t.Errorf("canceled open: %v", err)
			}
		})
	}
}

// TestKeysConcurrent: callers racing to open a new class all get one key.
func TestKeysConcurrent(t *testing.T) {
	ctx := context.Background()
	db, err := badgerdb.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := durable.NewBadgerKeys(db)
	ids := make([]durable.ID, 16)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns, err := durable.OpenNamespace(ctx, keys, "Counter")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = ns.IDFromName("x")
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatal("racing opens got different keys")
		}
	}
}

// TestKeysSurviveReopen: the Badger store's keys outlive the database
// handle, so ids stay valid across host restarts.
func TestKeysSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var id durable.ID
	for i := range 2 {
		db, err := badgerdb.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		ns, err := durable.OpenNamespace(ctx, durable.NewBadgerKeys(db), "Counter")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			id = ns.IDFromName("alice")
		} else if _, err := ns.IDFromString(id.String()); err != nil {
			t.Errorf("after reopening: %v", err)
		}
		db.Close()
	}
}

// FuzzIDFromString: any input either fails with a typed error or is an
// id whose String is the input; no input of another namespace passes.
func FuzzIDFromString(f *testing.F) {
	ns := testNamespace("Counter", 1)
	other := testNamespace("Counter", 2)
	f.Add(ns.IDFromName("alice").String())
	u, _ := ns.NewUniqueID()
	f.Add(u.String())
	f.Add(strings.Repeat("0", 64))
	f.Add("")
	f.Add(strings.ToUpper(ns.IDFromName("bob").String()))
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ns.IDFromString(s)
		if err != nil {
			var ie *durable.IDError
			if !errors.As(err, &ie) || ie.Input != s || !(errors.Is(err, durable.ErrMalformedID) || errors.Is(err, durable.ErrOtherNamespace)) {
				t.Fatalf("IDFromString(%q): untyped error %v", s, err)
			}
			return
		}
		if id.String() != s {
			t.Fatalf("IDFromString(%q).String() = %q", s, id)
		}
		if _, err := other.IDFromString(s); !errors.Is(err, durable.ErrOtherNamespace) {
			t.Fatalf("%q passes in two namespaces: %v", s, err)
		}
	})
}

// TestStateKeys: the data directory's key store keeps a class's key
// across a reopen of the directory.
func TestStateKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var id durable.ID
	for i := range 2 {
		st, err := state.Open(dir, state.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ns, err := durable.OpenNamespace(ctx, st.DurableKeys(), "Counter")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			id = ns.IDFromName("alice")
		} else if got := ns.IDFromName("alice"); got != id {
			t.Errorf("after reopening the directory IDFromName(alice) = %s, was %s", got, id)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
