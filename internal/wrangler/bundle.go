package wrangler

import (
	"fmt"
	"slices"
)

// Bundle holds the keys that shape how a JavaScript or TypeScript main is
// bundled, as wrangler's esbuild does: "alias", "define", "rules",
// "minify", "keep_names", "tsconfig", "jsx_factory", "jsx_fragment",
// "no_bundle", "find_additional_modules" and "base_dir". Paths are
// absolute.
type Bundle struct {
	// Alias maps a module specifier to its replacement ("alias", top level).
	Alias map[string]string
	// Define maps an identifier or property path to a JavaScript expression.
	Define map[string]string
	// Rules are "[[rules]]": which other files may be imported, and as what.
	Rules []Rule
	// Minify, KeepNames, NoBundle and FindAdditionalModules are the
	// booleans of the same names.
	Minify, KeepNames, NoBundle, FindAdditionalModules bool
	// TSConfig, JSXFactory, JSXFragment and BaseDir are the strings of the
	// same names; TSConfig and BaseDir are absolute paths.
	TSConfig, JSXFactory, JSXFragment, BaseDir string
}

// Rule is one "[[rules]]" entry: files matching Globs are modules of Type
// ("ESModule", "CommonJS", "Text", "Data" or "CompiledWasm").
type Rule struct {
	Type        string
	Globs       []string
	FallThrough bool
}

// ruleTypes are the module types a rule may name (wrangler's
// ConfigModuleRuleType, less the Python ones, which are not rules for a
// JavaScript bundle).
var ruleTypes = []string{"ESModule", "CommonJS", "CompiledWasm", "Text", "Data", "PythonModule", "PythonRequirement"}

// bundle reads the bundling keys.
func (b *builder) bundle() {
	bd := Bundle{
		Alias:  b.stringMap("alias"),
		Define: b.stringMap("define"),
	}
	for _, k := range []struct {
		name string
		dst  *bool
	}{{"minify", &bd.Minify}, {"keep_names", &bd.KeepNames}, {"no_bundle", &bd.NoBundle}, {"find_additional_modules", &bd.FindAdditionalModules}} {
		if v, p, ok := b.lookup(k.name); ok {
			if t, ok := v.(bool); ok {
				*k.dst = t
			} else {
				b.typeError(p, "a boolean", v)
			}
		}
	}
	for _, k := range []struct {
		name string
		dst  *string
		path bool
	}{{"tsconfig", &bd.TSConfig, true}, {"jsx_factory", &bd.JSXFactory, false}, {"jsx_fragment", &bd.JSXFragment, false}, {"base_dir", &bd.BaseDir, true}} {
		if v, p, ok := b.lookup(k.name); ok {
			if s, ok := b.asString(v, p); ok {
				if k.path {
					s = b.abs(s)
				}
				*k.dst = s
			}
		}
	}
	if v, p, ok := b.lookup("rules"); ok {
		if arr, ok := b.asArray(v, p); ok {
			for i, e := range arr {
				ep := p.Index(i)
				m, ok := b.asTable(e, ep)
				if !ok {
					continue
				}
				b.checkSubKeys(m, ep, []string{"type", "globs", "fallthrough"}, nil)
				r := Rule{Type: b.optString(m, ep, "type")}
				if !slices.Contains(ruleTypes, r.Type) {
					b.errorf(ep.Key("type"), "rule type %q is not one of %v", r.Type, ruleTypes)
				}
				if g, ok := m["globs"]; ok {
					if ga, ok := b.asArray(g, ep.Key("globs")); ok {
						for j, x := range ga {
							if s, ok := b.asString(x, ep.Key("globs").Index(j)); ok {
								r.Globs = append(r.Globs, s)
							}
						}
					}
				} else {
					b.errorf(ep, "a rule needs \"globs\"")
				}
				if f, ok := m["fallthrough"]; ok {
					if t, ok := f.(bool); ok {
						r.FallThrough = t
					} else {
						b.typeError(ep.Key("fallthrough"), "a boolean", f)
					}
				}
				bd.Rules = append(bd.Rules, r)
			}
		}
	}
	b.cfg.Bundle = bd
	if v, p, ok := b.lookup("compatibility_flags"); ok {
		if arr, ok := b.asArray(v, p); ok {
			for i, e := range arr {
				if s, ok := b.asString(e, p.Index(i)); ok {
					b.cfg.CompatibilityFlags = append(b.cfg.CompatibilityFlags, s)
				}
			}
		}
	}
}

// stringMap reads a table of strings (alias, define).
func (b *builder) stringMap(k string) map[string]string {
	v, p, ok := b.lookup(k)
	if !ok {
		return nil
	}
	m, ok := b.asTable(v, p)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for _, name := range b.d.sortedKeys(m, p) {
		if s, ok := b.asString(m[name], p.Key(name)); ok {
			out[name] = s
		}
	}
	return out
}

// HasFlag reports whether compatibility_flags holds flag.
func (c *Config) HasFlag(flag string) bool { return slices.Contains(c.CompatibilityFlags, flag) }

// describeRule is a rule as a config would write it, for messages.
func (r Rule) String() string { return fmt.Sprintf("{type = %q, globs = %q}", r.Type, r.Globs) }
