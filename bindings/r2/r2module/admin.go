package r2module

// The R2 routes of the admin API:
//
//	GET    /api/r2/buckets                            {"buckets": [{"name", "creation_date"}]}
//	PUT    /api/r2/buckets/{bucket}                   create the bucket (when the store is an R2BucketCreator)
//	GET    /api/r2/buckets/{bucket}/objects?prefix=&delimiter=&cursor=&start_after=&limit=&include=
//	                                                  a page in the JSON shape of R2's list result
//	GET    /api/r2/buckets/{bucket}/objects/{key...}  object bytes (Range: bytes=... answers 206)
//	HEAD   /api/r2/buckets/{bucket}/objects/{key...}
//	PUT    /api/r2/buckets/{bucket}/objects/{key...}  body streamed into the object; answers its JSON
//	DELETE /api/r2/buckets/{bucket}/objects/{key...}
//
// R2 object bodies stream in both directions. GET and HEAD answer with the
// object's HTTP metadata as headers (Content-Type, ETag, ...) and all its
// metadata as JSON in X-Bindery-R2-Object; PUT takes HTTP metadata from
// the standard headers (Expires as RFC 3339 or an HTTP date), custom
// metadata as a JSON object in X-Bindery-Custom-Metadata and the storage
// class in X-Bindery-Storage-Class. R2 errors carry a code ("NoSuchKey",
// ...) in the JSON body and in X-Bindery-Error-Code, with status 404 for a
// missing bucket or key, 400 for an invalid key or argument, 413 for an
// object over the size limit and 416 for an unsatisfiable range.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/internal/admin"
)

// R2Buckets is what the admin API needs of the R2 store; *r2.Store has it.
type R2Buckets interface {
	Bucket(ctx context.Context, name string) (*r2.Bucket, error)
	Buckets(ctx context.Context) ([]r2.BucketInfo, error)
}

// R2BucketCreator is what an R2Buckets may also do: create a bucket (PUT
// /api/r2/buckets/{bucket}; without it that route answers 501). *r2.Store
// has it.
type R2BucketCreator interface {
	// CreateBucket creates the bucket name; creating one that exists does
	// nothing.
	CreateBucket(ctx context.Context, name string) error
}

// Headers of the R2 object routes.
const (
	// HeaderR2Object carries an object's metadata as the JSON of R2Object
	// in the answers of GET and HEAD (PUT answers with it as the body).
	HeaderR2Object = "X-Bindery-R2-Object"
	// HeaderCustomMetadata carries a put's custom metadata as a JSON object
	// of strings.
	HeaderCustomMetadata = "X-Bindery-Custom-Metadata"
	// HeaderStorageClass carries a put's storage class.
	HeaderStorageClass = "X-Bindery-Storage-Class"
)

// r2Codes maps the R2 errors to their codes in error answers, and statuses.
var r2Codes = []struct {
	err    error
	code   string
	status int
}{
	{r2.ErrNoSuchBucket, "NoSuchBucket", http.StatusNotFound},
	{r2.ErrNoSuchKey, "NoSuchKey", http.StatusNotFound},
	{r2.ErrNoSuchUpload, "NoSuchUpload", http.StatusNotFound},
	{r2.ErrInvalidBucketName, "InvalidBucketName", http.StatusBadRequest},
	{r2.ErrBucketNotEmpty, "BucketNotEmpty", http.StatusConflict},
	{r2.ErrInvalidKey, "InvalidKey", http.StatusBadRequest},
	{r2.ErrMetadataTooLarge, "MetadataTooLarge", http.StatusBadRequest},
	{r2.ErrEntityTooLarge, "EntityTooLarge", http.StatusRequestEntityTooLarge},
	{r2.ErrEntityTooSmall, "EntityTooSmall", http.StatusBadRequest},
	{r2.ErrInvalidPart, "InvalidPart", http.StatusBadRequest},
	{r2.ErrInvalidPartOrder, "InvalidPartOrder", http.StatusBadRequest},
	{r2.ErrBadDigest, "BadDigest", http.StatusBadRequest},
	{r2.ErrInvalidRange, "InvalidRange", http.StatusRequestedRangeNotSatisfiable},
	{r2.ErrInvalidArgument, "InvalidArgument", http.StatusBadRequest},
	{r2.ErrPreconditionFailed, "PreconditionFailed", http.StatusPreconditionFailed},
}

