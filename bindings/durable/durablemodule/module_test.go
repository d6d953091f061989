package durablemodule_test

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/durable/durablemodule"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/wrangler"
)

// TestConfig: the module decodes durable_objects and migrations as
// wrangler writes them, in TOML (both array forms) and JSONC, per
// environment, and the loader puts the file, line and column on what it
// reports.
func TestConfig(t *testing.T) {
	counter := durablemodule.Binding{Name: "COUNTER", ClassName: "Counter"}
	v1 := "[[migrations]]\ntag = \"v1\"\nnew_sqlite_classes = [\"Counter\"]\n"
	tests := []struct {
		name, file, src, env string
		want                 []string // in the error, or in the warnings when ok
		ok                   bool
		bindings             []durablemodule.Binding
		classes              map[string]bool // name -> SQLite
	}{
		{"array of tables", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n\n" + v1,
			"", nil, true, []durablemodule.Binding{counter}, map[string]bool{"Counter": true}},
		{"inline array", "wrangler.toml", "[durable_objects]\nbindings = [{ name = \"COUNTER\", class_name = \"Counter\" }, { name = \"REMOTE\", class_name = \"Room\", script_name = \"chat\", environment = \"staging\" }]\n" + v1,
			"", nil, true, []durablemodule.Binding{counter, {Name: "REMOTE", ClassName: "Room", ScriptName: "chat", Environment: "staging"}}, map[string]bool{"Counter": true}},
		{"jsonc", "wrangler.jsonc", "{\n  // objects\n  \"durable_objects\": {\"bindings\": [{\"name\": \"COUNTER\", \"class_name\": \"Counter\"}]},\n  \"migrations\": [{\"tag\": \"v1\", \"new_classes\": [\"Counter\"]}, {\"tag\": \"v2\", \"renamed_classes\": [{\"from\": \"Counter\", \"to\": \"Tally\"}]}, {\"tag\": \"v3\", \"new_sqlite_classes\": [\"Counter\"]}]\n}\n",
			"", nil, true, []durablemodule.Binding{counter}, map[string]bool{"Counter": true, "Tally": false}},
		{"env has its own bindings, inherits migrations", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"TOP\"\nclass_name = \"Counter\"\n" + v1 +
			"[env.staging]\n[[env.staging.durable_objects.bindings]]\nname = \"STAGED\"\nclass_name = \"Counter\"\n",
			"staging", nil, true, []durablemodule.Binding{{Name: "STAGED", ClassName: "Counter"}}, map[string]bool{"Counter": true}},
		{"env's own migrations", "wrangler.toml", v1 + "[env.staging]\n[[env.staging.migrations]]\ntag = \"s1\"\ndeleted_classes = [\"Counter\"]\n",
			"staging", []string{"wrangler.toml:7:20: env.staging.migrations[0].deleted_classes[0]: cannot delete class \"Counter\": no earlier migration creates it"}, false, nil, nil},
		{"migrations only", "wrangler.toml", v1, "", nil, true, nil, map[string]bool{"Counter": true}},

		// Bindings.
		{"missing class_name", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"COUNTER\"\n",
			"", []string{"wrangler.toml:1:1: durable_objects.bindings[0]: missing required field \"class_name\""}, false, nil, nil},
		{"missing name", "wrangler.toml", "[[durable_objects.bindings]]\nclass_name = \"Counter\"\n" + v1,
			"", []string{"wrangler.toml:1:1: durable_objects.bindings[0]: missing required field \"name\""}, false, nil, nil},
		{"name not an identifier", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"MY-DO\"\nclass_name = \"Counter\"\n" + v1,
			"", []string{"wrangler.toml:2:1: durable_objects.bindings[0].name: binding name \"MY-DO\" is not a valid JavaScript identifier"}, false, nil, nil},
		{"name taken by a var", "wrangler.toml", "[vars]\nCOUNTER = \"x\"\n[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n" + v1,
			"", []string{"wrangler.toml:4:1: durable_objects.bindings[0].name: binding name \"COUNTER\" is already used by vars.COUNTER (line 2)"}, false, nil, nil},
		{"environment without script_name", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"C\"\nclass_name = \"Counter\"\nenvironment = \"staging\"\n" + v1,
			"", []string{"wrangler.toml:4:1: durable_objects.bindings[0].environment: \"environment\" needs \"script_name\""}, false, nil, nil},
		{"unknown binding field", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"C\"\nclass = \"Counter\"\n",
			"", []string{"wrangler.toml:3:1: durable_objects.bindings[0].class: unknown field \"class\""}, false, nil, nil},
		{"bindings missing", "wrangler.toml", "[durable_objects]\n",
			"", []string{"wrangler.toml:1:1: durable_objects: missing required field \"bindings\""}, false, nil, nil},
		{"not a table", "wrangler.jsonc", "{\"durable_objects\": [{\"name\": \"C\"}]}",
			"", []string{"wrangler.jsonc:1:2: durable_objects: expected an object, found array"}, false, nil, nil},
		{"class_name not a string", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"C\"\nclass_name = 1\n",
			"", []string{"wrangler.toml:3:1: durable_objects.bindings[0].class_name: expected a string, found integer"}, false, nil, nil},

		// Warnings about classes no migration leaves.
		{"no migrations", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"COUNTER\"\nclass_name = \"Counter\"\n",
			"", []string{"wrangler.toml:3:1: class \"Counter\" of binding COUNTER is this Worker's (no script_name), but there are no [[migrations]]", `new_sqlite_classes = ["Counter"]`}, true, []durablemodule.Binding{counter}, map[string]bool{}},
		{"no migrations, json", "wrangler.jsonc", "{\"durable_objects\": {\"bindings\": [{\"name\": \"COUNTER\", \"class_name\": \"Counter\"}]}}",
			"", []string{`Add a migration: "migrations": [..., {"tag": "v1", "new_sqlite_classes": ["Counter"]}]`}, true, []durablemodule.Binding{counter}, map[string]bool{}},
		{"class never created", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"C\"\nclass_name = \"Room\"\n" + v1,
			"", []string{"no [[migrations]] entry creates it"}, true, []durablemodule.Binding{{Name: "C", ClassName: "Room"}}, map[string]bool{"Counter": true}},
		{"class deleted", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"C\"\nclass_name = \"Counter\"\n" + v1 + "[[migrations]]\ntag = \"v2\"\ndeleted_classes = [\"Counter\"]\n",
			"", []string{"migrations[1] deletes it"}, true, []durablemodule.Binding{{Name: "C", ClassName: "Counter"}}, map[string]bool{}},
		{"class renamed", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"C\"\nclass_name = \"Counter\"\n" + v1 + "[[migrations]]\ntag = \"v2\"\nrenamed_classes = [{from = \"Counter\", to = \"Tally\"}]\n",
			"", []string{`migrations[1] renames it to "Tally"`}, true, []durablemodule.Binding{{Name: "C", ClassName: "Counter"}}, map[string]bool{"Tally": true}},
		{"another Worker's class needs no migration", "wrangler.toml", "[[durable_objects.bindings]]\nname = \"C\"\nclass_name = \"Room\"\nscript_name = \"chat\"\n",
			"", nil, true, []durablemodule.Binding{{Name: "C", ClassName: "Room", ScriptName: "chat"}}, map[string]bool{}},

		// Migrations.
		{"missing tag", "wrangler.toml", "[[migrations]]\nnew_classes = [\"A\"]\n",
			"", []string{"wrangler.toml:1:1: migrations[0]: missing required field \"tag\""}, false, nil, nil},
		{"duplicate tag", "wrangler.toml", v1 + "[[migrations]]\ntag = \"v1\"\nnew_classes = [\"B\"]\n",
			"", []string{"wrangler.toml:5:1: migrations[1].tag: tag \"v1\" is also the tag of migrations[0]"}, false, nil, nil},
		{"rename and create one name", "wrangler.toml", v1 + "[[migrations]]\ntag = \"v2\"\nrenamed_classes = [{from = \"Counter\", to = \"Tally\"}]\nnew_classes = [\"Counter\"]\n",
			"", []string{"wrangler.toml:7:16: migrations[1].new_classes[0]: class \"Counter\" is also in renamed_classes[0] of this migration"}, false, nil, nil},
		{"class in two lists", "wrangler.toml", "[[migrations]]\ntag = \"v1\"\nnew_classes = [\"A\"]\nnew_sqlite_classes = [\"B\", \"A\"]\n",
			"", []string{"wrangler.toml:4:28: migrations[0].new_sqlite_classes[1]: class \"A\" is also in new_classes[0] of this migration"}, false, nil, nil},
		{"rename of a missing class", "wrangler.toml", "[[migrations]]\ntag = \"v1\"\nrenamed_classes = [{from = \"A\", to = \"B\"}]\n",
			"", []string{"wrangler.toml:3:20: migrations[0].renamed_classes[0]: cannot rename class \"A\" to \"B\": no earlier migration creates it"}, false, nil, nil},
		{"delete of a missing class", "wrangler.toml", v1 + "[[migrations]]\ntag = \"v2\"\ndeleted_classes = [\"Counter\"]\n[[migrations]]\ntag = \"v3\"\ndeleted_classes = [\"Counter\"]\n",
			"", []string{"migrations[2].deleted_classes[0]: cannot delete class \"Counter\": it was deleted by migrations[1]"}, false, nil, nil},
		{"create an existing class", "wrangler.toml", v1 + "[[migrations]]\ntag = \"v2\"\nnew_classes = [\"Counter\"]\n",
			"", []string{"migrations[1].new_classes[0]: cannot create class \"Counter\": it exists (created by migrations[0])"}, false, nil, nil},
		{"rename object without to", "wrangler.toml", v1 + "[[migrations]]\ntag = \"v2\"\nrenamed_classes = [{from = \"Counter\"}]\n",
			"", []string{"migrations[1].renamed_classes[0]: missing required field \"to\""}, false, nil, nil},
		{"class list not an array", "wrangler.toml", "[[migrations]]\ntag = \"v1\"\nnew_classes = \"A\"\n",
			"", []string{"wrangler.toml:3:1: migrations[0].new_classes: expected an array of class names, found string"}, false, nil, nil},
		{"class name not a string", "wrangler.toml", "[[migrations]]\ntag = \"v1\"\nnew_classes = [\"A\", 2]\n",
			"", []string{"migrations[0].new_classes[1]: expected a string, found integer"}, false, nil, nil},
		{"unknown migration field", "wrangler.toml", "[[migrations]]\ntag = \"v1\"\nnew_class = [\"A\"]\n",
			"", []string{"wrangler.toml:3:1: migrations[0].new_class: unknown field \"new_class\" (did you mean \"new_classes\"?)"}, false, nil, nil},
		{"migrations not an array", "wrangler.jsonc", "{\"migrations\": {\"tag\": \"v1\"}}",
			"", []string{"migrations: expected an array, found object"}, false, nil, nil},
		{"transferred", "wrangler.toml", "[[migrations]]\ntag = \"v1\"\ntransferred_classes = [{from = \"Room\", from_script = \"old\", to = \"Room\"}]\n",
			"", nil, true, nil, map[string]bool{"Room": false}},
		{"transferred without from_script", "wrangler.toml", "[[migrations]]\ntag = \"v1\"\ntransferred_classes = [{from = \"Room\", to = \"Room\"}]\n",
			"", []string{"migrations[0].transferred_classes[0]: missing required field \"from_script\""}, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := wrangler.Parse(tt.file, []byte(tt.src), tt.env, durablemodule.Module().Parser())
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
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(cfg.Warnings, "\n"), w) {
					t.Errorf("warnings %q\nwant %q", cfg.Warnings, w)
				}
			}
			if tt.want == nil {
				for _, w := range cfg.Warnings {
					if strings.Contains(w, "durable") || strings.Contains(w, "migrations") {
						t.Errorf("unexpected warning %q", w)
					}
				}
			}
			c := durablemodule.Parsed(cfg.Bindings["durable"])
			if c == nil {
				t.Fatal("no config parsed")
			}
			if !reflect.DeepEqual(c.Bindings, tt.bindings) {
				t.Errorf("bindings = %+v\nwant %+v", c.Bindings, tt.bindings)
			}
			got := map[string]bool{}
			for n, cl := range c.Classes {
				got[n] = cl.SQLite
			}
			if !reflect.DeepEqual(got, tt.classes) {
				t.Errorf("classes = %v, want %v", got, tt.classes)
			}
		})
	}
}

