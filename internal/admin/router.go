package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// router matches requests on their escaped path, segment by segment, and
// never cleans, normalises or redirects it: keys are opaque, so "a//b",
// "x/../y" and "a/b" are three different keys. (http.ServeMux cleans such
// paths and answers 307, which clients follow with the same method: a
// DELETE of "x/../etc" would delete "etc".)
type router struct{ routes []route }

type route struct {
	method string   // "" matches any; "GET" also matches HEAD
	segs   []string // literal segments, "{name}" (one segment) or a last "{name...}" (the rest)
	h      http.HandlerFunc
}

// handle adds a route: pattern is "METHOD /literal/{name}/{rest...}", or
// a path alone for every method.
func (rt *router) handle(pattern string, h http.HandlerFunc) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	rt.routes = append(rt.routes, route{method: method, segs: strings.Split(strings.TrimPrefix(path, "/"), "/"), h: h})
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	var allow []string
	for _, rte := range rt.routes {
		vals, ok := rte.match(parts)
		if !ok {
			continue
		}
		if rte.method != "" && rte.method != r.Method && !(rte.method == "GET" && r.Method == "HEAD") {
			allow = append(allow, rte.method)
			continue
		}
		for name, v := range vals {
			r.SetPathValue(name, v)
		}
		rte.h(w, r)
		return
	}
	if len(allow) > 0 {
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(slices.Compact(allow), ", "))
		WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": r.Method + " is not allowed on " + r.URL.EscapedPath()})
		return
	}
	WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no admin API route " + r.URL.EscapedPath()})
}

// match matches the escaped path segments parts, returning the unescaped
// values of the wildcards.
func (rte route) match(parts []string) (map[string]string, bool) {
	var vals map[string]string
	set := func(name, escaped string) bool {
		v, err := url.PathUnescape(escaped)
		if err != nil {
			return false
		}
		if vals == nil {
			vals = map[string]string{}
		}
		vals[name] = v
		return true
	}
	for i, seg := range rte.segs {
		if name, ok := strings.CutSuffix(strings.TrimPrefix(seg, "{"), "...}"); ok && strings.HasPrefix(seg, "{") {
			return vals, i < len(parts) && set(name, strings.Join(parts[i:], "/"))
		}
		if i >= len(parts) {
			return nil, false
		}
		if name, ok := strings.CutSuffix(strings.TrimPrefix(seg, "{"), "}"); ok && strings.HasPrefix(seg, "{") {
			if parts[i] == "" || !set(name, parts[i]) {
				return nil, false
			}
			continue
		}
		if parts[i] != seg {
			return nil, false
		}
	}
	return vals, len(parts) == len(rte.segs)
}
