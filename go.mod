module github.com/bindery-run/bindery

go 1.26

require (
	github.com/bindery-run/bindery/guest-sdk/go v0.0.0
	github.com/dgraph-io/badger/v4 v4.9.6
	github.com/pelletier/go-toml/v2 v2.2.4
	github.com/tailscale/hujson v0.0.0-20250605163823-992244df8c5a
	github.com/tetratelabs/wazero v1.12.0
	go.bytecodealliance.org v0.7.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/coreos/go-semver v0.3.1 // indirect
	github.com/dgraph-io/ristretto/v2 v2.2.0 // indirect
	github.com/dustin/go-humanize v1.0.1 // indirect
	github.com/go-logr/logr v1.4.3 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/google/flatbuffers v25.2.10+incompatible // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.41.0 // indirect
	go.opentelemetry.io/otel/metric v1.41.0 // indirect
	go.opentelemetry.io/otel/trace v1.41.0 // indirect
	golang.org/x/sys v0.44.0 // indirect
	google.golang.org/protobuf v1.36.7 // indirect
)

replace github.com/bindery-run/bindery/guest-sdk/go => ./guest-sdk/go