// TestNoConfig: a config without the keys gives the module nothing.
func TestNoConfig(t *testing.T) {
	cfg, err := wrangler.Parse("wrangler.toml", []byte("name = \"w\"\n"), "", durablemodule.Module().Parser())
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Bindings["durable"]; c != nil {
		t.Errorf("config = %#v, want nil", c)
	}
}

// TestModule: the module is a valid one; Open serves the Worker's own
// classes (a client and a state binding, the admin routes) and refuses a
// class of another Worker, naming the binding; Describe says what each
// binding is.
func TestModule(t *testing.T) {
	m := durablemodule.Module()
	if err := bindings.Check([]bindings.Module{m}); err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(t.TempDir(), state.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env := bindings.Env{Worker: "w", State: st, Logger: slog.New(slog.DiscardHandler)}
	classes := durablemodule.Classes{"Counter": {Name: "Counter", SQLite: true}}
	env.Config = &durablemodule.Config{Bindings: []durablemodule.Binding{{Name: "C", ClassName: "Counter"}, {Name: "K", ClassName: "Kv"}}, Classes: classes}
	o, err := m.Open(context.Background(), env)
	if err != nil || len(o.Bindings) != 2 || len(o.Routes) == 0 {
		t.Fatalf("Open = %+v, %v; want the client and state bindings and routes", o, err)
	}
	if err := o.Close(); err != nil {
		t.Error(err)
	}
	if got, want := strings.Join(m.Describe(env), "; "), "env.C (Durable Object class Counter, SQLite-backed); env.K (Durable Object class Kv, KV-backed)"; got != want {
		t.Errorf("Describe = %q\nwant %q", got, want)
	}
	env.Config = &durablemodule.Config{Bindings: []durablemodule.Binding{{Name: "R", ClassName: "Room", ScriptName: "chat"}}}
	if _, err := m.Open(context.Background(), env); err == nil || !strings.Contains(err.Error(), "binding R") || !strings.Contains(err.Error(), `"chat"`) {
		t.Errorf("Open with a class of another Worker: %v, want an error naming binding R and script chat", err)
	}
	if got, want := strings.Join(m.Describe(env), "; "), "env.R (Durable Object class Room of chat)"; got != want {
		t.Errorf("Describe = %q\nwant %q", got, want)
	}
}
