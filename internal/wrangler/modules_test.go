package wrangler

import (
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/kv/kvmodule"
	"github.com/bindery-run/bindery/bindings/r2/r2module"
)

// The binding lists the tests read are those of the KV and R2 modules.
type (
	KVNamespace = kvmodule.Namespace
	R2Bucket    = r2module.Bucket
)

// testParsers are the parsers of the modules that read kv_namespaces and
// r2_buckets, as bindery dev passes them.
func testParsers() []config.Parser {
	return []config.Parser{kvmodule.Module().Parser(), r2module.Module().Parser()}
}

// kvs returns the config's kv_namespaces.
func kvs(c *Config) []KVNamespace { return kvmodule.Namespaces(c.Bindings["kv"]) }

// r2s returns the config's r2_buckets.
func r2s(c *Config) []R2Bucket { return r2module.Buckets(c.Bindings["r2"]) }
