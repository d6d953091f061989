package queue

// Group commit. Every write of the broker (sends, attempts counted
// before a handler runs, settled batches, purges, sweeps) is a request to
// one committer goroutine, which takes every request waiting, writes
// them in as few transactions as Badger takes and calls db.Sync once for
// all of them: concurrent sends share one fsync.

// Bounds of one transaction, well under Badger's (15% of its 64 MB
// memtable), so that adding a group never fails half way.
const (
	maxTxnBytes = 4 << 20
	maxTxnOps   = 10000
	// maxGroupReqs bounds the requests one sync serves.
	maxGroupReqs = 1024
)

// op is one key written or deleted.
type op struct {
	key, val []byte
	del      bool
}

// group is ops written all or none (in one transaction).
type group []op

func (g group) size() int {
	n := 0
	for _, o := range g {
		n += len(o.key) + len(o.val) + 32
	}
	return n
}

// commitReq is one request to the committer: its groups may land in
// different transactions (a send is one group).
type commitReq struct {
	groups []group
	done   chan error
}

// commit writes groups durably, and returns the first error.
func (b *Broker) commit(groups []group) error {
	if len(groups) == 0 {
		return nil
	}
	req := &commitReq{groups: groups, done: make(chan error, 1)}
	b.reqs <- req
	return <-req.done
}

// committer serves b.reqs until it is closed.
func (b *Broker) committer() {
	defer close(b.committerDone)
	batch := make([]*commitReq, 0, maxGroupReqs)
	for {
		req, ok := <-b.reqs
		if !ok {
			return
		}
		batch = append(batch[:0], req)
	drain:
		for len(batch) < maxGroupReqs {
			select {
			case r, ok := <-b.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		b.write(batch)
		clear(batch)
	}
}

// write commits batch's groups and syncs once.
func (b *Broker) write(batch []*commitReq) {
	errs := make([]error, len(batch))
	txn := b.db.NewTransaction(true)
	var members []int // the requests with a group in txn
	size, count, committed := 0, 0, false
	var txnErr error // a Set or Delete that failed: txn is discarded
	flush := func() {
		err := txnErr
		if err == nil && count > 0 {
			err = txn.Commit()
			committed = true
		} else {
			txn.Discard()
		}
		if err != nil {
			for _, i := range members {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
		txn = b.db.NewTransaction(true)
		members, size, count, txnErr = members[:0], 0, 0, nil
	}
	for i, r := range batch {
		for _, g := range r.groups {
			gs := g.size()
			if count > 0 && (size+gs > maxTxnBytes || count+len(g) > maxTxnOps) {
				flush()
			}
			if len(members) == 0 || members[len(members)-1] != i {
				members = append(members, i)
			}
			for _, o := range g {
				if txnErr != nil {
					break
				}
				if o.del {
					txnErr = txn.Delete(o.key)
				} else {
					txnErr = txn.Set(o.key, o.val)
				}
			}
			size += gs
			count += len(g)
		}
	}
	flush()
	txn.Discard()
	if committed {
		if b.syncHook != nil {
			b.syncHook(len(batch))
		}
		err := b.db.Sync()
		b.stats.syncs.Add(1)
		if err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	b.stats.commits.Add(uint64(len(batch)))
	for i, r := range batch {
		r.done <- errs[i]
	}
}
