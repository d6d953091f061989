package wrangler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bindery-run/bindery/bindings/config"
	toml "github.com/pelletier/go-toml/v2"
)

const (
	maxVars      = 128      // Cloudflare's limit on vars per Worker (paid plan)
	maxVarBytes  = 5 * 1024 // Cloudflare's limit on one var's serialized size
	maxErrors    = 25       // errors reported before giving up
	defaultWatch = "src"    // wrangler's default build.watch_dir
)

// builder turns a parsed document into a Config for one environment,
// collecting every error and warning on the way.
type builder struct {
	d       *document
	env     string
	envPath path           // env.<name>
	top     map[string]any // top-level table
	envSec  map[string]any // the selected [env.X] table; nil for the top level
	keys    map[string]keyInfo
	dir     string // absolute directory of the config file
	cfg     *Config
	errs    []diag
	warns   []diag
	// bindings maps each binding or var name to where it was first declared.
	bindings map[string]path
	// vars are the names in bindings that are vars.
	vars         map[string]bool
	requiredPath path
	// parsers decode the binding modules' keys; parsed are those keys.
	parsers []config.Parser
	parsed  map[string]bool
}

func newBuilder(d *document, env, absPath string, parsers []config.Parser) *builder {
	b := &builder{
		d:        d,
		env:      env,
		envPath:  path{}.Key("env").Key(env),
		top:      d.root,
		keys:     wranglerKeys(),
		dir:      filepath.Dir(absPath),
		cfg:      &Config{Path: absPath},
		bindings: map[string]path{},
		vars:     map[string]bool{},
		parsers:  parsers,
		parsed:   map[string]bool{},
	}
	for _, ps := range parsers {
		for _, k := range ps.Keys {
			info, ok := b.keys[k]
			if !ok {
				info.scope = scopeNonInherit // a binding key wrangler does not know yet
			}
			info.used = true
			b.keys[k] = info
			b.parsed[k] = true
		}
	}
	return b
}

func (b *builder) errorf(p path, format string, args ...any) {
	b.errs = append(b.errs, b.d.newDiag(p, true, fmt.Sprintf(format, args...)))
}

func (b *builder) warnf(p path, withKey bool, format string, args ...any) {
	b.warns = append(b.warns, b.d.newDiag(p, withKey, fmt.Sprintf(format, args...)))
}

func (b *builder) run() (*Config, error) {
	if err := b.selectEnv(); err != nil {
		return nil, err
	}
	b.checkKeys(b.top, nil, true)
	if b.envSec != nil {
		b.checkKeys(b.envSec, b.envPath, false)
		b.warnNotInherited()
	}

	b.name()
	b.main()
	b.compatibilityDate()
	b.buildSection()
	b.bundle()
	b.dev()
	b.varsSection()
	b.modules()
	b.secrets()
	b.otherBindings()
	b.cfg.BindingNames = map[string]string{}
	for name, p := range b.bindings {
		if !b.vars[name] {
			b.cfg.BindingNames[name] = p.String()
		}
	}

	if len(b.errs) > 0 {
		return nil, b.joinedErrors()
	}
	b.cfg.Warnings = b.warningTexts()
	return b.cfg, nil
}

func (b *builder) joinedErrors() error {
	sortDiags(b.errs)
	var errs []error
	for i, e := range b.errs {
		if i == maxErrors {
			errs = append(errs, fmt.Errorf("%s: and %d more errors", b.d.name, len(b.errs)-maxErrors))
			break
		}
		errs = append(errs, errors.New(e.text))
	}
	return errors.Join(errs...)
}

func (b *builder) warningTexts() []string {
	all := append(append([]diag(nil), b.d.warnings...), b.warns...)
	sortDiags(all)
	out := make([]string, len(all))
	for i, w := range all {
		out[i] = w.text
	}
	return out
}

// sortDiags orders diagnostics by position; those without one go last.
func sortDiags(ds []diag) {
	sort.SliceStable(ds, func(i, j int) bool {
		li, lj := ds[i].line, ds[j].line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		if li != lj {
			return li < lj
		}
		return ds[i].col < ds[j].col
	})
}

