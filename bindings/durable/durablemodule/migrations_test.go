package durablemodule_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/durable/durablemodule"
)

type mig = durablemodule.Migration

// TestApply: migrations applied in order give the class set, with each
// class's kind, origin and earlier names; each invalid step is one error
// naming its entry.
func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		migs    []mig
		classes durablemodule.Classes
		errs    []string
	}{
		{"none", nil, durablemodule.Classes{}, nil},
		{"create both kinds", []mig{{Tag: "v1", NewClasses: []string{"Old"}, NewSQLiteClasses: []string{"New"}}},
			durablemodule.Classes{"Old": {Name: "Old"}, "New": {Name: "New", SQLite: true}}, nil},
		{"rename chain keeps kind and history", []mig{
			{Tag: "v1", NewSQLiteClasses: []string{"A"}},
			{Tag: "v2", RenamedClasses: []durablemodule.Rename{{From: "A", To: "B"}}},
			{Tag: "v3", RenamedClasses: []durablemodule.Rename{{From: "B", To: "C"}}},
		}, durablemodule.Classes{"C": {Name: "C", SQLite: true, Created: 2, RenamedFrom: []string{"A", "B"}}}, nil},
		{"delete then create anew", []mig{
			{Tag: "v1", NewClasses: []string{"A"}},
			{Tag: "v2", DeletedClasses: []string{"A"}},
			{Tag: "v3", NewSQLiteClasses: []string{"A"}},
		}, durablemodule.Classes{"A": {Name: "A", SQLite: true, Created: 2}}, nil},
		{"swap names across migrations", []mig{
			{Tag: "v1", NewClasses: []string{"A"}, NewSQLiteClasses: []string{"B"}},
			{Tag: "v2", RenamedClasses: []durablemodule.Rename{{From: "A", To: "T"}}},
			{Tag: "v3", RenamedClasses: []durablemodule.Rename{{From: "B", To: "A"}}},
		}, durablemodule.Classes{"T": {Name: "T", Created: 1, RenamedFrom: []string{"A"}}, "A": {Name: "A", SQLite: true, Created: 2, RenamedFrom: []string{"B"}}}, nil},
		{"transfer", []mig{{Tag: "v1", TransferredClasses: []durablemodule.Transfer{{From: "R", FromScript: "old", To: "Room"}}}},
			durablemodule.Classes{"Room": {Name: "Room", Transfer: &durablemodule.Transfer{From: "R", FromScript: "old", To: "Room"}}}, nil},

		{"empty tag", []mig{{NewClasses: []string{"A"}}}, nil, []string{"migrations[0].tag: a migration's tag must not be empty"}},
		{"empty class", []mig{{Tag: "v1", NewClasses: []string{""}}}, nil, []string{"migrations[0].new_classes[0]: a class name must not be empty"}},
		{"rename to itself", []mig{{Tag: "v1", NewClasses: []string{"A"}}, {Tag: "v2", RenamedClasses: []durablemodule.Rename{{From: "A", To: "A"}}}},
			nil, []string{`migrations[1].renamed_classes[0]: renames class "A" to itself`}},
		{"rename onto a live class", []mig{{Tag: "v1", NewClasses: []string{"A", "B"}}, {Tag: "v2", RenamedClasses: []durablemodule.Rename{{From: "A", To: "B"}}}},
			nil, []string{`migrations[1].renamed_classes[0]: cannot rename class "A" to "B": class "B" exists (created by migrations[0])`}},
		{"rename of a renamed class", []mig{{Tag: "v1", NewClasses: []string{"A"}}, {Tag: "v2", RenamedClasses: []durablemodule.Rename{{From: "A", To: "B"}}}, {Tag: "v3", DeletedClasses: []string{"A"}}},
			nil, []string{`migrations[2].deleted_classes[0]: cannot delete class "A": it was renamed to "B" by migrations[1]`}},
		{"twice in one list", []mig{{Tag: "v1", NewClasses: []string{"A", "A"}}},
			nil, []string{`migrations[0].new_classes[1]: class "A" is also in new_classes[0] of this migration`}},
		{"every fault once", []mig{
			{Tag: "v1", NewClasses: []string{"A"}, NewSQLiteClasses: []string{"A"}},
			{Tag: "v1", DeletedClasses: []string{"Z"}},
		}, nil, []string{
			`migrations[0].new_sqlite_classes[0]: class "A" is also in new_classes[0]`,
			`migrations[1].tag: tag "v1" is also the tag of migrations[0]`,
			`migrations[1].deleted_classes[0]: cannot delete class "Z": no earlier migration creates it`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := durablemodule.Apply(tt.migs)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if len(msgs) != len(tt.errs) {
				t.Fatalf("errors %q\nwant %q", msgs, tt.errs)
			}
			for i, w := range tt.errs {
				if !strings.HasPrefix(msgs[i], w) {
					t.Errorf("error %d = %q\nwant %q", i, msgs[i], w)
				}
			}
			if tt.errs == nil && !reflect.DeepEqual(got, tt.classes) {
				t.Errorf("classes = %+v\nwant %+v", got, tt.classes)
			}
			if tt.errs != nil && got != nil {
				t.Errorf("classes %v with errors", got)
			}
		})
	}
}

// TestMigrationErrorPath: an error's path is under the list's, so an
// environment's own migrations are named as such.
func TestMigrationErrorPath(t *testing.T) {
	_, errs := durablemodule.Apply([]mig{{Tag: "v1", DeletedClasses: []string{"X"}}})
	base := config.Path{}.Key("env").Key("staging").Key("migrations")
	if got := errs[0].Path(base).String(); got != "env.staging.migrations[0].deleted_classes[0]" {
		t.Errorf("path = %q", got)
	}
	if names := (durablemodule.Classes{"b": {}, "a": {}}).Names(); !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Errorf("Names = %q", names)
	}
}
