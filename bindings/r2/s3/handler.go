package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bindery-run/bindery/bindings/r2"
)

// DefaultRegion is the region of the credential scope clients sign with
// when Options.Region is empty, as for Cloudflare R2.
const DefaultRegion = "auto"

// Options configure the handler NewHandler returns. The zero value serves
// nothing: every request needs one of Credentials.
type Options struct {
	// Credentials are the access keys accepted; each has full access to
	// every bucket.
	Credentials []Credentials
	// Region is the region clients put in their credential scope and the
	// one GetBucketLocation reports; empty means DefaultRegion. "auto" and
	// "us-east-1" are always accepted too, as R2 does.
	Region string
	// Logger receives a debug line per request and the causes of internal
	// errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock signatures are checked against; nil means time.Now.
	Now func() time.Time
}

// Credentials are an S3 access key: an ID and its secret.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// NewCredentials returns random credentials shaped like R2's: a 32-hex
// access key ID and a 64-hex secret.
func NewCredentials() (Credentials, error) {
	var id [16]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Credentials{}, fmt.Errorf("s3: new credentials: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return Credentials{}, fmt.Errorf("s3: new credentials: %w", err)
	}
	return Credentials{AccessKeyID: hex.EncodeToString(id[:]), SecretAccessKey: hex.EncodeToString(secret[:])}, nil
}

// handler serves the S3 API over a store. It is safe for concurrent use.
type handler struct {
	store  r2.Backend
	auth   authenticator
	region string
	log    *slog.Logger
	now    func() time.Time
}

// NewHandler returns an http.Handler that serves the S3 API, path-style
// (http://HOST/BUCKET/KEY), over the buckets of store. Every request must
// be signed with AWS Signature Version 4 by one of opts.Credentials. See
// the package documentation for the operations.
func NewHandler(store r2.Backend, opts Options) http.Handler {
	h := &handler{
		store:  store,
		region: opts.Region,
		log:    opts.Logger,
		now:    opts.Now,
	}
	if h.region == "" {
		h.region = DefaultRegion
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.auth = authenticator{
		secrets: make(map[string]string, len(opts.Credentials)),
		regions: map[string]bool{h.region: true, "auto": true, "us-east-1": true},
		now:     h.now,
	}
	for _, c := range opts.Credentials {
		if c.AccessKeyID != "" && c.SecretAccessKey != "" {
			h.auth.secrets[c.AccessKeyID] = c.SecretAccessKey
		}
	}
	return h
}

// request is one S3 request being served.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	id     string
	bucket string
	key    string
	query  url.Values
	auth   *authResult
	// op names the operation, for logs and NotImplemented errors.
	op     string
	status int
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{w: w, r: r, ctx: r.Context(), id: newRequestID(), query: r.URL.Query()}
	req.bucket, req.key = splitPath(r.URL.Path)
	w.Header().Set("X-Amz-Request-Id", req.id)
	w.Header().Set("Server", "bindery")

	start := h.now()
	defer func() {
		h.log.LogAttrs(req.ctx, slog.LevelDebug, "s3 request",
			slog.String("id", req.id), slog.String("op", req.op),
			slog.String("method", r.Method), slog.String("bucket", req.bucket), slog.String("key", req.key),
			slog.Int("status", req.status), slog.Duration("elapsed", h.now().Sub(start)))
	}()

	auth, aerr := h.auth.authenticate(r)
	if aerr != nil {
		req.op = "Authenticate"
		h.writeError(req, aerr)
		return
	}
	req.auth = auth
	h.route(req)
}

// splitPath splits a path-style URL path into bucket and key.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// newRequestID returns a random x-amz-request-id.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// op is a routed operation.
type op struct {
	name string
	fn   func(*handler, *request) *apiError
}

// route picks the operation of a request.
func (h *handler) route(req *request) {
	o := h.pick(req)
	req.op = o.name
	if o.fn == nil {
		h.writeError(req, notImplemented(o.name))
		return
	}
	if aerr := o.fn(h, req); aerr != nil {
		h.writeError(req, aerr)
	}
}

