package objects_test

import (
	"context"
	"fmt"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/objects"
)

// counters is a Runner whose objects count their events in memory.
type counters struct{}

func (counters) NewInstance(ctx context.Context, class string) (objects.Instance, error) {
	return &counterInstance{counts: map[durable.ID]int{}}, nil
}

type counterInstance struct{ counts map[durable.ID]int }

func (*counterInstance) CanNest() bool { return true }

func (c *counterInstance) Run(ctx context.Context, obj *objects.Object, event any) (any, error) {
	c.counts[obj.ID()]++ // one event at a time on an instance: no lock
	return c.counts[obj.ID()], nil
}

func (c *counterInstance) Evict(ctx context.Context, obj *objects.Object) error {
	delete(c.counts, obj.ID())
	return nil
}

func (*counterInstance) Close(context.Context) error { return nil }

func Example() {
	ctx := context.Background()
	m, err := objects.New(objects.Config{Runner: counters{}})
	if err != nil {
		panic(err)
	}
	defer m.Close(ctx)
	ns := durable.NewNamespace("Counter", durable.Key{})
	for _, name := range []string{"a", "b", "a"} {
		n, err := m.Deliver(ctx, "Counter", ns.IDFromName(name), "increment")
		if err != nil {
			panic(err)
		}
		fmt.Println(name, n)
	}
	// Output:
	// a 1
	// b 1
	// a 2
}
