// Package durable is Bindery's Durable Objects (issue 15; the design is
// docs/durable-objects.md). So far it holds the ids: a [Namespace] is one
// class's id space, and its [ID]s are what idFromName, newUniqueId and
// idFromString give a Worker.
//
// An id is 32 bytes, shown as 64 lower-case hex digits as Cloudflare's:
//
//   - bytes 0–15 are the object's key: for [Namespace.IDFromName] an
//     HMAC-SHA-256 of the name under the namespace's key, with the top
//     bit of byte 0 clear (the same name always reaches the same object);
//     for [Namespace.NewUniqueID] 16 random bytes with that bit set, so a
//     unique id never equals a named one;
//   - bytes 16–31 are an HMAC-SHA-256 of bytes 0–15 under the namespace's
//     key, truncated: [Namespace.IDFromString] recomputes it, so a
//     malformed id, or one of another class, is an [*IDError] and never
//     reaches an object.
//
// The namespace's key is 32 random bytes made the first time a class is
// used and kept in a [KeyStore]: [NewBadgerKeys] keeps them in the data
// directory's Badger database (state.State.DurableKeys), [NewMemoryKeys]
// in memory.
// A renamed class keeps its key ([KeyStore.RenameKey]), as its objects
// keep their storage; a deleted class's key goes with its objects
// ([KeyStore.DeleteKey]).
package durable
