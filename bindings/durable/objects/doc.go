// Package objects is the Durable Objects object manager, the host's side
// of docs/durable-objects.md's "Execution model": it places objects on
// instances of their class's module, delivers their events one at a time
// in arrival order, evicts idle objects and resets the objects of an
// instance that traps. It knows nothing of Wasm: a [Runner] makes the
// instances and runs events on them (the Wasm runner implements it; the
// tests use fakes).
//
// A [Manager.Deliver] makes its object live on first use (an [Object],
// given to each of its events), on the least loaded instance with room
// (Config.ObjectsPerInstance, or one object for a module that cannot
// nest; a new instance while the class has fewer than
// Config.SpreadInstances, up to Config.MaxInstances). Each instance has a
// goroutine of its own that runs its objects' events, one at a time, so
// objects on different instances run in parallel.
//
// A host call that waits (on another object's event, on a fetch) calls
// [Manager.Wait] with its event's ctx: while it waits, the goroutine runs
// the events queued for objects on the same instance, nested in the wait
// (the object's own next event too, as Cloudflare interleaves an object's
// events at awaits, unless it is inside [Manager.BlockConcurrency]). No
// instance idles on a wait, so a cycle of calls (A → B → A, or A and C on
// one instance with A → B → C) cannot deadlock. [Manager.Deliver] called
// with an event's ctx waits that way by itself.
//
// The package is apart from package durable (ids, key stores) because it
// is the runtime: goroutines, a clock, a Runner. Clients of ids
// (durablemodule, a Worker's stubs) need none of it.
package objects
