package queue

// Group commit. Every write of the broker (sends, attempts counted
// before a handler runs, settled batches, purges, sweeps) is a request to
// one committer goroutine, which takes every request waiting and writes
// them in as few transactions as Badger takes; a syncer goroutine then
// calls db.Sync once for every request committed since its last sync
// that asks for one, while the committer writes the next requests:
// concurrent sends share one fsync, and no write waits for another's.
//
// Sends and settings are synced: Send returns once its messages survive
// a power loss. The consumer's writes (attempts, outcomes) and the
// deletions of Purge and the retention sweep are not: a committed Badger
// transaction survives the process being killed (kill -9, a panic), as
// every write of the data directory does (docs/state.md), and the next
// sync makes them durable too. A power loss may then forget an attempt
// or an ack since the last sync: the message is delivered again (at
// least once), its attempts maybe one short. An fsync per batch would
// double a message's latency from send to handler for that.

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
	sync   bool // db.Sync before done
	done   chan error
}

// commit writes groups, synced if sync is set, and returns the first
// error.
func (b *Broker) commit(groups []group, sync bool) error {
	if len(groups) == 0 {
		return nil
	}
	req := &commitReq{groups: groups, sync: sync, done: make(chan error, 1)}
	b.reqs <- req
	return <-req.done
}

// committer serves b.reqs until it is closed: it commits, and hands
// the requests that want a sync to the syncer, so that writes go on
// while a sync runs (a pipelined group commit).
func (b *Broker) committer() {
	defer close(b.syncq)
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

// syncer serves b.syncq until it is closed: one db.Sync for every
// request committed and waiting.
func (b *Broker) syncer() {
	defer close(b.committerDone)
	for reqs := range b.syncq {
	drain:
		for {
			select {
			case more, ok := <-b.syncq:
				if !ok {
					break drain
				}
				reqs = append(reqs, more...)
			default:
				break drain
			}
		}
		if b.syncHook != nil {
			b.syncHook(len(reqs))
		}
		err := b.db.Sync()
		b.stats.syncs.Add(1)
		for _, r := range reqs {
			r.done <- err
		}
	}
}

// write commits batch's groups and answers the requests that want no
// sync.
func (b *Broker) write(batch []*commitReq) {
	errs := make([]error, len(batch))
	txn := b.db.NewTransaction(true)
	var members []int // the requests with a group in txn
	size, count := 0, 0
	var txnErr error // a Set or Delete that failed: txn is discarded
	flush := func() {
		err := txnErr
		if err == nil && count > 0 {
			err = txn.Commit()
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
	b.stats.commits.Add(uint64(len(batch)))
	var syncing []*commitReq
	for i, r := range batch {
		if r.sync && errs[i] == nil {
			syncing = append(syncing, r)
		} else {
			r.done <- errs[i]
		}
	}
	if len(syncing) > 0 {
		b.syncq <- syncing
	}
}