// writeR2Err answers with err's status and code.
func writeR2Err(w http.ResponseWriter, r *http.Request, err error) {
	status, code := http.StatusInternalServerError, ""
	for _, c := range r2Codes {
		if errors.Is(err, c.err) {
			status, code = c.status, c.code
			break
		}
	}
	admin.WriteError(w, r, status, code, err)
}

// r2Error is the R2 error code names, or nil.
func r2Error(code string) error {
	for _, c := range r2Codes {
		if c.code == code {
			return c.err
		}
	}
	return nil
}

// R2BucketInfo is one bucket, in the JSON shape of Cloudflare's bucket list.
type R2BucketInfo struct {
	Name         string    `json:"name"`
	CreationDate time.Time `json:"creation_date"`
}

// R2HTTPMetadata is an object's HTTP metadata, in the JSON shape of the
// Workers R2 API.
type R2HTTPMetadata struct {
	ContentType        string     `json:"contentType,omitempty"`
	ContentLanguage    string     `json:"contentLanguage,omitempty"`
	ContentDisposition string     `json:"contentDisposition,omitempty"`
	ContentEncoding    string     `json:"contentEncoding,omitempty"`
	CacheControl       string     `json:"cacheControl,omitempty"`
	CacheExpiry        *time.Time `json:"cacheExpiry,omitempty"`
}

// R2Range is the part of an object a get returned.
type R2Range struct {
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
}

// R2Object is an object's metadata, in the JSON shape of the Workers R2
// API's R2Object (checksums as hex strings, as their toJSON gives them).
type R2Object struct {
	Key            string            `json:"key"`
	Version        string            `json:"version"`
	Size           int64             `json:"size"`
	ETag           string            `json:"etag"`
	HTTPETag       string            `json:"httpEtag"`
	Uploaded       time.Time         `json:"uploaded"`
	HTTPMetadata   *R2HTTPMetadata   `json:"httpMetadata,omitempty"`
	CustomMetadata map[string]string `json:"customMetadata,omitempty"`
	Checksums      map[string]string `json:"checksums,omitempty"`
	StorageClass   string            `json:"storageClass,omitempty"`
	Range          *R2Range          `json:"range,omitempty"`
}

// R2ListResult is one page of a list, in the JSON shape of the Workers R2
// API's R2Objects.
type R2ListResult struct {
	Objects           []R2Object `json:"objects"`
	DelimitedPrefixes []string   `json:"delimitedPrefixes"`
	Truncated         bool       `json:"truncated"`
	Cursor            string     `json:"cursor,omitempty"`
}

// R2ObjectToWire converts an object to its JSON shape.
func R2ObjectToWire(o *r2.Object) R2Object {
	w := R2Object{
		Key: o.Key, Version: o.Version, Size: o.Size, ETag: o.ETag, HTTPETag: o.HTTPETag(),
		Uploaded: o.Uploaded, CustomMetadata: o.CustomMetadata, StorageClass: o.StorageClass,
	}
	if h := o.HTTPMetadata; h != (r2.HTTPMetadata{}) {
		w.HTTPMetadata = &R2HTTPMetadata{
			ContentType: h.ContentType, ContentLanguage: h.ContentLanguage, ContentDisposition: h.ContentDisposition,
			ContentEncoding: h.ContentEncoding, CacheControl: h.CacheControl,
		}
		if !h.CacheExpiry.IsZero() {
			t := h.CacheExpiry
			w.HTTPMetadata.CacheExpiry = &t
		}
	}
	for name, sum := range map[string][]byte{"md5": o.Checksums.MD5, "sha1": o.Checksums.SHA1, "sha256": o.Checksums.SHA256, "sha384": o.Checksums.SHA384, "sha512": o.Checksums.SHA512} {
		if sum != nil {
			if w.Checksums == nil {
				w.Checksums = map[string]string{}
			}
			w.Checksums[name] = hex.EncodeToString(sum)
		}
	}
	if o.Range != nil {
		w.Range = &R2Range{Offset: o.Range.Offset, Length: o.Range.Length}
	}
	return w
}

