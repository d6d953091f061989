package durablemodule

import (
	"fmt"
	"sort"

	"github.com/bindery-run/bindery/bindings/config"
)

// Migration is one [[migrations]] entry: the classes a deploy of the
// Worker creates, renames, deletes or takes over, under a tag.
type Migration struct {
	// Tag names the migration; tags are unique.
	Tag string
	// NewClasses are created as KV-backed classes (the older kind).
	NewClasses []string
	// NewSQLiteClasses are created as SQLite-backed classes.
	NewSQLiteClasses []string
	// RenamedClasses rename classes: the objects, their storage and
	// their ids move to the new name.
	RenamedClasses []Rename
	// DeletedClasses are deleted with their objects and storage.
	DeletedClasses []string
	// TransferredClasses take classes over from another Worker.
	TransferredClasses []Transfer
}

// Rename is one renamed_classes entry.
type Rename struct {
	From, To string
}

// Transfer is one transferred_classes entry: class From of the Worker
// FromScript becomes this Worker's class To.
type Transfer struct {
	From, FromScript, To string
}

// Class is a Durable Object class as the migrations leave it.
type Class struct {
	// Name is the class's name (the exported class).
	Name string
	// SQLite reports a SQLite-backed class (new_sqlite_classes); false
	// is a KV-backed one (new_classes). A transferred class has the kind
	// of the class it came from, which this config does not say: false
	// here, see Transfer.
	SQLite bool
	// Created is the index of the migration that created the class (or
	// renamed or transferred it to this name).
	Created int
	// RenamedFrom is the class's earlier names, oldest first.
	RenamedFrom []string
	// Transfer is set for a class taken over from another Worker.
	Transfer *Transfer
}

// Classes is the class set the migrations produce, by name.
type Classes map[string]Class