// ---- types ----

func (b *builder) typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "float"
	case json.Number:
		return "number"
	case nil:
		return "null"
	case []any:
		return "array"
	case map[string]any:
		if b.d.format == formatJSON {
			return "object"
		}
		return "table"
	case time.Time, toml.LocalDateTime:
		return "datetime"
	case toml.LocalDate:
		return "date"
	case toml.LocalTime:
		return "time"
	}
	return fmt.Sprintf("%T", v)
}

func (b *builder) aTable() string {
	if b.d.format == formatJSON {
		return "an object"
	}
	return "a table"
}

func (b *builder) typeError(p path, want string, v any) {
	b.errorf(p, "expected %s, found %s", want, b.typeName(v))
}

func (b *builder) asTable(v any, p path) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		b.typeError(p, b.aTable(), v)
	}
	return m, ok
}

func (b *builder) asArray(v any, p path) ([]any, bool) {
	a, ok := v.([]any)
	if !ok {
		b.typeError(p, "an array", v)
	}
	return a, ok
}

func (b *builder) asString(v any, p path) (string, bool) {
	s, ok := v.(string)
	if !ok {
		b.typeError(p, "a string", v)
	}
	return s, ok
}

// optString returns m[k] if it is a string ("" if absent).
func (b *builder) optString(m map[string]any, p path, k string) string {
	v, ok := m[k]
	if !ok {
		return ""
	}
	s, _ := b.asString(v, p.Key(k))
	return s
}

// optInt returns m[k] if it is an integer (0 if absent).
func (b *builder) optInt(m map[string]any, p path, k string) (int64, bool) {
	v, ok := m[k]
	if !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, true
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i, true
		}
	}
	b.typeError(p.Key(k), "an integer", v)
	return 0, false
}

func (b *builder) abs(p string) string {
	if p == "" {
		return ""
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(b.dir, p)
}

// ---- environments and keys ----

// selectEnv checks the "env" table and picks the requested environment.
func (b *builder) selectEnv() error {
	envsPath := path{}.Key("env")
	var envs map[string]any
	if v, ok := b.top["env"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return errors.New(b.d.newDiag(envsPath, true, fmt.Sprintf("expected %s of environments, found %s", b.aTable(), b.typeName(v))).text)
		}
		envs = m
		for _, name := range b.d.sortedKeys(envs, envsPath) {
			if _, ok := envs[name].(map[string]any); !ok {
				b.typeError(envsPath.Key(name), b.aTable(), envs[name])
			}
		}
	}
	if b.env == "" {
		return nil
	}
	v, ok := envs[b.env]
	if !ok {
		where := "[env." + path{}.Key(b.env).String() + "]"
		if b.d.format == formatJSON {
			where = fmt.Sprintf(`"env": {%q: ...}`, b.env)
		}
		avail := "it defines no environments"
		if len(envs) > 0 {
			avail = "defined: " + strings.Join(b.d.sortedKeys(envs, envsPath), ", ")
		}
		return fmt.Errorf("%s: environment %q not found: expected %s (%s)", b.d.name, b.env, where, avail)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return b.joinedErrors()
	}
	b.envSec = m
	return nil
}

// checkKeys rejects keys that are not wrangler keys and warns about keys
// bindery dev ignores.
func (b *builder) checkKeys(m map[string]any, p path, isTop bool) {
	var candidates []string
	for k, info := range b.keys {
		if isTop || info.scope != scopeTop {
			candidates = append(candidates, k)
		}
	}
	for _, k := range b.d.sortedKeys(m, p) {
		kp := p.Key(k)
		info, known := b.keys[k]
		switch {
		case !known:
			b.unknownKey(kp, k, candidates)
		case !isTop && info.scope == scopeTop:
			b.warnf(kp, false, "field %q is only read from the top level of the config, so %s is ignored", k, kp)
		case !info.used && b.inEffect(k, isTop):
			msg := fmt.Sprintf("field %q is not used by bindery dev", kp.String())
			if info.note != "" {
				msg += " (" + info.note + ")"
			}
			b.warnf(kp, false, "%s", msg)
		}
	}
}

