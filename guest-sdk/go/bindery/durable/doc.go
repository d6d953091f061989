// Package durable is Durable Objects for Go Workers: the client side
// (namespaces, ids, stubs: Stub.Fetch and RPC with Stub.Call) and the
// classes a Worker defines (Define), with their State: transactional
// Storage (key-value, SQL, an alarm) and hibernatable web sockets.
//
// A Worker that defines a class, e.g. a counter:
//
//	type Counter struct{ s *durable.State }
//
//	func (c *Counter) Increment() (int, error) {
//		var n int
//		if _, err := c.s.Storage.Get("value", &n); err != nil {
//			return 0, err
//		}
//		n++
//		return n, c.s.Storage.Put("value", n)
//	}
//
//	func init() {
//		durable.Define("Counter", func(s *durable.State) any { return &Counter{s} })
//		bindery.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			ns, _ := durable.Get("COUNTER")
//			stub, _ := ns.GetByName(r.URL.Path)
//			var n int
//			if err := stub.Call("increment", &n); err != nil { ... }
//			fmt.Fprintln(w, n)
//		}))
//	}
//
// with the config
//
//	[[durable_objects.bindings]]
//	name = "COUNTER"
//	class_name = "Counter"
//
//	[[migrations]]
//	tag = "v1"
//	new_sqlite_classes = ["Counter"]
//
// An object runs one event at a time (requests, RPC calls, its alarm,
// its sockets' messages); while an event waits on another object, other
// events of objects on the same instance may run, as Cloudflare
// interleaves at an await. Values in storage and RPC arguments and
// results use the structured-value encoding (package structured), which
// every Bindery SDK shares. docs/durable-objects.md has the details.
package durable
