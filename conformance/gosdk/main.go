//go:build wasip1

// Command gosdk is the Worker of TestGoSDK: it reports what the Go SDK made
// of a request, and misbehaves on purpose, so that the test can hold the
// SDK to net/http's server semantics.
//
//	cd conformance/gosdk && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gosdk.wasm .
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

// seen is the previous request, kept past its handler: a later request
// must not change it.
var seen *http.Request

func init() {
	bindery.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/panic":
			panic("boom")
		case "/abort":
			w.Write([]byte("partial"))
			panic(http.ErrAbortHandler)
		case "/sniff":
			w.Write([]byte("<!DOCTYPE html><p>hi"))
			return
		case "/previous":
			json.NewEncoder(w).Encode(describe(seen))
			return
		case "/stream-panic":
			w.Write([]byte("partial "))
			w.(http.Flusher).Flush()
			panic("boom mid-stream")
		case "/sleep":
			time.Sleep(10 * time.Minute)
			return
		case "/recurse":
			recurse(0)
			return
		case "/sdk-errors":
			json.NewEncoder(w).Encode(sdkErrors())
			return
		case "/d1-sql":
			json.NewEncoder(w).Encode(d1SQL(r.Context()))
			return
		}
		body, _ := io.ReadAll(r.Body)
		d := describe(r)
		d["Body"] = string(body)
		d["NoBody"] = r.Body == http.NoBody
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Many", "1")
		w.Header().Add("X-Many", "2")
		json.NewEncoder(w).Encode(d)
		seen = r
	}))
}

func describe(r *http.Request) map[string]any {
	if r == nil {
		return nil
	}
	return map[string]any{
		"Method": r.Method, "URL": r.URL.String(), "Path": r.URL.Path, "RawQuery": r.URL.RawQuery,
		"Host": r.Host, "RequestURI": r.RequestURI, "RemoteAddr": r.RemoteAddr,
		"ContentLength": r.ContentLength, "Header": r.Header, "Proto": r.Proto,
	}
}

// recurse never returns: the Go runtime's stack overflow, a crash that
// prints a few hundred lines to stderr before it aborts.
func recurse(n int) int {
	var pad [64]byte
	pad[n%64] = byte(n)
	return recurse(n+1) + int(pad[3])
}