// R2ObjectFromWire converts an object's JSON shape back.
func R2ObjectFromWire(w R2Object) (*r2.Object, error) {
	o := &r2.Object{
		Key: w.Key, Version: w.Version, Size: w.Size, ETag: w.ETag, Uploaded: w.Uploaded,
		CustomMetadata: w.CustomMetadata, StorageClass: w.StorageClass,
	}
	if h := w.HTTPMetadata; h != nil {
		o.HTTPMetadata = r2.HTTPMetadata{
			ContentType: h.ContentType, ContentLanguage: h.ContentLanguage, ContentDisposition: h.ContentDisposition,
			ContentEncoding: h.ContentEncoding, CacheControl: h.CacheControl,
		}
		if h.CacheExpiry != nil {
			o.HTTPMetadata.CacheExpiry = *h.CacheExpiry
		}
	}
	for name, s := range w.Checksums {
		sum, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("checksum %s %q: %w", name, s, err)
		}
		switch name {
		case "md5":
			o.Checksums.MD5 = sum
		case "sha1":
			o.Checksums.SHA1 = sum
		case "sha256":
			o.Checksums.SHA256 = sum
		case "sha384":
			o.Checksums.SHA384 = sum
		case "sha512":
			o.Checksums.SHA512 = sum
		}
	}
	if w.Range != nil {
		o.Range = &r2.Range{Offset: w.Range.Offset, Length: w.Range.Length}
	}
	return o, nil
}

// R2ListToWire converts a list page to its JSON shape.
func R2ListToWire(r *r2.ListResult) R2ListResult {
	w := R2ListResult{Objects: make([]R2Object, len(r.Objects)), DelimitedPrefixes: r.DelimitedPrefixes, Truncated: r.Truncated, Cursor: r.Cursor}
	for i, o := range r.Objects {
		w.Objects[i] = R2ObjectToWire(o)
	}
	if w.DelimitedPrefixes == nil {
		w.DelimitedPrefixes = []string{}
	}
	return w
}

// ParseRange parses an HTTP Range header of one range ("bytes=0-99",
// "bytes=100-", "bytes=-100") into an r2.Range; it fails with
// r2.ErrInvalidRange.
func ParseRange(h string) (*r2.Range, error) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	first, last, dash := strings.Cut(spec, "-")
	if !ok || !dash || strings.Contains(spec, ",") {
		return nil, fmt.Errorf("%w: %q is not bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX", r2.ErrInvalidRange, h)
	}
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		return n, err == nil && n >= 0
	}
	if strings.TrimSpace(first) == "" {
		n, ok := num(last)
		if !ok || n == 0 {
			return nil, fmt.Errorf("%w: %q: want a positive suffix length", r2.ErrInvalidRange, h)
		}
		return &r2.Range{Suffix: n}, nil
	}
	off, ok := num(first)
	if !ok {
		return nil, fmt.Errorf("%w: %q: bad first byte", r2.ErrInvalidRange, h)
	}
	if strings.TrimSpace(last) == "" {
		return &r2.Range{Offset: off}, nil
	}
	end, ok := num(last)
	if !ok || end < off {
		return nil, fmt.Errorf("%w: %q: bad last byte", r2.ErrInvalidRange, h)
	}
	return &r2.Range{Offset: off, Length: end - off + 1}, nil
}