// subresources are the query parameters that select another operation on
// a bucket or object, with the name of that operation's resource. Those
// not handled in pick are answered with NotImplemented.
var subresources = []struct{ param, name string }{
	{"accelerate", "BucketAccelerateConfiguration"},
	{"acl", "Acl"},
	{"analytics", "BucketAnalyticsConfiguration"},
	{"attributes", "ObjectAttributes"},
	{"cors", "BucketCors"},
	{"encryption", "BucketEncryption"},
	{"intelligent-tiering", "BucketIntelligentTieringConfiguration"},
	{"inventory", "BucketInventoryConfiguration"},
	{"legal-hold", "ObjectLegalHold"},
	{"lifecycle", "BucketLifecycleConfiguration"},
	{"logging", "BucketLogging"},
	{"metrics", "BucketMetricsConfiguration"},
	{"notification", "BucketNotificationConfiguration"},
	{"object-lock", "ObjectLockConfiguration"},
	{"ownershipControls", "BucketOwnershipControls"},
	{"policy", "BucketPolicy"},
	{"policyStatus", "BucketPolicyStatus"},
	{"publicAccessBlock", "PublicAccessBlock"},
	{"replication", "BucketReplication"},
	{"requestPayment", "BucketRequestPayment"},
	{"restore", "RestoreObject"},
	{"retention", "ObjectRetention"},
	{"select", "SelectObjectContent"},
	{"tagging", "Tagging"},
	{"torrent", "ObjectTorrent"},
	{"versioning", "BucketVersioning"},
	{"versions", "ObjectVersions"},
	{"website", "BucketWebsite"},
}

// verbs prefixes operation names by method.
var verbs = map[string]string{
	http.MethodGet: "Get", http.MethodHead: "Head", http.MethodPut: "Put",
	http.MethodPost: "Post", http.MethodDelete: "Delete",
}

// pick returns the operation a request asks for; one without fn is not
// implemented.
func (h *handler) pick(req *request) op {
	q, m := req.query, req.r.Method
	for _, s := range subresources {
		if !q.Has(s.param) {
			continue
		}
		if s.param == "versioning" && m == http.MethodGet && req.key == "" && req.bucket != "" {
			return op{"GetBucketVersioning", (*handler).getBucketVersioning}
		}
		return op{name: verbs[m] + s.name}
	}
	switch {
	case req.bucket == "":
		if m == http.MethodGet {
			return op{"ListBuckets", (*handler).listBuckets}
		}
		return op{name: verbs[m] + "Service"}
	case req.key == "":
		switch m {
		case http.MethodGet:
			switch {
			case q.Has("location"):
				return op{"GetBucketLocation", (*handler).getBucketLocation}
			case q.Has("uploads"):
				return op{"ListMultipartUploads", (*handler).listMultipartUploads}
			case q.Get("list-type") == "2":
				return op{"ListObjectsV2", (*handler).listObjectsV2}
			}
			return op{"ListObjects", (*handler).listObjectsV1}
		case http.MethodHead:
			return op{"HeadBucket", (*handler).headBucket}
		case http.MethodPut:
			return op{"CreateBucket", (*handler).createBucket}
		case http.MethodDelete:
			return op{"DeleteBucket", (*handler).deleteBucket}
		case http.MethodPost:
			if q.Has("delete") {
				return op{"DeleteObjects", (*handler).deleteObjects}
			}
			return op{name: "PostObject (browser form upload)"}
		}
	default:
		switch m {
		case http.MethodGet:
			if q.Has("uploadId") {
				return op{"ListParts", (*handler).listParts}
			}
			return op{"GetObject", (*handler).getObject}
		case http.MethodHead:
			return op{"HeadObject", (*handler).headObject}
		case http.MethodPut:
			copySource := req.r.Header.Get("X-Amz-Copy-Source") != ""
			switch {
			case q.Has("partNumber") || q.Has("uploadId"):
				if copySource {
					return op{"UploadPartCopy", (*handler).uploadPartCopy}
				}
				return op{"UploadPart", (*handler).uploadPart}
			case copySource:
				return op{"CopyObject", (*handler).copyObject}
			}
			return op{"PutObject", (*handler).putObject}
		case http.MethodDelete:
			if q.Has("uploadId") {
				return op{"AbortMultipartUpload", (*handler).abortMultipartUpload}
			}
			return op{"DeleteObject", (*handler).deleteObject}
		case http.MethodPost:
			switch {
			case q.Has("uploads"):
				return op{"CreateMultipartUpload", (*handler).createMultipartUpload}
			case q.Has("uploadId"):
				return op{"CompleteMultipartUpload", (*handler).completeMultipartUpload}
			}
			return op{name: "PostObject"}
		}
	}
	if req.key == "" {
		return op{name: req.r.Method + " on a bucket"}
	}
	return op{name: req.r.Method + " on an object"}
}

