package intl

import (
	"testing"

	"github.com/bindery-run/bindery/host/intl/intlwit"
)

func BenchmarkFormatDate(b *testing.B) {
	x := New()
	res, _ := x.DateTimeResolve(ctx, []string{"en-US"}, []intlwit.Field{{Name: "dateStyle", Value: "medium"}, {Name: "timeStyle", Value: "short"}, {Name: "timeZone", Value: "America/New_York"}})
	opt := map[string]string{}
	for _, f := range res {
		opt[f.Name] = f.Value
	}
	b.ReportAllocs()
	for b.Loop() {
		x.FormatDate(ctx, opt["dataLocale"], opt["pattern"], opt["timeZone"], 1709647629000)
	}
}

func BenchmarkDateTimeResolve(b *testing.B) {
	x := New()
	opts := []intlwit.Field{{Name: "year", Value: "numeric"}, {Name: "month", Value: "long"}, {Name: "day", Value: "numeric"}, {Name: "hour", Value: "numeric"}, {Name: "minute", Value: "numeric"}}
	b.ReportAllocs()
	for b.Loop() {
		x.DateTimeResolve(ctx, []string{"de"}, opts)
	}
}

func BenchmarkCompare(b *testing.B) {
	x := New()
	key := ""
	for _, f := range x.CollatorResolve(ctx, []string{"de"}, nil) {
		if f.Name == "key" {
			key = f.Value
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		x.Compare(ctx, key, "Müller", "Mueller")
	}
}
