package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAccessLog serves requests through the access log: one info line per
// request with the method, the path as sent, the status, the duration and
// the Worker's name; a panic is logged and goes on.
func TestAccessLog(t *testing.T) {
	tests := []struct {
		name    string
		target  string // the request-target, as sent
		handler http.HandlerFunc
		want    string // the line, without time and duration
		panics  any
	}{
		{name: "ok", target: "/kv/hello", handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "world") },
			want: `level=INFO msg=request method=GET path=/kv/hello status=200 worker=w1`},
		{name: "no body", target: "/", handler: func(w http.ResponseWriter, r *http.Request) {},
			want: `level=INFO msg=request method=GET path=/ status=200 worker=w1`},
		{name: "status", target: "/nope", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) },
			want: `level=INFO msg=request method=GET path=/nope status=404 worker=w1`},
		{name: "interim", target: "/hint", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(103); w.WriteHeader(201) },
			want: `level=INFO msg=request method=GET path=/hint status=201 worker=w1`},
		{name: "escaped, not cleaned, no query", target: "/a/../b%20c/%2F?token=secret", handler: func(w http.ResponseWriter, r *http.Request) {},
			want: `level=INFO msg=request method=GET path=/a/../b%20c/%2F status=200 worker=w1`},
		{name: "quoted", target: "/a%22b\"c", handler: func(w http.ResponseWriter, r *http.Request) {},
			want: `level=INFO msg=request method=GET path="/a%22b\"c" status=200 worker=w1`},
		{name: "aborted", target: "/stream", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			panic(http.ErrAbortHandler)
		}, panics: http.ErrAbortHandler,
			want: `level=INFO msg=request method=GET path=/stream status=200 worker=w1 aborted="the response was cut short after its headers"`},
		{name: "panic", target: "/bug", handler: func(w http.ResponseWriter, r *http.Request) { panic("bug") }, panics: "bug",
			want: `level=ERROR msg=request method=GET path=/bug status=0 worker=w1 panic=bug`},
	}
	duration := regexp.MustCompile(` duration=[0-9.]+[µnm]?s`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey {
						return slog.Attr{}
					}
					return a
				},
			}))
			h := accessLog(tc.handler, log, "w1")
			r := httptest.NewRequest("GET", "/", nil)
			r.RequestURI = tc.target
			var got any
			func() {
				defer func() { got = recover() }()
				h.ServeHTTP(httptest.NewRecorder(), r)
			}()
			if got != tc.panics {
				t.Errorf("panic = %v, want %v", got, tc.panics)
			}
			line := logs.String()
			if !duration.MatchString(line) {
				t.Errorf("no duration in %q", line)
			}
			if line = duration.ReplaceAllString(line, ""); line != tc.want+"\n" {
				t.Errorf("log =\n%s\nwant\n%s", line, tc.want)
			}
		})
	}
}

// TestAccessLogQuiet checks that above info level the access log is not
// there at all: the handler is served as it is.
func TestAccessLogQuiet(t *testing.T) {
	var logs bytes.Buffer
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(*statusWriter); ok {
			t.Error("the handler got the access log's ResponseWriter at warn level")
		}
	})
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	accessLog(h, log, "w1").ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if logs.Len() > 0 {
		t.Errorf("logged at warn level: %s", logs.String())
	}
}

// TestAccessLogConn serves through a real server: the handler reaches the
// connection's Flush and deadlines through the access log's ResponseWriter
// (http.NewResponseController follows Unwrap), and a response aborted after
// its headers cuts the connection, as the host needs.
func TestAccessLogConn(t *testing.T) {
	var logs syncBuf
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := accessLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline: %v", err)
		}
		if err := rc.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetReadDeadline: %v", err)
		}
		io.WriteString(w, "part")
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
	}), log, "w1")
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "part" {
		t.Errorf("GET /ok = %q, %v", b, err)
	}
	resp, err = http.Get(srv.URL + "/abort")
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("GET /abort = %q, %v; want the connection cut (unexpected EOF)", b, err)
	}
	for _, want := range []string{"path=/ok status=200", "path=/abort status=200", "aborted="} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// BenchmarkAccessLog is the cost the access log adds to a request, at info
// level (a line to a discarding TextHandler) and at warn (none).
func BenchmarkAccessLog(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	r := httptest.NewRequest("GET", "/kv/hello", nil)
	r.RequestURI = "/kv/hello?x=1"
	w := discardWriter{h: http.Header{}}
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn} {
		b.Run(level.String(), func(b *testing.B) {
			h := accessLog(next, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level})), "hello")
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}
