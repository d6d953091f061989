package queue

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/host/clock"
)

const testID = "0123456789abcdef0123456789abcdef"

func TestKeys(t *testing.T) {
	for _, tc := range []struct {
		queue string
		due   int64
		seq   uint64
	}{
		{"q", 0, 0},
		{"a/b:c", -1, 1},
		{strings.Repeat("x", 63), math.MaxInt64, math.MaxUint64},
		{"9:z/", math.MinInt64, 7},
	} {
		k := indexKey(tc.queue, tc.due, tc.seq, testID)
		q, due, seq, id, err := parseIndexKey(k)
		if err != nil || q != tc.queue || due != tc.due || seq != tc.seq || id != testID {
			t.Errorf("parseIndexKey(%q) = %q %d %d %q %v", k, q, due, seq, id, err)
		}
		if !bytes.HasPrefix(k, indexPrefix(tc.queue)) {
			t.Errorf("%q is not under %q", k, indexPrefix(tc.queue))
		}
		o, d, id, err := parseDeadKey(deadKey(tc.queue, "dlq", testID))
		if err != nil || o != tc.queue || d != "dlq" || id != testID {
			t.Errorf("parseDeadKey = %q %q %q %v", o, d, id, err)
		}
		for _, p := range []string{markerRoot, retainRoot} {
			k := appendQueue([]byte(p), tc.queue)
			if q, err := parseNameKey(p, k); err != nil || q != tc.queue {
				t.Errorf("parseNameKey(%q) = %q, %v", k, q, err)
			}
		}
	}
	// The index sorts by due time (negative ones first), then seq.
	keys := [][]byte{
		indexKey("q", -5, 9, testID), indexKey("q", 0, 1, testID), indexKey("q", 0, 2, testID), indexKey("q", 1<<40, 0, testID),
	}
	for i := 1; i < len(keys); i++ {
		if bytes.Compare(keys[i-1], keys[i]) >= 0 {
			t.Errorf("index key %d sorts before %d", i, i-1)
		}
	}
	// One queue's prefix holds none of another's keys.
	if bytes.HasPrefix(indexKey("ab", 0, 0, testID), indexPrefix("a")) || bytes.HasPrefix(recordKey("a/1", testID), key(recordRoot, "a", 0)) {
		t.Error("a queue's prefix holds another's keys")
	}
	for _, bad := range []string{"", "queue/i/", "queue/i/0:/", "queue/i/01:q/", "queue/i/1:q", "queue/i/64:" + strings.Repeat("x", 64) + "/",
		"queue/i/1:q/" + strings.Repeat("\x00", 16) + "0123456789ABCDEF0123456789abcdef", "queue/i/1:q/short"} {
		if _, _, _, _, err := parseIndexKey([]byte(bad)); err == nil {
			t.Errorf("parseIndexKey(%q) succeeded", bad)
		}
	}
}

func TestValues(t *testing.T) {
	r := record{ts: -3, ct: JSON, body: []byte(`{}`)}
	if got, err := decodeRecord(r.encode()); err != nil || got.ts != r.ts || got.ct != r.ct || string(got.body) != "{}" {
		t.Errorf("record round trip: %+v, %v", got, err)
	}
	v := indexValue{attempts: 7, ts: 1 << 50, origin: "dlq-origin"}
	if got, err := decodeIndexValue(v.encode()); err != nil || got != v {
		t.Errorf("index value round trip: %+v, %v", got, err)
	}
	if ms, err := decodeRetention(encodeRetention(3600e3)); err != nil || ms != 3600e3 {
		t.Errorf("retention round trip: %d, %v", ms, err)
	}
	for _, bad := range [][]byte{nil, {2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0, 0, 4}} {
		if _, err := decodeRecord(bad); err == nil {
			t.Errorf("decodeRecord(%x) succeeded", bad)
		}
	}
	if _, err := decodeRetention(encodeRetention(0)); err == nil {
		t.Error("a retention of 0 decoded")
	}
}