// writeError sends an S3 error document (only the status for HEAD).
func (h *handler) writeError(req *request, e *apiError) {
	if e.code == "InternalError" {
		h.log.LogAttrs(req.ctx, slog.LevelError, "s3 internal error",
			slog.String("id", req.id), slog.String("op", req.op), slog.String("bucket", req.bucket),
			slog.String("key", req.key), slog.Any("err", e))
	}
	req.status = e.status
	if req.r.Method == http.MethodHead {
		req.w.WriteHeader(e.status)
		return
	}
	doc := errorResponse{
		Code:       e.code,
		Message:    e.message,
		BucketName: req.bucket,
		Key:        req.key,
		Resource:   req.r.URL.Path,
		RequestID:  req.id,
	}
	body, err := xml.Marshal(doc)
	if err != nil {
		req.w.WriteHeader(e.status)
		return
	}
	req.w.Header().Set("Content-Type", "application/xml")
	req.w.Header().Set("Content-Length", fmt.Sprint(len(xml.Header)+len(body)))
	req.w.WriteHeader(e.status)
	_, _ = io.WriteString(req.w, xml.Header)
	_, _ = req.w.Write(body)
}

// writeXML sends a 200 response with an XML document.
func (h *handler) writeXML(req *request, v any) *apiError {
	body, err := xml.Marshal(v)
	if err != nil {
		return wrapError("InternalError", fmt.Errorf("s3: encode %s response: %w", req.op, err))
	}
	req.w.Header().Set("Content-Type", "application/xml")
	req.w.Header().Set("Content-Length", fmt.Sprint(len(xml.Header)+len(body)))
	req.status = http.StatusOK
	req.w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(req.w, xml.Header)
	_, _ = req.w.Write(body)
	return nil
}

// writeStatus sends an empty response.
func (req *request) writeStatus(status int) {
	req.status = status
	req.w.WriteHeader(status)
}

// fail translates a store error for this request.
func (req *request) fail(err error) *apiError { return toAPIError(err, req.key) }

// bucketHandle opens the request's bucket.
func (h *handler) bucketHandle(req *request) (*r2.Bucket, *apiError) {
	b, err := h.store.Bucket(req.ctx, req.bucket)
	if err != nil {
		return nil, req.fail(err)
	}
	return b, nil
}

// readXML reads a small XML request body (at most max bytes), verified
// like any body, into v.
func readXML(req *request, max int64, v any, opts bodyOptions) *apiError {
	body, aerr := newBodyReader(req.r, req.auth, opts)
	if aerr != nil {
		return aerr
	}
	data, err := io.ReadAll(io.LimitReader(body, max+1))
	if fe := body.failure(); fe != nil {
		return fe
	}
	if err != nil {
		return wrapError("IncompleteBody", err)
	}
	if int64(len(data)) > max {
		return errorf("MalformedXML", "The XML document is larger than %d bytes.", max)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		e := newError("MalformedXML", "")
		e.cause = err
		return e
	}
	return nil
}

// owner is the one owner reported for everything.
func (h *handler) owner() owner {
	return owner{ID: "bindery", DisplayName: "bindery"}
}
