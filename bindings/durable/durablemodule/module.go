// Package durablemodule is Durable Objects as a module (see package
// bindings): it reads the wrangler keys durable_objects and migrations,
// checked as wrangler and Cloudflare check them, applies the migrations'
// class deletions to the data directory, and serves the Worker's
// namespaces and classes with package durablehost: SQLite-backed objects
// in <data>/durable/<worker>/<class>/<id>.sqlite, KV-backed ones and alarms in the
// data directory's Badger database (docs/durable-objects.md).
//
// A config declares namespaces and classes as wrangler does:
//
//	[[durable_objects.bindings]]
//	name = "COUNTER"          # env.COUNTER in the Worker
//	class_name = "Counter"    # the exported class
//	# script_name = "other"   # a class of another Worker
//	# environment = "staging" # that Worker's environment (needs script_name)
//
//	[[migrations]]
//	tag = "v1"
//	new_sqlite_classes = ["Counter"]  # SQLite-backed; new_classes: KV-backed
//
//	[[migrations]]
//	tag = "v2"
//	renamed_classes = [{ from = "Counter", to = "Tally" }]
//	deleted_classes = ["Old"]
//
// durable_objects is per environment (an [env.X] has its own, as every
// binding key); migrations is inherited from the top level unless the
// environment sets its own.
package durablemodule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/host/durablehost"
)

// The wrangler config keys the module reads.
const (
	Key           = "durable_objects"
	MigrationsKey = "migrations"
)

// Binding is one durable_objects.bindings entry: a namespace the Worker
// reaches as env.NAME.
type Binding struct {
	// Name is the name the Worker reaches it by (env.NAME).
	Name string
	// ClassName is the class whose objects the namespace holds.
	ClassName string
	// ScriptName is the Worker that defines the class, "" for this one.
	ScriptName string
	// Environment is ScriptName's environment, "" for its top level.
	Environment string
}

// Local reports whether the class is this Worker's own.
func (b Binding) Local() bool { return b.ScriptName == "" }

// Config is what the module decodes from a Worker's config.
type Config struct {
	// Bindings are the durable_objects bindings, in order.
	Bindings []Binding
	// Migrations are the [[migrations]] entries, in order.
	Migrations []Migration
	// Classes are the classes the migrations leave.
	Classes Classes
}

// Parsed returns the module's config in a parsed Worker config (cfg is
// Config.Bindings["durable"] of the config loader, or Env.Config), nil
// when it has none.
func Parsed(cfg any) *Config {
	c, _ := cfg.(*Config)
	return c
}

// Module returns the Durable Objects module.
func Module() bindings.Module {
	return bindings.Module{
		Name:        "durable",
		Doc:         "Durable Objects: namespaces, objects with storage, SQL, alarms and web sockets",
		Interfaces:  []abi.Interface{durablehost.ClientWIT(), durablehost.StateWIT()},
		Config:      []string{Key, MigrationsKey},
		ParseConfig: parse,
		Describe:    describe,
		Open:        open,
		Command:     command(),
	}
}

// parse decodes durable_objects and migrations.
func parse(r config.Reader) any {
	c := &Config{}
	c.Bindings = parseBindings(r)
	var base config.Path
	c.Migrations, base = parseMigrations(r)
	classes, errs := Apply(c.Migrations)
	for _, e := range errs {
		r.Errorf(e.Path(base), "%s", e.Msg)
	}
	c.Classes = classes
	if errs == nil {
		checkClasses(r, c)
	}
	if c.Bindings == nil && c.Migrations == nil {
		return nil
	}
	return c
}

