package embedplugins

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bindery-run/bindery/host"
)

// Manifest is a plugin's grants: the file <name>.json next to <name>.wasm
// in the plugin directory. Everything is denied unless the manifest
// grants it, and an empty manifest ({}) is valid: the plugin can filter
// images and nothing else. Unknown keys are an error.
//
//	{
//	  "imports": ["log"],
//	  "wasi": {"wall_clock": "coarse", "env": {"GREETING": "hi"}},
//	  "limits": {"timeout": "500ms", "memory_mib": 32, "operations": 100}
//	}
type Manifest struct {
	// Imports are the world's imports the plugin is granted, by name
	// ("log"). A plugin that calls an import it was not granted traps.
	Imports []string `json:"imports,omitempty"`
	// WASI is what the plugin gets from WASI.
	WASI WASIGrants `json:"wasi,omitzero"`
	// Limits bound each call.
	Limits Limits `json:"limits,omitzero"`
}

// WASIGrants is a manifest's WASI section; the zero value grants nothing
// (a fake clock, fixed-seed randomness, no sleep, env, args or files).
type WASIGrants struct {
	// WallClock is "" (the fake clock), "real", "coarse" (real, rounded
	// down to the second) or "fixed" (always 2000-01-01T00:00:00Z).
	WallClock string `json:"wall_clock,omitempty"`
	// MonotonicClock grants the real monotonic clock.
	MonotonicClock bool `json:"monotonic_clock,omitempty"`
	// Random grants crypto/rand.
	Random bool `json:"random,omitempty"`
	// Sleep lets the plugin sleep (until its call's deadline).
	Sleep bool `json:"sleep,omitempty"`
	// Env is the plugin's environment.
	Env map[string]string `json:"env,omitempty"`
	// Dirs are directories the plugin may read: host path (relative to
	// the plugin directory) to guest path.
	Dirs map[string]string `json:"dirs,omitempty"`
}

// Limits is a manifest's limits section; zero values are the service's
// defaults (Config.Limits).
type Limits struct {
	// Timeout is the deadline of one call, a Go duration ("500ms").
	Timeout string `json:"timeout,omitempty"`
	// MemoryMiB is the most linear memory one instance may grow to.
	MemoryMiB uint64 `json:"memory_mib,omitempty"`
	// MaxInstances bounds the calls of this plugin running at once.
	MaxInstances int `json:"max_instances,omitempty"`
	// Operations and Bytes bound what one call may do through each
	// granted import: host calls, and bytes copied in and out.
	Operations int64 `json:"operations,omitempty"`
	Bytes      int64 `json:"bytes,omitempty"`
}

// imports are the imports of world image-filter a manifest may grant.
var imports = []string{"log"}

// ReadManifest reads and checks the manifest at path: strict JSON (no
// unknown keys, one value) with known imports, a known wall clock and a
// valid timeout. Errors name the file.
func ReadManifest(path string) (Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("manifest %s: %w", path, err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("manifest %s: more than one JSON value", path)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}

// Validate reports the first thing wrong with m.
func (m Manifest) Validate() error {
	for _, name := range m.Imports {
		if !slices.Contains(imports, name) {
			return fmt.Errorf("imports: unknown import %q (world image-filter imports %s)", name, strings.Join(imports, ", "))
		}
	}
	switch m.WASI.WallClock {
	case "", "real", "coarse", "fixed":
	default:
		return fmt.Errorf(`wasi.wall_clock: %q is not "", "real", "coarse" or "fixed"`, m.WASI.WallClock)
	}
	if m.Limits.Timeout != "" {
		d, err := time.ParseDuration(m.Limits.Timeout)
		if err != nil {
			return fmt.Errorf("limits.timeout: %w", err)
		}
		if d <= 0 {
			return fmt.Errorf("limits.timeout: %s is not positive", d)
		}
	}
	if m.Limits.MaxInstances < 0 || m.Limits.Operations < 0 || m.Limits.Bytes < 0 {
		return errors.New("limits: max_instances, operations and bytes may not be negative")
	}
	return nil
}

// Granted reports whether m grants the import name.
func (m Manifest) Granted(name string) bool { return slices.Contains(m.Imports, name) }

// wasi returns the host's WASI policy for m; dir is the plugin directory
// that Dirs are relative to.
func (m Manifest) wasi(dir string) host.WASIConfig {
	w := m.WASI
	c := host.WASIConfig{MonotonicClock: w.MonotonicClock, Sleep: w.Sleep, Env: w.Env}
	switch w.WallClock {
	case "real":
		c.WallClock = host.WallClock{Real: true}
	case "coarse":
		c.WallClock = host.WallClock{Real: true, Resolution: time.Second}
	case "fixed":
		c.WallClock = host.WallClock{Fixed: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	if w.Random {
		c.Random = rand.Reader
	}
	for _, hostDir := range slices.Sorted(maps.Keys(w.Dirs)) {
		p := hostDir
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		c.Mounts = append(c.Mounts, host.Mount{HostDir: p, GuestPath: w.Dirs[hostDir]})
	}
	return c
}

// limits returns the host's limits for m over the defaults def.
func (m Manifest) limits(def host.Limits) host.Limits {
	l := def
	if m.Limits.Timeout != "" {
		l.Timeout, _ = time.ParseDuration(m.Limits.Timeout) // checked by Validate
	}
	if m.Limits.MemoryMiB > 0 {
		l.Memory = m.Limits.MemoryMiB << 20
	}
	if m.Limits.MaxInstances > 0 {
		l.MaxInstances = m.Limits.MaxInstances
	}
	if m.Limits.Operations > 0 {
		l.Operations = m.Limits.Operations
	}
	if m.Limits.Bytes > 0 {
		l.Bytes = m.Limits.Bytes
	}
	return l
}