// Names returns the class names, sorted.
func (c Classes) Names() []string {
	out := make([]string, 0, len(c))
	for n := range c {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// MigrationError is a migration Apply cannot apply: it names the entry
// (migrations[Migration].Field[Index]) and says why.
type MigrationError struct {
	// Migration is the index of the migration in the list.
	Migration int
	// Field is the list at fault ("new_classes", "renamed_classes",
	// ...) or "tag".
	Field string
	// Index is the element of Field at fault, -1 for Field itself.
	Index int
	// Msg says what is wrong.
	Msg string
}

// Path returns where the error is, under the path of the migrations list
// (config.Path{}.Key("migrations"), or env.X.migrations).
func (e *MigrationError) Path(base config.Path) config.Path {
	p := base.Index(e.Migration).Key(e.Field)
	if e.Index >= 0 {
		p = p.Index(e.Index)
	}
	return p
}

// Error names the entry and the fault.
func (e *MigrationError) Error() string {
	return e.Path(config.Path{}.Key("migrations")).String() + ": " + e.Msg
}

// state is the class set while migrations are applied: the live classes,
// and what happened to names that are gone, for messages.
type state struct {
	classes Classes
	gone    map[string]string // name -> "deleted by migrations[2]", "renamed to X by migrations[1]"
}

// Apply applies migrations in order, as Cloudflare does on a deploy (and
// wrangler dev locally): in each, deleted_classes, then renamed_classes,
// then new_classes, new_sqlite_classes and transferred_classes. It
// returns the classes that exist after the last one, or every problem it
// found (a *MigrationError each, in order): a duplicate or empty tag, a
// class named twice in one migration, a class created that exists, a
// class deleted or renamed that does not.
func Apply(migrations []Migration) (Classes, []*MigrationError) {
	s := state{classes: Classes{}, gone: map[string]string{}}
	var errs []*MigrationError
	tags := map[string]int{}
	for i, m := range migrations {
		fail := func(field string, j int, format string, args ...any) {
			errs = append(errs, &MigrationError{Migration: i, Field: field, Index: j, Msg: fmt.Sprintf(format, args...)})
		}
		switch prev, dup := tags[m.Tag]; {
		case m.Tag == "":
			fail("tag", -1, "a migration's tag must not be empty")
		case dup:
			fail("tag", -1, "tag %q is also the tag of migrations[%d]: tags name one migration each", m.Tag, prev)
		default:
			tags[m.Tag] = i
		}
		bad := checkOnce(m, fail)
		where := fmt.Sprintf("migrations[%d]", i)
		for j, c := range m.DeletedClasses {
			if bad[entry{"deleted_classes", j}] {
				continue
			}
			if _, ok := s.classes[c]; !ok {
				fail("deleted_classes", j, "cannot delete class %q: %s", c, s.missing(c))
				continue
			}
			delete(s.classes, c)
			s.gone[c] = "deleted by " + where
		}
		for j, r := range m.RenamedClasses {
			if bad[entry{"renamed_classes", j}] {
				continue
			}
			cl, ok := s.classes[r.From]
			switch {
			case !ok:
				fail("renamed_classes", j, "cannot rename class %q to %q: %s", r.From, r.To, s.missing(r.From))
				continue
			case s.exists(r.To):
				fail("renamed_classes", j, "cannot rename class %q to %q: class %q exists (created by migrations[%d])", r.From, r.To, r.To, s.classes[r.To].Created)
				continue
			}
			delete(s.classes, r.From)
			s.gone[r.From] = fmt.Sprintf("renamed to %q by %s", r.To, where)
			delete(s.gone, r.To)
			cl.Name, cl.Created, cl.RenamedFrom = r.To, i, append(append([]string(nil), cl.RenamedFrom...), r.From)
			s.classes[r.To] = cl
		}
		create := func(field string, j int, c Class) {
			if bad[entry{field, j}] {
				return
			}
			if s.exists(c.Name) {
				fail(field, j, "cannot create class %q: it exists (created by migrations[%d])", c.Name, s.classes[c.Name].Created)
				return
			}
			delete(s.gone, c.Name)
			s.classes[c.Name] = c
		}
		for j, c := range m.NewClasses {
			create("new_classes", j, Class{Name: c, Created: i})
		}
		for j, c := range m.NewSQLiteClasses {
			create("new_sqlite_classes", j, Class{Name: c, SQLite: true, Created: i})
		}
		for j, t := range m.TransferredClasses {
			t := t
			create("transferred_classes", j, Class{Name: t.To, Created: i, Transfer: &t})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s.classes, nil
}

func (s *state) exists(c string) bool {
	_, ok := s.classes[c]
	return ok
}

// missing says why class c does not exist.
func (s *state) missing(c string) string {
	if why, ok := s.gone[c]; ok {
		return "it was " + why
	}
	return "no earlier migration creates it"
}

// entry names one element of a migration's list.
type entry struct {
	field string
	j     int
}

// checkOnce reports an empty class name and a class named twice in one
// migration: in two lists, or twice in one (a rename counts its old and
// its new name). It returns the entries it reported, which Apply skips
// so that one fault gives one error.
func checkOnce(m Migration, fail func(field string, j int, format string, args ...any)) map[entry]bool {
	bad := map[entry]bool{}
	seen := map[string]entry{}
	note := func(field string, j int, c string) {
		e := entry{field, j}
		if c == "" {
			fail(field, j, "a class name must not be empty")
			bad[e] = true
			return
		}
		if prev, ok := seen[c]; ok {
			if prev != e {
				fail(field, j, "class %q is also in %s[%d] of this migration: a migration names a class once", c, prev.field, prev.j)
			} else {
				fail(field, j, "renames class %q to itself", c)
			}
			bad[e] = true
			return
		}
		seen[c] = e
	}
	for j, c := range m.DeletedClasses {
		note("deleted_classes", j, c)
	}
	for j, r := range m.RenamedClasses {
		note("renamed_classes", j, r.From)
		if !bad[entry{"renamed_classes", j}] {
			note("renamed_classes", j, r.To)
		}
	}
	for j, c := range m.NewClasses {
		note("new_classes", j, c)
	}
	for j, c := range m.NewSQLiteClasses {
		note("new_sqlite_classes", j, c)
	}
	for j, t := range m.TransferredClasses {
		note("transferred_classes", j, t.To)
	}
	return bad
}
