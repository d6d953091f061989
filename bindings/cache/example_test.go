package cache_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bindery-run/bindery/bindings/cache"
)

// A response stored with max-age is matched with cf-cache-status: HIT, a
// Range gets a 206, and If-None-Match with its ETag a 304.
func Example() {
	ctx := context.Background()
	ns := cache.NewNamespace(cache.NewMemory(nil), cache.Limits{}, nil)
	req := cache.Request{Method: "GET", URL: "https://example.com/greeting"}
	resp := cache.ResponseHead{Status: 200, Header: cache.Header{
		{Name: "cache-control", Value: []byte("max-age=60")},
		{Name: "etag", Value: []byte(`"v1"`)},
	}}
	stored, err := ns.Put(ctx, req, resp, strings.NewReader("hello, world"))
	fmt.Println("stored:", stored, err)

	show := func(h ...cache.Field) {
		r, _ := ns.Match(ctx, cache.Request{Method: "GET", URL: req.URL, Header: h}, cache.QueryOptions{})
		status, _ := r.Header.Get("cf-cache-status")
		body := ""
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			body = string(b)
		}
		fmt.Printf("%d %s %q\n", r.Status, status, body)
	}
	show()
	show(cache.Field{Name: "range", Value: []byte("bytes=0-4")})
	show(cache.Field{Name: "if-none-match", Value: []byte(`"v1"`)})

	stored, err = ns.Put(ctx, req, cache.ResponseHead{Status: 200, Header: cache.Header{{Name: "set-cookie", Value: []byte("id=1")}}}, strings.NewReader("per user"))
	fmt.Println("with Set-Cookie, stored:", stored, err)
	// Output:
	// stored: true <nil>
	// 200 HIT "hello, world"
	// 206 HIT "hello"
	// 304 HIT ""
	// with Set-Cookie, stored: false <nil>
}