// parseBindings decodes durable_objects = {bindings = [...]}.
func parseBindings(r config.Reader) []Binding {
	v, p, ok := r.Lookup(Key)
	if !ok {
		return nil
	}
	m, ok := config.Table(r, v, p)
	if !ok {
		return nil
	}
	config.CheckFields(r, m, p, []string{"bindings"}, nil)
	bv, ok := m["bindings"]
	if !ok {
		r.Errorf(p, "missing required field \"bindings\"")
		return nil
	}
	bp := p.Key("bindings")
	arr, ok := bv.([]any)
	if !ok {
		r.Errorf(bp, "expected an array, found %s", config.TypeName(r, bv))
		return nil
	}
	var out []Binding
	for i, e := range arr {
		ep := bp.Index(i)
		em, ok := config.Table(r, e, ep)
		if !ok {
			continue
		}
		config.CheckFields(r, em, ep, []string{"name", "class_name", "script_name", "environment"}, nil)
		name, nameOK := bindingName(r, em, ep)
		b := Binding{
			Name:        name,
			ClassName:   required(r, em, ep, "class_name"),
			ScriptName:  config.OptString(r, em, ep, "script_name"),
			Environment: config.OptString(r, em, ep, "environment"),
		}
		_, hasScript := em["script_name"]
		if _, ok := em["environment"]; ok && !hasScript {
			r.Errorf(ep.Key("environment"), "\"environment\" needs \"script_name\": it is the environment of the Worker script_name names")
			nameOK = false
		}
		if nameOK && b.ClassName != "" {
			out = append(out, b)
		}
	}
	return out
}

// bindingName checks the required "name" of a binding: a JavaScript
// identifier no other binding or var has.
func bindingName(r config.Reader, m map[string]any, p config.Path) (string, bool) {
	s := required(r, m, p, "name")
	if s == "" {
		return "", false
	}
	if !config.IsJSIdentifier(s) {
		r.Errorf(p.Key("name"), "binding name %q is not a valid JavaScript identifier", s)
		return "", false
	}
	return s, r.Claim(s, p.Key("name"))
}

// required returns the string m[k], reporting it missing, of another type
// or empty; "" when it is not a non-empty string.
func required(r config.Reader, m map[string]any, p config.Path, k string) string {
	v, ok := m[k]
	if !ok {
		r.Errorf(p, "missing required field %q", k)
		return ""
	}
	s, ok := config.String(r, v, p.Key(k))
	if ok && s == "" {
		r.Errorf(p.Key(k), "%q must not be empty", k)
	}
	return s
}

// parseMigrations decodes [[migrations]], returning them and the path of
// the list (for Apply's errors).
func parseMigrations(r config.Reader) ([]Migration, config.Path) {
	v, p, ok := r.Lookup(MigrationsKey)
	if !ok {
		return nil, config.Path{}.Key(MigrationsKey)
	}
	arr, ok := v.([]any)
	if !ok {
		r.Errorf(p, "expected an array, found %s", config.TypeName(r, v))
		return nil, p
	}
	var out []Migration
	for i, e := range arr {
		ep := p.Index(i)
		m, ok := config.Table(r, e, ep)
		if !ok {
			out = append(out, Migration{Tag: invalidTag(i)}) // keeps the indexes; the config fails anyway
			continue
		}
		config.CheckFields(r, m, ep, []string{"tag", "new_classes", "new_sqlite_classes", "renamed_classes", "deleted_classes", "transferred_classes"}, nil)
		mig := Migration{
			NewClasses:       stringList(r, m, ep, "new_classes"),
			NewSQLiteClasses: stringList(r, m, ep, "new_sqlite_classes"),
			DeletedClasses:   stringList(r, m, ep, "deleted_classes"),
		}
		if tv, ok := m["tag"]; !ok {
			r.Errorf(ep, "missing required field \"tag\"")
			mig.Tag = invalidTag(i)
		} else if s, ok := config.String(r, tv, ep.Key("tag")); ok {
			mig.Tag = s
		} else {
			mig.Tag = invalidTag(i)
		}
		for _, o := range objectList(r, m, ep, "renamed_classes", []string{"from", "to"}) {
			mig.RenamedClasses = append(mig.RenamedClasses, Rename{From: o[0], To: o[1]})
		}
		for _, o := range objectList(r, m, ep, "transferred_classes", []string{"from", "from_script", "to"}) {
			mig.TransferredClasses = append(mig.TransferredClasses, Transfer{From: o[0], FromScript: o[1], To: o[2]})
		}
		out = append(out, mig)
	}
	return out, p
}

// invalidTag stands in for the tag of migrations[i] when it has none
// that is valid (reported already), so Apply reports no more about it.
func invalidTag(i int) string { return fmt.Sprintf("\x00invalid tag %d", i) }

