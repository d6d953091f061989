// Package sqlite compares the two pure-Go SQLite drivers Bindery could
// build D1 on, on the direct path (no D1 layer): github.com/ncruces/go-sqlite3
// (the one bindings/d1 uses) and modernc.org/sqlite. It is its own
// module so that the root module does not depend on modernc.
//
// Run: cd bench/sqlite && go test -run '^$' -bench . -benchtime 2000x
package sqlite
