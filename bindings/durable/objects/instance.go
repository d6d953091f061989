package objects

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
)

// instance is one Instance and its objects. Its goroutine (loop) is the
// only one that calls the Instance: it runs events one at a time, and
// nested ones from inside Wait.
type instance struct {
	cls  *class
	seq  uint64        // creation order: placement's tie-break
	wake chan struct{} // a token: something changed

	// guarded by cls.mu
	capacity int
	objects  map[*Object]struct{}
	ready    []*Object // objects with an event that may run, FIFO
	evict    []*Object // objects whose idle timer fired
	poisoned bool      // it trapped: no more events, its objects are reset

	// set by loop before the first event, then read only
	run     Instance
	canNest bool

	stack []*frame // events in progress, innermost last; cls.mu

	// owned by loop's goroutine
	top atomic.Pointer[frame] // the event running (the innermost)
}

// newInstance adds an instance, which starts on a goroutine of its own;
// cls.mu held. Until the class's first instance has started (and said
// whether it can nest) it has room for one object.
func (c *class) newInstance() *instance {
	c.seq++
	in := &instance{cls: c, seq: c.seq, wake: make(chan struct{}, 1), capacity: 1, objects: map[*Object]struct{}{}}
	if c.nest > 0 {
		in.capacity = c.m.cfg.ObjectsPerInstance
	}
	c.instances[in] = struct{}{}
	c.m.wg.Add(1)
	go in.loop()
	return in
}

// signal wakes the instance's goroutine.
func (in *instance) signal() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// loop starts the instance, then runs its objects' events and evictions
// until it has no objects, traps or the Manager closes.
func (in *instance) loop() {
	cls, m := in.cls, in.cls.m
	defer m.wg.Done()
	run, err := m.cfg.Runner.NewInstance(m.ctx, cls.name)
	cls.mu.Lock()
	if err != nil {
		err = fmt.Errorf("objects: starting an instance of class %q: %w", cls.name, err)
		delete(cls.instances, in)
		for obj := range in.objects {
			obj.failQueued(err)
			in.detach(obj)
			delete(cls.objects, obj.id)
		}
		cls.mu.Unlock()
		return
	}
	in.run, in.canNest = run, run.CanNest()
	in.capacity, cls.nest = 1, -1
	if in.canNest {
		in.capacity, cls.nest = m.cfg.ObjectsPerInstance, 1
	}
	cls.mu.Unlock()
	for {
		cls.mu.Lock()
		switch {
		case in.poisoned:
			cls.mu.Unlock()
			in.reset()
			return
		case m.closed.Load():
			delete(cls.instances, in)
			objs := slices.Collect(maps.Keys(in.objects))
			for _, obj := range objs {
				obj.failQueued(ErrClosed)
				in.detach(obj)
				delete(cls.objects, obj.id)
			}
			cls.mu.Unlock()
			in.shut(objs)
			return
		case len(in.evict) > 0:
			objs := in.evict
			in.evict = nil
			cls.mu.Unlock()
			in.evictIdle(objs)
			continue
		}
		if obj, e := in.next(); e != nil {
			cls.mu.Unlock()
			in.runEvent(obj, e)
			continue
		}
		if len(in.objects) == 0 {
			delete(cls.instances, in)
			cls.mu.Unlock()
			in.shut(nil)
			return
		}
		cls.mu.Unlock()
		<-in.wake
	}
}

// next takes the next event that may run, marking it running, or returns
// nil; cls.mu held.
func (in *instance) next() (*Object, *event) {
	for len(in.ready) > 0 {
		obj := in.ready[0]
		in.ready[0] = nil
		in.ready = in.ready[1:]
		if obj.inst != in {
			continue // moved after a reset; its flag was cleared then
		}
		obj.inReady = false
		if obj.blocking > 0 {
			continue // BlockConcurrency's release puts it back
		}
		e := obj.pop()
		if e == nil {
			in.cls.idle(obj)
			continue
		}
		obj.running++
		e.frame = &frame{inst: in, obj: obj, parent: e.parent}
		in.stack = append(in.stack, e.frame)
		in.cls.ready(obj)
		return obj, e
	}
	in.ready = nil
	return nil, nil
}

