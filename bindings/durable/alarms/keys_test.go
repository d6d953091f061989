package alarms

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// FuzzKeys: the record and index keys decode to what they encode, the
// index sorts by due time whatever the class and id, and one class's
// prefix holds only its own records.
func FuzzKeys(f *testing.F) {
	f.Add(int64(0), int64(1), "Counter", "a", "Counter", "b")
	f.Add(int64(-1), int64(0), "C", "1:x/y", "C/1:x", "y")
	f.Add(int64(math.MinInt64), int64(math.MaxInt64), "", "", "10:", "/")
	f.Add(int64(1765108800000), int64(1765108800000), "Chat:Room", "ff", "Chat", "Room/ff")
	f.Fuzz(func(t *testing.T, due1, due2 int64, class1, id1, class2, id2 string) {
		k := recordKey(class1, id1)
		if c, id, err := parseRecordKey(k); err != nil || c != class1 || id != id1 {
			t.Fatalf("parseRecordKey(%q) = %q, %q, %v", k, c, id, err)
		}
		if !bytes.HasPrefix(k, classPrefix(class1)) {
			t.Fatalf("record key %q outside its class prefix %q", k, classPrefix(class1))
		}
		if class1 != class2 && bytes.HasPrefix(recordKey(class2, id2), classPrefix(class1)) {
			t.Fatalf("class %q's record key %q inside class %q's prefix", class2, recordKey(class2, id2), class1)
		}
		if (class1 != class2 || id1 != id2) && bytes.Equal(k, recordKey(class2, id2)) {
			t.Fatalf("two objects share the record key %q", k)
		}
		i1, i2 := indexKey(due1, class1, id1), indexKey(due2, class2, id2)
		if d, c, id, err := parseIndexKey(i1); err != nil || d != due1 || c != class1 || id != id1 {
			t.Fatalf("parseIndexKey(%q) = %d, %q, %q, %v", i1, d, c, id, err)
		}
		if due1 < due2 && bytes.Compare(i1, i2) >= 0 {
			t.Fatalf("due %d sorts at or after due %d: %q, %q", due1, due2, i1, i2)
		}
		if seek := indexKey(due1, "", ""); due1 <= due2 && bytes.Compare(seek, i2) > 0 {
			t.Fatalf("the seek key of %d sorts after an entry due at %d", due1, due2)
		}
		r := record{scheduled: due1, due: due2, retries: uint32(len(id2))}
		if got, err := decodeRecord(r.encode()); err != nil || got != r {
			t.Fatalf("decodeRecord(encode(%+v)) = %+v, %v", r, got, err)
		}
		// Whatever other writers put under the prefixes is an error, not a panic.
		parseRecordKey([]byte(recordsRoot + class1 + id1))
		parseIndexKey([]byte(indexRoot + class1 + id1))
		decodeRecord([]byte(strings.Repeat(id1, 3)))
	})
}
