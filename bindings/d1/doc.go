// Package d1 is the engine of Bindery's D1 binding: Cloudflare D1's
// semantics (prepare/bind, all/first/run/raw, atomic batch, exec,
// sessions and bookmarks, D1's limits and its refusals) over SQLite,
// through the pure-Go driver github.com/ncruces/go-sqlite3.
//
// A Database is one SQLite file in WAL mode (Open) or one in-memory
// database (OpenMemory). Writes go through one writer connection;
// reads of a file database go through a small pool of reader
// connections, so readers never wait for the writer.
//
// This package is the engine and the host side of its WIT interface
// (Binding); the d1module package builds the binding module and the
// `bindery d1` CLI on it (which runs migrations with ExecScript).
package d1