// sdkErrors calls the SDK with input the host could not take (strings
// that are not UTF-8, numbers out of range) and reports, for each call,
// "" when it failed with the expected typed error, or what happened
// instead. Any of them reaching the host would trap and end this request.
func sdkErrors() map[string]string {
	ns, err := bindery.KV("STORE")
	if err != nil {
		return map[string]string{"open": err.Error()}
	}
	bk, err := bindery.R2("FILES")
	if err != nil {
		return map[string]string{"open": err.Error()}
	}
	bad := "\xff\xfe"
	_, kvOpen := bindery.KV(bad)
	_, kvGet := ns.Get(bad)
	_, kvGetMany := ns.GetMany([]string{"fine", bad})
	_, kvList := ns.List(bindery.ListOptions{Limit: 4294967297})
	_, kvListNeg := ns.List(bindery.ListOptions{Limit: -1})
	_, kvListPrefix := ns.List(bindery.ListOptions{Prefix: bad})
	_, r2Get := bk.Get(bad, nil)
	_, r2Range := bk.Get("k", &bindery.R2GetOptions{Range: &bindery.R2Range{Offset: -1}})
	_, r2OnlyIf := bk.Get("k", &bindery.R2GetOptions{OnlyIf: &bindery.R2Conditional{EtagMatches: []string{bad}}})
	_, r2Put := bk.Put(bad, strings.NewReader("x"), nil)
	_, r2PutType := bk.Put("k", strings.NewReader("x"), &bindery.R2PutOptions{HTTPMetadata: bindery.R2HTTPMetadata{ContentType: bad}})
	_, r2PutMeta := bk.Put("k", strings.NewReader("x"), &bindery.R2PutOptions{CustomMetadata: map[string]string{"a": bad}})
	_, r2List := bk.List(&bindery.R2ListOptions{Limit: 1 << 33})
	_, r2Head := bk.Head(bad)
	_, varFound := bindery.Var(bad)
	db, err := bindery.D1("DB")
	if err != nil {
		return map[string]string{"open": err.Error()}
	}
	_, d1Open := bindery.D1(bad)
	_, d1SQL := db.Prepare("SELECT '" + bad + "'").All()
	_, d1Text := db.Prepare("SELECT ?").Bind(bad).All()
	_, d1Uint := db.Prepare("SELECT ?").Bind(uint64(1) << 63).All()
	_, d1Type := db.Prepare("SELECT ?").Bind(time.Now()).All()
	_, d1Batch := db.Batch(db.Prepare("SELECT 1"), db.Prepare("SELECT ?").Bind(bad))
	_, d1Exec := db.Exec("SELECT '" + bad + "'")
	_, d1Session := db.WithSession(bad)
	var d1SessionSQL error
	if s, err := db.WithSession(""); err != nil {
		d1SessionSQL = err
	} else {
		_, _, d1SessionSQL = s.Prepare(bad).First()
		s.Close()
	}
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"kv open", kvOpen, bindery.ErrNoSuchNamespace},
		{"kv get", kvGet, bindery.ErrInvalidKey},
		{"kv get many", kvGetMany, bindery.ErrInvalidKey},
		{"kv put", ns.Put(bad, []byte("x"), nil), bindery.ErrInvalidKey},
		{"kv put negative ttl", ns.Put("k", []byte("x"), &bindery.PutOptions{ExpirationTTL: -time.Second}), bindery.ErrInvalidArgument},
		{"kv put expiration before 1970", ns.Put("k", []byte("x"), &bindery.PutOptions{Expiration: time.Unix(-10, 0)}), bindery.ErrInvalidArgument},
		{"kv delete", ns.Delete(bad), bindery.ErrInvalidKey},
		{"kv list limit over uint32", kvList, bindery.ErrInvalidArgument},
		{"kv list negative limit", kvListNeg, bindery.ErrInvalidArgument},
		{"kv list prefix", kvListPrefix, bindery.ErrInvalidArgument},
		{"r2 get", r2Get, bindery.ErrInvalidKey},
		{"r2 negative range", r2Range, bindery.ErrInvalidRange},
		{"r2 onlyIf etag", r2OnlyIf, bindery.ErrInvalidArgument},
		{"r2 put", r2Put, bindery.ErrInvalidKey},
		{"r2 put content type", r2PutType, bindery.ErrInvalidArgument},
		{"r2 put custom metadata", r2PutMeta, bindery.ErrInvalidArgument},
		{"r2 list limit", r2List, bindery.ErrInvalidArgument},
		{"r2 head", r2Head, bindery.ErrInvalidKey},
		{"r2 delete", bk.Delete("fine", bad), bindery.ErrInvalidKey},
		{"r2 resumed upload", bk.ResumeMultipartUpload(bad, "id").Abort(), bindery.ErrInvalidKey},
		{"d1 open", d1Open, bindery.ErrNoSuchDatabase},
		{"d1 sql", d1SQL, bindery.ErrInvalidArgument},
		{"d1 text value", d1Text, bindery.ErrInvalidArgument},
		{"d1 integer over int64", d1Uint, bindery.ErrInvalidArgument},
		{"d1 unsupported type", d1Type, bindery.ErrUnsupportedType},
		{"d1 batch", d1Batch, bindery.ErrInvalidArgument},
		{"d1 exec", d1Exec, bindery.ErrInvalidArgument},
		{"d1 session bookmark", d1Session, bindery.ErrInvalidArgument},
		{"d1 session sql", d1SessionSQL, bindery.ErrInvalidArgument},
	}
	out := map[string]string{}
	for _, c := range checks {
		if !errors.Is(c.err, c.want) {
			out[c.name] = fmt.Sprintf("got %v, want an error matching %v", c.err, c.want)
		} else {
			out[c.name] = ""
		}
	}
	out["var"] = ""
	if varFound {
		out["var"] = "a name that is not UTF-8 was found"
	}
	return out
}

func main() {}
