package storage_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/bindery-run/bindery/bindings/durable/storage"
)

// TestBadgerLargestPut: a put must fit in one Badger transaction; one
// that does not is refused whole, with the limit named.
func TestBadgerLargestPut(t *testing.T) {
	db := openBadger(t, t.TempDir())
	defer db.Close()
	s := storage.NewBadger(db, "ns", "obj")
	es := make([]storage.Entry, storage.MaxKeysPerCall)
	for i := range es {
		es[i] = storage.Entry{Key: fmt.Sprint(i), Value: make([]byte, storage.MaxKVValueSize)}
	}
	fit := int(db.MaxBatchSize()) / (storage.MaxKVValueSize + 100)
	if err := s.Put(t.Context(), es[:fit]); err != nil {
		t.Fatalf("put of %d largest values: %v", fit, err)
	}
	got, err := s.Get(t.Context(), []string{"0", fmt.Sprint(fit - 1)})
	if err != nil || len(got) != 2 || len(got[1].Value) != storage.MaxKVValueSize {
		t.Fatalf("get = %d entries, %v", len(got), err)
	}
	var le *storage.LimitError
	if err := s.Put(t.Context(), es); !errors.As(err, &le) || le.Limit != storage.LimitTransactionSize {
		t.Fatalf("put of 128 largest values: %v, want the transaction size limit", err)
	}
	if got, _ := s.Get(t.Context(), []string{"127"}); len(got) != 0 {
		t.Errorf("a refused put wrote %d entries", len(got))
	}
	err = s.Transaction(t.Context(), func(tx storage.Tx) error {
		for i := 0; i < len(es); i += 16 {
			if err := tx.Put(t.Context(), es[i:i+16]); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.As(err, &le) || le.Limit != storage.LimitTransactionSize {
		t.Fatalf("transaction of 128 largest values: %v, want the transaction size limit", err)
	}
}

// TestBadgerObjectsApart: objects in one database never see each
// other's keys, whatever their namespaces, ids and keys.
func TestBadgerObjectsApart(t *testing.T) {
	ctx := t.Context()
	db := openBadger(t, t.TempDir())
	defer db.Close()
	objs := []*storage.Badger{
		storage.NewBadger(db, "n", "x"),
		storage.NewBadger(db, "n", "x/1:y"),
		storage.NewBadger(db, "n/1:x", "1:y"),
		storage.NewBadger(db, "", "x"),
		storage.NewBadger(db, "n", ""),
	}
	for i, o := range objs {
		es := []storage.Entry{{Key: "", Value: []byte{byte(i)}}, {Key: "1:y/k", Value: []byte{byte(i)}}, {Key: "\xff", Value: []byte{byte(i)}}}
		if err := o.Put(ctx, es); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := objs[0].DeleteAll(ctx); err != nil || n != 3 {
		t.Fatalf("deleteAll of the first object = %d, %v; want 3", n, err)
	}
	for i, o := range objs[1:] {
		es, err := o.List(ctx, storage.ListOptions{})
		if err != nil || len(es) != 3 {
			t.Fatalf("object %d lists %d keys, %v; want 3", i+1, len(es), err)
		}
		for _, e := range es {
			if e.Value[0] != byte(i+1) {
				t.Errorf("object %d sees key %q of object %d", i+1, e.Key, e.Value[0])
			}
		}
		if es, _ := o.List(ctx, storage.ListOptions{Reverse: true, Limit: 1}); len(es) != 1 || es[0].Key != "\xff" {
			t.Errorf("object %d: last key %q", i+1, es)
		}
	}
}