func (b *builder) unknownKey(kp path, k string, candidates []string) {
	if s := config.Suggest(k, candidates); s != "" {
		b.errorf(kp, "unknown field %q (did you mean %q?)", k, s)
		return
	}
	b.errorf(kp, "unknown field %q: not a wrangler config field", k)
}

// inEffect reports whether key k of the given section applies to the
// selected environment.
func (b *builder) inEffect(k string, isTop bool) bool {
	if !isTop || b.envSec == nil {
		return true
	}
	switch b.keys[k].scope {
	case scopeInherit:
		_, overridden := b.envSec[k]
		return !overridden
	case scopeNonInherit:
		return false
	}
	return true
}

// warnNotInherited mirrors wrangler's warnings about non-inheritable fields
// that are set at the top level but not in the selected environment.
func (b *builder) warnNotInherited() {
	envName := "env." + path{}.Key(b.env).String()
	for _, k := range b.d.sortedKeys(b.top, nil) {
		if b.keys[k].scope != scopeNonInherit {
			continue
		}
		if _, ok := b.envSec[k]; ok {
			continue
		}
		b.warnf(path{}.Key(k), false, "%q exists at the top level, but not on %q; it is not inherited by environments, so %s has none",
			k, envName, envName)
	}
	// wrangler also names vars missing from an environment's own vars.
	topVars, ok1 := b.top["vars"].(map[string]any)
	envVars, ok2 := b.envSec["vars"].(map[string]any)
	if ok1 && ok2 {
		var missing []string
		for _, k := range b.d.sortedKeys(topVars, path{}.Key("vars")) {
			if _, ok := envVars[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			b.warnf(b.envPath.Key("vars"), false, "these vars exist at the top level, but not on %q (vars are not inherited): %s",
				envName+".vars", strings.Join(missing, ", "))
		}
	}
}

// lookup returns the value of a top-level/environment key after applying
// wrangler's inheritance rules, and the path it came from.
func (b *builder) lookup(k string) (any, path, bool) {
	if b.envSec != nil {
		switch b.keys[k].scope {
		case scopeInherit:
			if v, ok := b.envSec[k]; ok {
				return v, b.envPath.Key(k), true
			}
		case scopeNonInherit:
			v, ok := b.envSec[k]
			return v, b.envPath.Key(k), ok
		}
	}
	v, ok := b.top[k]
	return v, path{}.Key(k), ok
}

// checkSubKeys checks the keys of a section: used ones are fine, unused
// ones (with a note) are warned about, and anything else is an error.
func (b *builder) checkSubKeys(m map[string]any, p path, used []string, unused map[string]string) {
	candidates := append([]string(nil), used...)
	for k := range unused {
		candidates = append(candidates, k)
	}
	for _, k := range b.d.sortedKeys(m, p) {
		kp := p.Key(k)
		if slices.Contains(used, k) {
			continue
		}
		if note, ok := unused[k]; ok {
			msg := fmt.Sprintf("field %q is not used by bindery dev", kp.String())
			if note != "" {
				msg += " (" + note + ")"
			}
			b.warnf(kp, false, "%s", msg)
			continue
		}
		if s := config.Suggest(k, candidates); s != "" {
			b.errorf(kp, "unknown field %q (did you mean %q?)", k, s)
		} else {
			sort.Strings(candidates)
			b.errorf(kp, "unknown field %q (expected one of: %s)", k, strings.Join(candidates, ", "))
		}
	}
}

// ---- fields ----

func (b *builder) name() {
	v, p, ok := b.lookup("name")
	if !ok {
		return
	}
	s, ok := b.asString(v, p)
	if !ok {
		return
	}
	if !isValidWorkerName(s) {
		b.warnf(p, true, "%q is not a valid Worker name for wrangler (lowercase letters, digits, \"-\" and \"_\" only)", s)
	}
	if b.envSec != nil && p[0].Key != "env" && s != "" {
		s += "-" + b.env
	}
	b.cfg.Name = s
}

func (b *builder) main() {
	v, p, ok := b.lookup("main")
	if !ok {
		return
	}
	if s, ok := b.asString(v, p); ok {
		b.cfg.Main = b.abs(s)
	}
}

func (b *builder) compatibilityDate() {
	v, p, ok := b.lookup("compatibility_date")
	if !ok {
		return
	}
	if d, ok := v.(toml.LocalDate); ok {
		b.cfg.CompatibilityDate = d.String()
		b.warnf(p, true, "is a TOML date; wrangler expects a string: compatibility_date = %q", d.String())
		return
	}
	if s, ok := b.asString(v, p); ok {
		b.cfg.CompatibilityDate = s
	}
}

func (b *builder) buildSection() {
	v, p, ok := b.lookup("build")
	if !ok {
		return
	}
	m, ok := b.asTable(v, p)
	if !ok {
		return
	}
	b.checkSubKeys(m, p, []string{"command", "cwd", "watch_dir"}, map[string]string{"upload": "it is a wrangler 1 field"})
	bd := Build{Command: b.optString(m, p, "command")}
	if cwd := b.optString(m, p, "cwd"); cwd != "" {
		bd.Cwd = b.abs(cwd)
	} else if bd.Command != "" {
		bd.Cwd = b.dir
	}
	if w, ok := m["watch_dir"]; ok {
		wp := p.Key("watch_dir")
		switch t := w.(type) {
		case string:
			bd.WatchDir = []string{b.abs(t)}
		case []any:
			for i, e := range t {
				if s, ok := b.asString(e, wp.Index(i)); ok {
					bd.WatchDir = append(bd.WatchDir, b.abs(s))
				}
			}
		default:
			b.typeError(wp, "a string or an array of strings", w)
		}
	} else if bd.Command != "" {
		bd.WatchDir = []string{filepath.Join(b.dir, defaultWatch)}
	}
	b.cfg.Build = bd
}

func (b *builder) dev() {
	v, ok := b.top["dev"]
	if !ok {
		return
	}
	p := path{}.Key("dev")
	m, ok := b.asTable(v, p)
	if !ok {
		return
	}
	b.checkSubKeys(m, p, []string{"ip", "port", "local_protocol", "host"}, map[string]string{
		"inspector_port": "", "inspector_ip": "", "upstream_protocol": "",
		"enable_containers": "", "container_engine": "", "generate_types": "",
	})
	dv := Dev{
		IP:            b.optString(m, p, "ip"),
		Host:          b.optString(m, p, "host"),
		LocalProtocol: b.optString(m, p, "local_protocol"),
	}
	if dv.LocalProtocol != "" && dv.LocalProtocol != "http" && dv.LocalProtocol != "https" {
		b.errorf(p.Key("local_protocol"), "expected \"http\" or \"https\", found %q", dv.LocalProtocol)
	}
	if port, ok := b.optInt(m, p, "port"); ok {
		if port < 0 || port > 65535 {
			b.errorf(p.Key("port"), "port %d is out of range (0-65535)", port)
		} else {
			dv.Port = int(port)
		}
	}
	b.cfg.Dev = dv
}

func (b *builder) varsSection() {
	v, p, ok := b.lookup("vars")
	if !ok {
		return
	}
	m, ok := b.asTable(v, p)
	if !ok {
		return
	}
	if len(m) > maxVars {
		b.errorf(p, "%d vars, more than Cloudflare's limit of %d", len(m), maxVars)
	}
	out := make(map[string]Var, len(m))
	for _, k := range b.d.sortedKeys(m, p) {
		kp := p.Key(k)
		if k == "" {
			b.errorf(kp, "var name must not be empty")
			continue
		}
		var val Var
		switch t := m[k].(type) {
		case string:
			val.Text = t
		case time.Time, toml.LocalDate, toml.LocalDateTime, toml.LocalTime:
			b.errorf(kp, "is a TOML %s, which wrangler does not support; use a string instead", b.typeName(t))
			continue
		default:
			raw, err := marshalJSON(t)
			if err != nil {
				b.errorf(kp, "cannot be represented as JSON: %v", err)
				continue
			}
			val.JSON = raw
		}
		if n := len(val.Text) + len(val.JSON); n > maxVarBytes {
			b.errorf(kp, "var %q is %d bytes, more than Cloudflare's limit of %d bytes (5 KiB)", k, n, maxVarBytes)
			continue
		}
		if b.claim(k, kp) {
			b.vars[k] = true
		}
		out[k] = val
	}
	b.cfg.Vars = out
}

// marshalJSON encodes a generic config value without HTML escaping.
func marshalJSON(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// claim records a binding or var name, failing on duplicates.
func (b *builder) claim(name string, p path) bool {
	if prev, ok := b.bindings[name]; ok {
		where := prev.String()
		if line, _ := b.d.pos(prev); line > 0 {
			where += fmt.Sprintf(" (line %d)", line)
		}
		b.errorf(p, "binding name %q is already used by %s", name, where)
		return false
	}
	b.bindings[name] = p
	return true
}

// modules runs the binding modules' parsers, each on its own keys.
func (b *builder) modules() {
	r := reader{b}
	for _, ps := range b.parsers {
		if ps.Parse == nil {
			continue
		}
		if v := ps.Parse(r); v != nil {
			if b.cfg.Bindings == nil {
				b.cfg.Bindings = map[string]any{}
			}
			b.cfg.Bindings[ps.Module] = v
		}
	}
}

// reader is the config.Reader the binding modules' parsers get.
type reader struct{ b *builder }

var _ config.Reader = reader{}

// Lookup implements config.Reader.
func (r reader) Lookup(key string) (any, config.Path, bool) {
	v, p, ok := r.b.lookup(key)
	return v, p, ok
}

// Errorf implements config.Reader.
func (r reader) Errorf(p config.Path, format string, args ...any) {
	r.b.errorf(p, format, args...)
}

// Warnf implements config.Reader.
func (r reader) Warnf(p config.Path, format string, args ...any) {
	r.b.warnf(p, false, format, args...)
}

// Claim implements config.Reader.
func (r reader) Claim(name string, p config.Path) bool { return r.b.claim(name, p) }

// Dir implements config.Reader.
func (r reader) Dir() string { return r.b.dir }

// JSON implements config.Reader.
func (r reader) JSON() bool { return r.b.d.format == formatJSON }

func (b *builder) secrets() {
	v, p, ok := b.lookup("secrets")
	if !ok {
		return
	}
	m, ok := b.asTable(v, p)
	if !ok {
		return
	}
	b.checkSubKeys(m, p, []string{"required"}, nil)
	rv, ok := m["required"]
	if !ok {
		return
	}
	rp := p.Key("required")
	arr, ok := b.asArray(rv, rp)
	if !ok {
		return
	}
	req := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := b.asString(e, rp.Index(i))
		if !ok {
			continue
		}
		if s == "" {
			b.errorf(rp.Index(i), "secret name must not be empty")
			continue
		}
		req = append(req, s)
	}
	b.cfg.RequiredSecrets = req
	b.requiredPath = rp
}

// otherBindings claims the names of binding kinds bindery does not use yet,
// so that duplicates across all bindings are caught as wrangler does. Their
// shapes are not validated.
func (b *builder) otherBindings() {
	for _, src := range otherBindingSources() {
		if b.parsed[src.field] {
			continue // its module claimed its names
		}
		v, p, ok := b.lookup(src.field)
		if !ok {
			continue
		}
		claimIn := func(e any, ep path) {
			if m, ok := e.(map[string]any); ok {
				if s, ok := m[src.nameKey].(string); ok && s != "" {
					b.claim(s, ep.Key(src.nameKey))
				}
			}
		}
		switch src.shape {
		case "array":
			if arr, ok := v.([]any); ok {
				for i, e := range arr {
					claimIn(e, p.Index(i))
				}
			}
		case "object":
			claimIn(v, p)
		case "nested":
			if m, ok := v.(map[string]any); ok {
				if arr, ok := m[src.sub].([]any); ok {
					for i, e := range arr {
						claimIn(e, p.Key(src.sub).Index(i))
					}
				}
			}
		case "map":
			if m, ok := v.(map[string]any); ok {
				for _, k := range b.d.sortedKeys(m, p) {
					b.claim(k, p.Key(k))
				}
			}
		}
	}
}
