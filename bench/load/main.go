// Command load is a small closed-loop HTTP load generator for
// bench/run-http.sh, used when wrk is not installed (or LOADGEN=go). Unlike
// wrk it keeps every request's latency and reports raw percentiles (no
// coordinated-omission correction). It only targets loopback addresses and
// stops after -d.
//
//	load -url http://127.0.0.1:8790/hello -c 32 -d 5s
//	load -url http://127.0.0.1:8790/kv/ -method PUT -body 100 -fresh-keys -c 32 -d 5s
//
// Output, one line: rps p50_ms p99_ms non2xx errors max_ms requests
// (the same fields, in the same order, as bench/http/wrk.awk prints).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

func main() {
	target := flag.String("url", "", "URL to load (loopback only)")
	conns := flag.Int("c", 32, "connections (each one request at a time)")
	dur := flag.Duration("d", 5*time.Second, "how long to send requests")
	method := flag.String("method", "GET", "request method")
	bodySize := flag.Int("body", 0, "request body size in bytes (the letter v)")
	fresh := flag.Bool("fresh-keys", false, "append a per-request unique key (w<conn>-<n>) to the URL")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		fail("want -url http://127.0.0.1:PORT/path")
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fail("refusing to load %s: not a loopback address", u.Host)
	}
	if *conns < 1 || *dur <= 0 {
		fail("want -c >= 1 and -d > 0")
	}
	tr := &http.Transport{
		MaxIdleConns: *conns, MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns,
		DisableCompression: true,
	}
	client := &http.Client{Transport: tr}
	body := bytes.Repeat([]byte("v"), *bodySize)
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()

	type result struct {
		lat            []time.Duration
		non2xx, errors int
	}
	results := make([]result, *conns)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range *conns {
		wg.Go(func() {
			res := &results[c]
			res.lat = make([]time.Duration, 0, 1<<16)
			for n := 0; ctx.Err() == nil; n++ {
				u := *target
				if *fresh {
					u += "w" + strconv.Itoa(c) + "-" + strconv.Itoa(n)
				}
				req, err := http.NewRequestWithContext(ctx, *method, u, bytes.NewReader(body))
				if err != nil {
					fail("%v", err)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				lat := time.Since(t0)
				if err != nil {
					if ctx.Err() == nil || !errors.Is(err, context.DeadlineExceeded) {
						res.errors++
					}
					continue
				}
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					res.non2xx++
				}
				res.lat = append(res.lat, lat)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	tr.CloseIdleConnections()

	var all []time.Duration
	non2xx, errs := 0, 0
	for _, r := range results {
		all = append(all, r.lat...)
		non2xx += r.non2xx
		errs += r.errors
	}
	if len(all) == 0 {
		fail("no request completed (%d errors)", errs)
	}
	slices.Sort(all)
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	fmt.Printf("%.0f %.3f %.3f %d %d %.3f %d\n",
		float64(len(all))/elapsed.Seconds(), ms(pct(0.50)), ms(pct(0.99)), non2xx, errs, ms(all[len(all)-1]), len(all))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
	os.Exit(1)
}