// failReady fails every event that may run with err: what a Wait at the
// nesting limit does, so that nothing waits on an instance that cannot
// serve it; cls.mu held.
func (in *instance) failReady(err error) {
	for len(in.ready) > 0 {
		obj := in.ready[0]
		in.ready = in.ready[1:]
		if obj.inst != in {
			continue
		}
		obj.inReady = false
		if obj.blocking > 0 {
			continue
		}
		obj.failQueued(err)
		in.cls.idle(obj)
	}
	in.ready = nil
}

// runEvent runs e for obj on the calling goroutine (the instance's).
func (in *instance) runEvent(obj *Object, e *event) {
	cls := in.cls
	f := e.frame
	outer := in.top.Swap(f)
	res, err := in.run.Run(context.WithValue(e.ctx, ctxKey{}, ctxFrame{f: f, attached: true}), obj, e.ev)
	in.top.Store(outer)

	cls.mu.Lock()
	in.stack[len(in.stack)-1] = nil
	in.stack = in.stack[:len(in.stack)-1]
	f.done = true
	obj.blocking -= f.blocks
	f.blocks = 0
	obj.running--
	if _, trapped := errors.AsType[*TrapError](err); trapped {
		in.poison()
	} else if in.poisoned {
		if err == nil {
			err = ErrPoisoned
		} else {
			err = fmt.Errorf("%w: %w", ErrPoisoned, err)
		}
	}
	if !in.poisoned {
		cls.ready(obj)
		cls.idle(obj)
	}
	e.finish(result{res, err})
	cls.mu.Unlock()
}

// poison marks the instance as trapped: it takes no more events and no
// new objects; cls.mu held.
func (in *instance) poison() {
	in.poisoned = true
	delete(in.cls.instances, in)
}

// detach takes obj off the instance; cls.mu held.
func (in *instance) detach(obj *Object) {
	delete(in.objects, obj)
	obj.inst = nil
	obj.inReady = false
	obj.blocking = 0
	if obj.timer != nil {
		obj.timer.Stop()
	}
}

// reset resets the objects of a poisoned instance, once every event on
// it has returned: their storage handles are closed, those with events
// queued are placed again (on another instance), the others are no
// longer live. Then the instance is closed.
func (in *instance) reset() {
	cls := in.cls
	cls.mu.Lock()
	objs := slices.Collect(maps.Keys(in.objects))
	cls.mu.Unlock()
	for _, obj := range objs {
		obj.closeStorage()
	}
	cls.mu.Lock()
	for _, obj := range objs {
		in.detach(obj)
		if !obj.queued() {
			delete(cls.objects, obj.id)
			continue
		}
		if err := cls.place(obj); err != nil {
			obj.failQueued(fmt.Errorf("objects: placing %s object %s after its instance trapped: %w", cls.name, obj.id, err))
			delete(cls.objects, obj.id)
		}
	}
	cls.mu.Unlock()
	in.shut(nil)
}

// shut closes the storage handles of objs, then the instance.
func (in *instance) shut(objs []*Object) {
	for _, obj := range objs {
		obj.closeStorage()
	}
	if err := in.run.Close(in.cls.m.ctx); err != nil {
		in.cls.m.log.Error("closing a durable object instance", "class", in.cls.name, "err", err)
	}
}

// evictIdle evicts those of objs that are still idle, between events
// (on the instance's goroutine, with nothing in progress on it).
func (in *instance) evictIdle(objs []*Object) {
	cls, m := in.cls, in.cls.m
	for _, obj := range objs {
		cls.mu.Lock()
		idle := obj.inst == in && cls.expired(obj)
		cls.mu.Unlock()
		if !idle {
			continue
		}
		// Events that arrive now wait in the object's queue: the
		// instance's goroutine is here, so none runs until it is
		// evicted.
		if err := in.run.Evict(m.ctx, obj); err != nil {
			m.log.Error("evicting a durable object", "class", cls.name, "id", obj.id.String(), "err", err)
		}
		obj.closeStorage()
		cls.mu.Lock()
		if obj.queued() {
			cls.ready(obj) // back at once: live again, with nothing in memory
		} else {
			in.detach(obj)
			delete(cls.objects, obj.id)
		}
		cls.mu.Unlock()
	}
}
