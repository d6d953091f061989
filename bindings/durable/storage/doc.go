// Package storage is the storage engine of Bindery's Durable Objects:
// one object's transactional key-value storage (Cloudflare's
// ctx.storage get/put/delete/list/deleteAll/transaction) and, for
// SQLite-backed classes, its SQL API (ctx.storage.sql.exec).
//
// There are two backends, as Cloudflare has two kinds of class:
//
//   - [SQLite] (new_sqlite_classes): one SQLite file per object, opened
//     on the first call. The KV API is the table _cf_KV of that database
//     (the name workerd gives it), so SQL and KV calls share one
//     transaction; the SQL API runs under workerd's authorizer rules
//     (no _cf_ names, no transaction statements, an allowlist of
//     pragmas and functions).
//   - [Badger] (new_classes): the KV API only, in a shared Badger
//     database under a per-object key prefix.
//
// Both implement [Storage]. Every call is one transaction, atomic and
// durable (committed to the SQLite file or to Badger's log, so that it
// survives the process being killed) before it returns.
// [Storage.Transaction] holds one transaction open across a closure and
// rolls it back when the closure returns an error; nested transactions
// are savepoints.
//
// Keys are strings compared as byte strings (UTF-8 bytes in memcmp
// order, as workerd compares them), and values are opaque bytes (the
// SDKs encode structured values before they reach this package).
// Limits are reported as a [*LimitError] naming the limit.
//
// An object runs one event at a time, so a Storage serves one caller at
// a time: its methods are safe for concurrent use but serialized, and a
// Transaction holds the storage for the closure's whole run (inside the
// closure, use the [Tx] it is given, never the Storage itself).
package storage
