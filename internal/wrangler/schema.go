package wrangler

// scope says where a wrangler config key may appear and how environments
// treat it (wrangler's ConfigFields, EnvironmentInheritable and
// EnvironmentNonInheritable).
type scope uint8

const (
	scopeTop        scope = iota + 1 // top level only; never read from [env.X]
	scopeInherit                     // [env.X] value if set there, else the top-level one
	scopeNonInherit                  // [env.X] value only; the top-level one is ignored for --env X
)

// keyInfo describes one top-level or environment-level wrangler config key.
type keyInfo struct {
	scope scope
	used  bool   // bindery dev reads it
	note  string // extra words for the "not used" warning
}

// wranglerKeys returns every top-level / environment-level key of wrangler's
// config (wrangler 4.x), built fresh so that no package state is shared.
func wranglerKeys() map[string]keyInfo {
	keys := map[string]keyInfo{}
	add := func(s scope, used bool, names ...string) {
		for _, n := range names {
			keys[n] = keyInfo{scope: s, used: used}
		}
	}
	note := func(name, note string) {
		k := keys[name]
		k.note = note
		keys[name] = k
	}

	// Top-level only.
	add(scopeTop, true, "$schema", "dev", "env", "alias")
	add(scopeTop, false,
		"send_metrics", "keep_vars", "site", "wasm_modules", "text_blobs", "data_blobs",
		"legacy_env", "pages_build_output_dir", "addresses",
		"dependencies_instrumentation",
	)
	note("legacy_env", "wrangler 4 no longer supports it")

	// Inheritable.
	add(scopeInherit, true, "name", "main", "compatibility_date", "build",
		"compatibility_flags", "find_additional_modules", "base_dir", "tsconfig",
		"jsx_factory", "jsx_fragment", "rules", "no_bundle", "minify", "keep_names")
	add(scopeInherit, false,
		"account_id",
		"preserve_file_names", "workers_dev", "preview_urls", "routes",
		"route", "migrations", "exports",
		"triggers", "limits",
		"first_party_worker", "logfwdr", "logpush", "upload_source_maps", "placement",
		"assets", "observability", "access", "cache", "compliance_region",
		"python_modules", "previews",
		// Deprecated or removed, but still recognised by wrangler.
		"usage_model", "node_compat", "type", "webpack_config", "zone_id",
	)
	note("node_compat", `wrangler 4 removed it; use the "nodejs_compat" compatibility flag`)
	note("usage_model", "wrangler deprecated it")
	note("type", "it is a wrangler 1 field")
	note("webpack_config", "it is a wrangler 1 field")
	note("zone_id", "it is a wrangler 1 field")

	// Non-inheritable.
	add(scopeNonInherit, true, "vars", "secrets", "define")
	// Binding keys: used when a binding module reads them (see Load).
	add(scopeNonInherit, false,
		"kv_namespaces", "r2_buckets",
		"durable_objects", "workflows", "cloudchamber", "containers",
		"send_email", "queues", "connect", "d1_databases", "vectorize",
		"ai_search_namespaces", "ai_search", "websearch", "agent_memory", "hyperdrive",
		"services", "analytics_engine_datasets", "dispatch_namespaces",
		"mtls_certificates", "tail_consumers", "streaming_tail_consumers", "unsafe",
		"browser", "ai", "images", "stream", "media", "pipelines",
		"secrets_store_secrets", "artifacts", "unsafe_hello_world", "flagship",
		"worker_loaders", "ratelimits", "vpc_services", "vpc_networks",
		"version_metadata",
	)
	return keys
}

// bindingSource says where binding names live inside a binding field that
// bindery does not use yet; they still count for duplicate detection.
type bindingSource struct {
	field string
	// shape: "array" (entries with nameKey), "object" (one binding with
	// nameKey), "nested" (object whose sub array holds entries with nameKey),
	// "map" (the keys are the names).
	shape   string
	sub     string
	nameKey string
}

func otherBindingSources() []bindingSource {
	var out []bindingSource
	for _, f := range []string{
		"d1_databases", "services", "analytics_engine_datasets", "vectorize", "hyperdrive",
		"mtls_certificates", "dispatch_namespaces", "workflows", "pipelines",
		"secrets_store_secrets", "unsafe_hello_world", "worker_loaders", "vpc_services",
		"vpc_networks", "ai_search_namespaces", "ai_search", "agent_memory", "artifacts",
		"flagship", "kv_namespaces", "r2_buckets",
	} {
		out = append(out, bindingSource{field: f, shape: "array", nameKey: "binding"})
	}
	for _, f := range []string{"send_email", "ratelimits"} {
		out = append(out, bindingSource{field: f, shape: "array", nameKey: "name"})
	}
	for _, f := range []string{"ai", "browser", "images", "media", "stream", "version_metadata", "websearch", "assets"} {
		out = append(out, bindingSource{field: f, shape: "object", nameKey: "binding"})
	}
	for _, f := range []string{"durable_objects", "logfwdr", "unsafe"} {
		out = append(out, bindingSource{field: f, shape: "nested", sub: "bindings", nameKey: "name"})
	}
	out = append(out, bindingSource{field: "queues", shape: "nested", sub: "producers", nameKey: "binding"})
	for _, f := range []string{"wasm_modules", "text_blobs", "data_blobs"} {
		out = append(out, bindingSource{field: f, shape: "map"})
	}
	return out
}

// isValidWorkerName mirrors wrangler's check on "name": lowercase
// alphanumerics, "-" and "_", not starting with "-".
func isValidWorkerName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || (c == '-' && i > 0)
		if !ok {
			return false
		}
	}
	return true
}
