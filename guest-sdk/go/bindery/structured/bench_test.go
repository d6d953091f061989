package structured

import (
	"testing"
	"time"
)

// BenchmarkMarshalStructs measures Marshal of a slice of 1000 structs.
func BenchmarkMarshalStructs(b *testing.B) {
	type rec struct {
		ID    int64     `json:"id"`
		Name  string    `json:"name"`
		Tags  []string  `json:"tags,omitempty"`
		When  time.Time `json:"when"`
		Score float64   `json:"score"`
	}
	recs := make([]rec, 1000)
	for i := range recs {
		recs[i] = rec{ID: int64(i), Name: "name", Tags: []string{"a", "b"}, When: time.UnixMilli(int64(i) * 1001), Score: 1.5}
	}
	for b.Loop() {
		if _, err := Marshal(recs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalStructs measures Unmarshal into a slice of 1000 structs.
func BenchmarkUnmarshalStructs(b *testing.B) {
	type rec struct {
		ID    int64     `json:"id"`
		Name  string    `json:"name"`
		Tags  []string  `json:"tags,omitempty"`
		When  time.Time `json:"when"`
		Score float64   `json:"score"`
	}
	recs := make([]rec, 1000)
	for i := range recs {
		recs[i] = rec{ID: int64(i), Name: "name", Tags: []string{"a", "b"}, When: time.UnixMilli(int64(i) * 1001), Score: 1.5}
	}
	data, err := Marshal(recs)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var out []rec
		if err := Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
	}
}