// stringList returns the array of strings m[k], reporting anything else.
func stringList(r config.Reader, m map[string]any, p config.Path, k string) []string {
	v, ok := m[k]
	if !ok {
		return nil
	}
	kp := p.Key(k)
	arr, ok := v.([]any)
	if !ok {
		r.Errorf(kp, "expected an array of class names, found %s", config.TypeName(r, v))
		return nil
	}
	out := make([]string, 0, len(arr))
	for j, e := range arr {
		s, _ := config.String(r, e, kp.Index(j))
		out = append(out, s) // "" for a non-string keeps the indexes; reported already
	}
	return out
}

// objectList returns the array of tables m[k], each with the string
// fields names (all required), as lists of those fields' values.
func objectList(r config.Reader, m map[string]any, p config.Path, k string, names []string) [][]string {
	v, ok := m[k]
	if !ok {
		return nil
	}
	kp := p.Key(k)
	arr, ok := v.([]any)
	if !ok {
		r.Errorf(kp, "expected an array of {%s} %s, found %s", strings.Join(names, ", "), tables(r), config.TypeName(r, v))
		return nil
	}
	var out [][]string
	for j, e := range arr {
		ep := kp.Index(j)
		em, ok := config.Table(r, e, ep)
		vals := make([]string, len(names))
		if ok {
			config.CheckFields(r, em, ep, names, nil)
			for i, n := range names {
				vals[i] = required(r, em, ep, n)
			}
		}
		out = append(out, vals)
	}
	return out
}

func tables(r config.Reader) string {
	if r.JSON() {
		return "objects"
	}
	return "tables"
}

// checkClasses warns about a binding to this Worker's own class that no
// migration leaves: Cloudflare refuses to deploy it, and wrangler dev
// (like bindery, when it serves objects) gives it KV-backed storage.
func checkClasses(r config.Reader, c *Config) {
	_, p, _ := r.Lookup(Key)
	for i, b := range c.Bindings { // every entry is valid when the config is
		if !b.Local() {
			continue
		}
		if _, ok := c.Classes[b.ClassName]; ok {
			continue
		}
		bp := p.Key("bindings").Index(i)
		why := "no [[migrations]] entry creates it"
		if len(c.Migrations) == 0 {
			why = "there are no [[migrations]]"
		} else if gone := goneReason(c.Migrations, b.ClassName); gone != "" {
			why = gone
		}
		fix := fmt.Sprintf("[[migrations]] tag = \"v%d\" new_sqlite_classes = [%q]", len(c.Migrations)+1, b.ClassName)
		if r.JSON() {
			fix = fmt.Sprintf(`"migrations": [..., {"tag": "v%d", "new_sqlite_classes": [%q]}]`, len(c.Migrations)+1, b.ClassName)
		}
		r.Warnf(bp.Key("class_name"), "class %q of binding %s is this Worker's (no script_name), but %s: Cloudflare will not deploy it, and wrangler dev gives it KV-backed storage. Add a migration: %s",
			b.ClassName, b.Name, why, fix)
	}
}

// goneReason says which migration removed class, or "".
func goneReason(ms []Migration, class string) string {
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if slices.Contains(m.DeletedClasses, class) {
			return "migrations[" + strconv.Itoa(i) + "] deletes it"
		}
		for _, rn := range m.RenamedClasses {
			if rn.From == class {
				return "migrations[" + strconv.Itoa(i) + "] renames it to \"" + rn.To + "\""
			}
		}
	}
	return ""
}

func describe(env bindings.Env) []string {
	c := Parsed(env.Config)
	if c == nil {
		return nil
	}
	var out []string
	for _, b := range c.Bindings {
		d := "env." + b.Name + " (Durable Object class " + b.ClassName
		if !b.Local() {
			d += " of " + b.ScriptName
		}
		if cl, ok := c.Classes[b.ClassName]; ok && cl.SQLite {
			d += ", SQLite-backed"
		} else if b.Local() {
			d += ", KV-backed"
		}
		out = append(out, d+")")
	}
	return out
}