// FormatRange formats r as an HTTP Range header; it is the inverse of
// ParseRange.
func FormatRange(r *r2.Range) string {
	switch {
	case r.Suffix > 0:
		return fmt.Sprintf("bytes=-%d", r.Suffix)
	case r.Length > 0:
		return fmt.Sprintf("bytes=%d-%d", r.Offset, r.Offset+r.Length-1)
	}
	return fmt.Sprintf("bytes=%d-", r.Offset)
}

// routes collects admin routes.
type routes []bindings.Route

func (rs *routes) handle(pattern string, h http.HandlerFunc) {
	*rs = append(*rs, bindings.Route{Pattern: pattern, Handler: h})
}

// Routes returns the R2 routes of the admin API over store.
func Routes(store R2Buckets) []bindings.Route {
	mux := &routes{}
	r2Routes(mux, store)
	return *mux
}

// r2Routes adds the R2 routes to mux.
func r2Routes(mux *routes, store R2Buckets) {
	mux.handle("GET /api/r2/buckets", func(w http.ResponseWriter, r *http.Request) {
		bs, err := store.Buckets(r.Context())
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		out := struct {
			Buckets []R2BucketInfo `json:"buckets"`
		}{Buckets: make([]R2BucketInfo, len(bs))}
		for i, b := range bs {
			out.Buckets[i] = R2BucketInfo{Name: b.Name, CreationDate: b.Created}
		}
		admin.WriteJSON(w, http.StatusOK, out)
	})
	mux.handle("PUT /api/r2/buckets/{bucket}", func(w http.ResponseWriter, r *http.Request) {
		c, ok := store.(R2BucketCreator)
		if !ok {
			admin.WriteJSON(w, http.StatusNotImplemented, map[string]string{"error": "this dev server cannot create buckets"})
			return
		}
		if err := c.CreateBucket(r.Context(), r.PathValue("bucket")); err != nil {
			writeR2Err(w, r, err)
			return
		}
		admin.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.handle("GET /api/r2/buckets/{bucket}/objects", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		o := r2.ListOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), Cursor: q.Get("cursor"), StartAfter: q.Get("start_after")}
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil {
				writeR2Err(w, r, fmt.Errorf("%w: limit %q is not a number", r2.ErrInvalidArgument, l))
				return
			}
			o.Limit = n
		}
		for _, inc := range q["include"] {
			switch inc {
			case "httpMetadata":
				o.IncludeHTTPMetadata = true
			case "customMetadata":
				o.IncludeCustomMetadata = true
			default:
				writeR2Err(w, r, fmt.Errorf("%w: include %q (want httpMetadata or customMetadata)", r2.ErrInvalidArgument, inc))
				return
			}
		}
		b, err := store.Bucket(r.Context(), r.PathValue("bucket"))
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		res, err := b.List(r.Context(), o)
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		admin.WriteJSON(w, http.StatusOK, R2ListToWire(res))
	})
	// GET also serves HEAD.
	mux.handle("GET /api/r2/buckets/{bucket}/objects/{key...}", func(w http.ResponseWriter, r *http.Request) {
		b, err := store.Bucket(r.Context(), r.PathValue("bucket"))
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		key := r.PathValue("key")
		if r.Method == http.MethodHead {
			obj, err := b.Head(r.Context(), key)
			if err != nil {
				writeR2Err(w, r, err)
				return
			}
			setObjectHeaders(w.Header(), obj)
			w.Header().Set("Content-Length", strconv.FormatInt(obj.Size, 10))
			w.WriteHeader(http.StatusOK)
			return
		}
		var o r2.GetOptions
		if h := r.Header.Get("Range"); h != "" {
			if o.Range, err = ParseRange(h); err != nil {
				writeR2Err(w, r, err)
				return
			}
		}
		ob, err := b.Get(r.Context(), key, o)
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		defer ob.Body.Close()
		setObjectHeaders(w.Header(), ob.Object)
		status, n := http.StatusOK, ob.Size
		if rg := ob.Range; rg != nil {
			status, n = http.StatusPartialContent, rg.Length
			if n > 0 {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rg.Offset, rg.Offset+n-1, ob.Size))
			}
		}
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(status)
		// An error now can only cut the body short, which the client sees.
		io.Copy(w, ob.Body)
	})
	mux.handle("PUT /api/r2/buckets/{bucket}/objects/{key...}", func(w http.ResponseWriter, r *http.Request) {
		o, err := putOptions(r.Header)
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		b, err := store.Bucket(r.Context(), r.PathValue("bucket"))
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		body := &readCounter{r: r.Body}
		obj, err := b.Put(r.Context(), r.PathValue("key"), body, o)
		if err != nil && body.n > 0 {
			// The put failed with the body partly read (it is too large,
			// say). Answer now and read the rest until the client, seeing
			// the answer, stops sending: closing the connection with
			// unread data would reset it, and the client would see that
			// instead of the answer.
			rc := http.NewResponseController(w)
			rc.EnableFullDuplex()
			w.Header().Set("Connection", "close")
			writeR2Err(w, r, err)
			rc.Flush()
			io.Copy(io.Discard, r.Body)
			return
		}
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		// Not the object's HTTP metadata: this answer is JSON.
		w.Header().Set("ETag", obj.HTTPETag())
		admin.WriteJSON(w, http.StatusOK, R2ObjectToWire(obj))
	})
	mux.handle("DELETE /api/r2/buckets/{bucket}/objects/{key...}", func(w http.ResponseWriter, r *http.Request) {
		b, err := store.Bucket(r.Context(), r.PathValue("bucket"))
		if err == nil {
			err = b.Delete(r.Context(), r.PathValue("key"))
		}
		if err != nil {
			writeR2Err(w, r, err)
			return
		}
		admin.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

// readCounter counts the bytes read through it.
type readCounter struct {
	r io.Reader
	n int64
}

func (c *readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// setObjectHeaders sets the HTTP headers R2 answers a get with, and
// HeaderR2Object.
func setObjectHeaders(h http.Header, o *r2.Object) {
	hm := o.HTTPMetadata
	for name, v := range map[string]string{
		"Content-Type": hm.ContentType, "Content-Language": hm.ContentLanguage, "Content-Disposition": hm.ContentDisposition,
		"Content-Encoding": hm.ContentEncoding, "Cache-Control": hm.CacheControl,
	} {
		if v != "" {
			h.Set(name, strings.Map(noCTL, v))
		}
	}
	if !hm.CacheExpiry.IsZero() {
		h.Set("Expires", hm.CacheExpiry.UTC().Format(http.TimeFormat))
	}
	h.Set("ETag", o.HTTPETag())
	h.Set("Last-Modified", o.Uploaded.UTC().Format(http.TimeFormat))
	b, _ := json.Marshal(R2ObjectToWire(o))
	h.Set(HeaderR2Object, string(b))
}

// putOptions reads a put's metadata from its request headers.
func putOptions(h http.Header) (r2.PutOptions, error) {
	o := r2.PutOptions{
		HTTPMetadata: r2.HTTPMetadata{
			ContentType: h.Get("Content-Type"), ContentLanguage: h.Get("Content-Language"), ContentDisposition: h.Get("Content-Disposition"),
			ContentEncoding: h.Get("Content-Encoding"), CacheControl: h.Get("Cache-Control"),
		},
		StorageClass: h.Get(HeaderStorageClass),
	}
	if e := h.Get("Expires"); e != "" {
		t, err := ParseExpires(e)
		if err != nil {
			return o, err
		}
		o.HTTPMetadata.CacheExpiry = t
	}
	if m := h.Get(HeaderCustomMetadata); m != "" {
		if err := json.Unmarshal([]byte(m), &o.CustomMetadata); err != nil {
			return o, fmt.Errorf("%w: %s is not a JSON object of strings: %v", r2.ErrInvalidArgument, HeaderCustomMetadata, err)
		}
	}
	return o, nil
}

// ParseExpires parses an expiry time given as RFC 3339 or as an HTTP date;
// it fails with r2.ErrInvalidArgument.
func ParseExpires(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := http.ParseTime(s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%w: expires %q is neither RFC 3339 (2006-01-02T15:04:05Z) nor an HTTP date (Mon, 02 Jan 2006 15:04:05 GMT)", r2.ErrInvalidArgument, s)
}

func r2Path(bucket string, key ...string) string {
	p := "/api/r2/buckets/" + admin.EscapeKey(bucket) + "/objects"
	if len(key) > 0 {
		p += "/" + admin.EscapeKey(key[0])
	}
	return p
}

// Client calls the R2 routes of a dev server's admin API. Its errors
// wrap the R2 error their code names, so errors.Is(err, r2.ErrNoSuchKey)
// works as on a local store.
type Client struct{ c *admin.Client }

// NewClient returns a client of the admin API at url (e.g.
// "http://127.0.0.1:43211") with the bearer token; hc nil means a default
// HTTP client.
func NewClient(url, token string, hc *http.Client) *Client {
	return &Client{c: &admin.Client{URL: url, Token: token, HTTP: hc}}
}

// Ping checks that the server answers and accepts the token.
func (c *Client) Ping(ctx context.Context) error { return c.c.Ping(ctx) }

// call sends a request whose only answer is success or an error.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body []byte) error {
	return c.c.Call(ctx, method, path, q, nil, 0, r2Error)
}

// apiError reads an error answer.
func apiError(resp *http.Response) error { return admin.ReadError(resp, r2Error) }

// objectFromHeader decodes HeaderR2Object.
func objectFromHeader(h http.Header) (*r2.Object, error) {
	var w R2Object
	if err := json.Unmarshal([]byte(h.Get(HeaderR2Object)), &w); err != nil {
		return nil, fmt.Errorf("admin API: %s: %w", HeaderR2Object, err)
	}
	return R2ObjectFromWire(w)
}

// R2Buckets returns every bucket, sorted by name.
func (c *Client) R2Buckets(ctx context.Context) ([]r2.BucketInfo, error) {
	resp, err := c.c.Request(ctx, "GET", "/api/r2/buckets", nil, nil, nil, 0)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	var out struct{ Buckets []R2BucketInfo }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	bs := make([]r2.BucketInfo, len(out.Buckets))
	for i, b := range out.Buckets {
		bs[i] = r2.BucketInfo{Name: b.Name, Created: b.CreationDate}
	}
	return bs, nil
}

// R2CreateBucket creates a bucket; creating one that exists does nothing.
func (c *Client) R2CreateBucket(ctx context.Context, bucket string) error {
	return c.call(ctx, "PUT", "/api/r2/buckets/"+admin.EscapeKey(bucket), nil, nil)
}

// R2Head returns an object's metadata.
func (c *Client) R2Head(ctx context.Context, bucket, key string) (*r2.Object, error) {
	resp, err := c.c.Request(ctx, "HEAD", r2Path(bucket, key), nil, nil, nil, 0)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	return objectFromHeader(resp.Header)
}

// R2Get returns an object and its bytes, or the range o.Range selects
// (o.OnlyIf is not supported). The caller must close the body.
func (c *Client) R2Get(ctx context.Context, bucket, key string, o r2.GetOptions) (*r2.ObjectBody, error) {
	if o.OnlyIf != nil {
		return nil, fmt.Errorf("admin API: %w: conditional gets are not supported", r2.ErrInvalidArgument)
	}
	h := http.Header{}
	if o.Range != nil {
		h.Set("Range", FormatRange(o.Range))
	}
	resp, err := c.c.Request(ctx, "GET", r2Path(bucket, key), nil, h, nil, 0)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		defer resp.Body.Close()
		return nil, apiError(resp)
	}
	obj, err := objectFromHeader(resp.Header)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	return &r2.ObjectBody{Object: obj, Body: resp.Body}, nil
}

// R2Put streams body into an object. size is body's length, or -1 if
// unknown. It no longer reads body once it returns. o.Checksums and
// o.OnlyIf are not supported.
func (c *Client) R2Put(ctx context.Context, bucket, key string, body io.Reader, size int64, o r2.PutOptions) (*r2.Object, error) {
	if o.OnlyIf != nil || o.Checksums.MD5 != nil || o.Checksums.SHA1 != nil || o.Checksums.SHA256 != nil || o.Checksums.SHA384 != nil || o.Checksums.SHA512 != nil {
		return nil, fmt.Errorf("admin API: %w: conditional puts and checksums are not supported", r2.ErrInvalidArgument)
	}
	h := http.Header{}
	hm := o.HTTPMetadata
	for name, v := range map[string]string{
		"Content-Type": hm.ContentType, "Content-Language": hm.ContentLanguage, "Content-Disposition": hm.ContentDisposition,
		"Content-Encoding": hm.ContentEncoding, "Cache-Control": hm.CacheControl, HeaderStorageClass: o.StorageClass,
	} {
		if v != "" {
			h.Set(name, v)
		}
	}
	if !hm.CacheExpiry.IsZero() {
		h.Set("Expires", hm.CacheExpiry.UTC().Format(time.RFC3339Nano))
	}
	if len(o.CustomMetadata) > 0 {
		b, err := json.Marshal(o.CustomMetadata)
		if err != nil {
			return nil, err
		}
		h.Set(HeaderCustomMetadata, string(b))
	}
	if body == nil {
		body, size = strings.NewReader(""), 0
	}
	// The transport may go on reading the body after it returns the
	// answer (when the server answers early, say with 413): cut it off,
	// and wait for a read in progress, before giving body back.
	guard := &detachableReader{r: body}
	defer guard.detach()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := c.c.Request(ctx, "PUT", r2Path(bucket, key), nil, h, guard, size)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	var w R2Object
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	return R2ObjectFromWire(w)
}

// detachableReader reads from r until detach is called.
type detachableReader struct {
	mu       sync.Mutex
	r        io.Reader
	detached bool
}

func (d *detachableReader) Read(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.detached {
		return 0, errors.New("admin API: the put is over")
	}
	return d.r.Read(p)
}

func (d *detachableReader) detach() {
	d.mu.Lock()
	d.detached = true
	d.mu.Unlock()
}

// R2Delete deletes an object; a missing key is not an error.
func (c *Client) R2Delete(ctx context.Context, bucket, key string) error {
	return c.call(ctx, "DELETE", r2Path(bucket, key), nil, nil)
}

// R2List returns one page of a bucket's objects.
func (c *Client) R2List(ctx context.Context, bucket string, o r2.ListOptions) (*r2.ListResult, error) {
	q := url.Values{}
	for name, v := range map[string]string{"prefix": o.Prefix, "delimiter": o.Delimiter, "cursor": o.Cursor, "start_after": o.StartAfter} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.IncludeHTTPMetadata {
		q.Add("include", "httpMetadata")
	}
	if o.IncludeCustomMetadata {
		q.Add("include", "customMetadata")
	}
	resp, err := c.c.Request(ctx, "GET", r2Path(bucket), q, nil, nil, 0)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	var w R2ListResult
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	res := &r2.ListResult{Objects: make([]*r2.Object, len(w.Objects)), DelimitedPrefixes: w.DelimitedPrefixes, Truncated: w.Truncated, Cursor: w.Cursor}
	for i, ow := range w.Objects {
		if res.Objects[i], err = R2ObjectFromWire(ow); err != nil {
			return nil, fmt.Errorf("admin API: %w", err)
		}
	}
	return res, nil
}

// noCTL replaces control characters, which a header value cannot hold.
func noCTL(r rune) rune {
	if r < ' ' || r == 0x7f {
		return '?'
	}
	return r
}