// FuzzRecord: whatever the database holds under the prefix, decoding it
// never panics, and what decodes encodes back to the same bytes.
func FuzzRecord(f *testing.F) {
	f.Add([]byte(indexKey("q", 5, 6, testID)), record{ts: 1, ct: V8, body: []byte("x")}.encode())
	f.Add(deadKey("a", "b", testID), indexValue{attempts: 1, ts: 2, origin: "o"}.encode())
	f.Add(markerKey("q"), encodeRetention(1000))
	f.Add([]byte("queue/i/1:q/"), []byte{1})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		if q, due, seq, id, err := parseIndexKey(k); err == nil && !bytes.Equal(indexKey(q, due, seq, id), k) {
			t.Errorf("index key %q does not round-trip", k)
		}
		if o, d, id, err := parseDeadKey(k); err == nil && !bytes.Equal(deadKey(o, d, id), k) {
			t.Errorf("dead-letter key %q does not round-trip", k)
		}
		for _, p := range []string{markerRoot, retainRoot} {
			if q, err := parseNameKey(p, k); err == nil && !bytes.Equal(appendQueue([]byte(p), q), k) {
				t.Errorf("key %q does not round-trip", k)
			}
		}
		if r, err := decodeRecord(v); err == nil && !bytes.Equal(r.encode(), v) {
			t.Errorf("record %x does not round-trip", v)
		}
		if iv, err := decodeIndexValue(v); err == nil && !bytes.Equal(iv.encode(), v) {
			t.Errorf("index value %x does not round-trip", v)
		}
		if ms, err := decodeRetention(v); err == nil && !bytes.Equal(encodeRetention(ms), v) {
			t.Errorf("retention %x does not round-trip", v)
		}
		parseDueSeq(v)
	})
}

// FuzzStored: a broker opened on a database holding anything under
// "queue/" (two keys and values, each given the prefix) lists, describes,
// peeks, purges and consumes it without panicking.
func FuzzStored(f *testing.F) {
	rec := record{ts: 1, ct: Text, body: []byte("x")}.encode()
	f.Add([]byte(indexKey("q", 0, 1, testID)[len(root):]), indexValue{attempts: 2, ts: 1}.encode(),
		[]byte(recordKey("q", testID)[len(root):]), rec)
	f.Add([]byte(indexKey("d", 0, 1, testID)[len(root):]), indexValue{ts: 1, origin: "q"}.encode(),
		[]byte(deadKey("q", "d", testID)[len(root):]), appendDueSeq(nil, 0, 1))
	f.Add([]byte(markerKey("q")[len(root):]), []byte{}, []byte(retentionKey("q")[len(root):]), encodeRetention(1))
	f.Add([]byte(indexKey("q", 0, 1, testID)[len(root):]), indexValue{attempts: math.MaxUint32, ts: 1, origin: "q"}.encode(),
		[]byte(recordKey("q", testID)[len(root):]), []byte{1, 2})
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 []byte) {
		db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil).
			WithMemTableSize(1 << 20).WithValueThreshold(1 << 10).WithBlockCacheSize(1 << 20))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Update(func(txn *badger.Txn) error {
			if err := txn.Set(append([]byte(root), k1...), v1); err != nil {
				return err
			}
			return txn.Set(append([]byte(root), k2...), v2)
		})
		if err != nil {
			return // a key Badger refuses
		}
		clk := clock.NewManual(t0)
		b, err := Open(db, Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx := context.Background()
		qs, err := b.Queues(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"q", "d"} {
			qs = append(qs, Info{Name: q})
		}
		for _, q := range qs {
			b.Peek(ctx, q.Name, 10)
			b.Info(ctx, q.Name)
			b.Consume(q.Name, ConsumerConfig{MaxBatchSize: 1, MaxRetries: ptr(0), DeadLetterQueue: "dlq-" + q.Name[:min(len(q.Name), 59)]},
				func(context.Context, string, []Message) Outcome { return Outcome{RetryAll: true} })
		}
		clk.Advance(2 * sweepEvery) // two sweeps: fuzzed timestamps may be past any retention
		for _, q := range qs {
			b.Purge(ctx, q.Name)
		}
	})
}
