package intl_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/bindery-run/bindery/host/intl"
	"github.com/bindery-run/bindery/host/intl/intlwit"
)

// Example formats a date as new Intl.DateTimeFormat('de', { dateStyle:
// 'full', timeStyle: 'short', timeZone: 'Europe/Berlin' }) does, and
// normalizes a string as "e\u0301".normalize() does.
func Example() {
	ctx := context.Background()
	x := intl.New()
	res, _ := x.DateTimeResolve(ctx, []string{"de-DE"}, []intlwit.Field{
		{Name: "dateStyle", Value: "full"}, {Name: "timeStyle", Value: "short"}, {Name: "timeZone", Value: "Europe/Berlin"},
	})
	opt := map[string]string{}
	for _, f := range res {
		opt[f.Name] = f.Value
	}
	var b strings.Builder
	for _, p := range x.FormatDate(ctx, opt["dataLocale"], opt["pattern"], opt["timeZone"], 1709647629000) {
		b.WriteString(p.Value)
	}
	fmt.Println(opt["locale"], opt["timeZone"], b.String())
	fmt.Printf("%q\n", x.Normalize(ctx, "e\u0301", intlwit.NormalizationFormNfc))
	// Output:
	// de-DE Europe/Berlin Dienstag, 5. März 2024 um 15:07
	// "é"
}
