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
