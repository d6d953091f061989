package s3

import (
	"encoding/base64"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/bindings/r2"
)

// maxCreateBucketBody bounds the CreateBucketConfiguration body, which is
// read and ignored.
const maxCreateBucketBody = 64 << 10

// maxBucketsPage is the most buckets one ListBuckets page holds, and the
// page size when a request pages (prefix, continuation-token or
// bucket-region) without max-buckets, as in S3.
const maxBucketsPage = 10000

// listBuckets serves ListBuckets: every bucket, or with prefix,
// max-buckets, continuation-token and bucket-region one page of them.
func (h *handler) listBuckets(req *request) *apiError {
	q := req.query
	limit := -1 // no paging: every bucket, as S3 answers a bare ListBuckets
	if q.Has("prefix") || q.Has("continuation-token") || q.Has("bucket-region") {
		limit = maxBucketsPage
	}
	if q.Has("max-buckets") {
		n, err := strconv.Atoi(q.Get("max-buckets"))
		if err != nil || n < 1 || n > maxBucketsPage {
			return errorf("InvalidArgument", "max-buckets must be an integer between 1 and %d, not %q.", maxBucketsPage, q.Get("max-buckets"))
		}
		limit = n
	}
	after := ""
	if tok := q.Get("continuation-token"); tok != "" {
		var ok bool
		if after, ok = decodeBucketToken(tok); !ok {
			return errBadContinuationToken()
		}
	}
	prefix := q.Get("prefix")
	infos, err := h.store.Buckets(req.ctx)
	if err != nil {
		return req.fail(err)
	}
	res := listAllMyBucketsResult{NS: s3NS, Owner: h.owner(), Buckets: []bucketXML{}, Prefix: prefix}
	if r := q.Get("bucket-region"); r != "" && !h.auth.regions[r] {
		// Every bucket is in the one region, which answers to each name
		// a credential scope may use.
		infos = nil
	}
	// infos is sorted by name.
	for _, b := range infos {
		if b.Name <= after || !strings.HasPrefix(b.Name, prefix) {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = encodeBucketToken(res.Buckets[limit-1].Name)
			break
		}
		res.Buckets = append(res.Buckets, bucketXML{Name: b.Name, CreationDate: formatISO8601(b.Created), BucketRegion: h.region})
	}
	return h.writeXML(req, res)
}

// bucketTokenV1 starts a ListBuckets continuation token; the rest is the
// name of the last bucket of the page before.
const bucketTokenV1 = 'b'

func encodeBucketToken(last string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{bucketTokenV1}, last...))
}

func decodeBucketToken(tok string) (last string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 2 || raw[0] != bucketTokenV1 {
		return "", false
	}
	return string(raw[1:]), true
}

// msgBadContinuationToken is S3's message for a continuation-token it did
// not give out.
const msgBadContinuationToken = "The continuation token provided is incorrect"

// errBadContinuationToken is S3's answer to a continuation-token it did not
// give out.
func errBadContinuationToken() *apiError {
	return newError("InvalidArgument", msgBadContinuationToken)
}

func (h *handler) createBucket(req *request) *apiError {
	// The body may hold a CreateBucketConfiguration (a location); any
	// location is accepted, so it is only drained.
	_, _ = io.Copy(io.Discard, io.LimitReader(req.r.Body, maxCreateBucketBody))
	if err := h.store.CreateBucket(req.ctx, req.bucket); err != nil {
		return req.fail(err)
	}
	req.w.Header().Set("Location", "/"+req.bucket)
	req.w.Header().Set("Content-Length", "0")
	req.writeStatus(http.StatusOK)
	return nil
}

func (h *handler) deleteBucket(req *request) *apiError {
	if err := h.store.DeleteBucket(req.ctx, req.bucket); err != nil {
		return req.fail(err)
	}
	req.writeStatus(http.StatusNoContent)
	return nil
}

func (h *handler) headBucket(req *request) *apiError {
	if _, aerr := h.bucketHandle(req); aerr != nil {
		return aerr
	}
	req.w.Header().Set("X-Amz-Bucket-Region", h.region)
	req.writeStatus(http.StatusOK)
	return nil
}

func (h *handler) getBucketLocation(req *request) *apiError {
	if _, aerr := h.bucketHandle(req); aerr != nil {
		return aerr
	}
	return h.writeXML(req, locationConstraint{NS: s3NS, Region: h.region})
}

// getBucketVersioning reports versioning as never enabled, which tools
// such as rclone ask about.
func (h *handler) getBucketVersioning(req *request) *apiError {
	if _, aerr := h.bucketHandle(req); aerr != nil {
		return aerr
	}
	return h.writeXML(req, versioningConfiguration{NS: s3NS})
}

// listParams are the query parameters shared by both list versions.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	urlEncode         bool
}

func parseListParams(req *request, maxName string) (listParams, *apiError) {
	q := req.query
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), maxKeys: 1000}
	if v := q.Get(maxName); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errorf("InvalidArgument", "%s must be a non-negative integer, not %q.", maxName, v)
		}
		p.maxKeys = min(n, 1000)
	}
	switch q.Get("encoding-type") {
	case "":
	case "url":
		p.urlEncode = true
	default:
		return p, errorf("InvalidArgument", "Invalid Encoding Method specified in Request: %q.", q.Get("encoding-type"))
	}
	return p, nil
}

// enc URL-encodes s when the client asked for encoding-type=url.
func (p listParams) enc(s string) string {
	if p.urlEncode {
		return uriEncode(s, true)
	}
	return s
}

func (p listParams) contents(h *handler, objs []*r2.Object, withOwner bool) []objectXML {
	out := make([]objectXML, 0, len(objs))
	for _, o := range objs {
		x := objectXML{
			Key:          p.enc(o.Key),
			LastModified: formatISO8601(o.Uploaded),
			ETag:         o.HTTPETag(),
			Size:         o.Size,
			StorageClass: s3StorageClass(o.StorageClass),
		}
		if withOwner {
			ow := h.owner()
			x.Owner = &ow
		}
		out = append(out, x)
	}
	return out
}

func (p listParams) prefixes(ps []string) []commonPrefix {
	out := make([]commonPrefix, 0, len(ps))
	for _, s := range ps {
		out = append(out, commonPrefix{Prefix: p.enc(s)})
	}
	return out
}

func (h *handler) listObjectsV2(req *request) *apiError {
	p, aerr := parseListParams(req, "max-keys")
	if aerr != nil {
		return aerr
	}
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	q := req.query
	res := listBucketResultV2{
		NS: s3NS, Name: req.bucket, Prefix: p.enc(p.prefix), Delimiter: p.enc(p.delimiter),
		MaxKeys: p.maxKeys, ContinuationToken: q.Get("continuation-token"), StartAfter: p.enc(q.Get("start-after")),
	}
	if p.urlEncode {
		res.EncodingType = "url"
	}
	if p.maxKeys > 0 {
		lr, err := b.List(req.ctx, r2.ListOptions{
			Prefix: p.prefix, Delimiter: p.delimiter, Cursor: q.Get("continuation-token"),
			StartAfter: q.Get("start-after"), Limit: p.maxKeys,
		})
		if err != nil {
			return req.fail(err)
		}
		res.Contents = p.contents(h, lr.Objects, q.Get("fetch-owner") == "true")
		res.CommonPrefixes = p.prefixes(lr.DelimitedPrefixes)
		res.KeyCount = len(lr.Objects) + len(lr.DelimitedPrefixes)
		res.IsTruncated = lr.Truncated
		if lr.Truncated {
			res.NextContinuationToken = lr.Cursor
		}
	}
	return h.writeXML(req, res)
}

func (h *handler) listObjectsV1(req *request) *apiError {
	p, aerr := parseListParams(req, "max-keys")
	if aerr != nil {
		return aerr
	}
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	marker := req.query.Get("marker")
	res := listBucketResultV1{
		NS: s3NS, Name: req.bucket, Prefix: p.enc(p.prefix), Delimiter: p.enc(p.delimiter),
		MaxKeys: p.maxKeys, Marker: p.enc(marker),
	}
	if p.urlEncode {
		res.EncodingType = "url"
	}
	if p.maxKeys > 0 {
		startAfter := marker
		if p.delimiter != "" && len(marker) > len(p.prefix) && strings.HasPrefix(marker, p.prefix) && strings.HasSuffix(marker, p.delimiter) {
			// The marker is a rolled-up prefix (a NextMarker): skip
			// every key under it, not just the prefix itself. No UTF-8
			// key has a 0xff byte.
			startAfter = marker + "\xff"
		}
		lr, err := b.List(req.ctx, r2.ListOptions{Prefix: p.prefix, Delimiter: p.delimiter, StartAfter: startAfter, Limit: p.maxKeys})
		if err != nil {
			return req.fail(err)
		}
		res.Contents = p.contents(h, lr.Objects, true)
		res.CommonPrefixes = p.prefixes(lr.DelimitedPrefixes)
		res.IsTruncated = lr.Truncated
		if lr.Truncated {
			// NextMarker is the last key or prefix returned, whichever
			// sorts last.
			var last string
			if n := len(lr.Objects); n > 0 {
				last = lr.Objects[n-1].Key
			}
			if n := len(lr.DelimitedPrefixes); n > 0 && lr.DelimitedPrefixes[n-1] > last {
				last = lr.DelimitedPrefixes[n-1]
			}
			res.NextMarker = p.enc(last)
		}
	}
	return h.writeXML(req, res)
}

// maxDeleteObjectsBody bounds a DeleteObjects request: 1000 keys of up to
// 1024 bytes, escaped, with their markup.
const maxDeleteObjectsBody = 8 << 20

func (h *handler) deleteObjects(req *request) *apiError {
	var dr deleteRequest
	if aerr := readXML(req, maxDeleteObjectsBody, &dr, bodyOptions{md5: true}); aerr != nil {
		return aerr
	}
	if len(dr.Objects) == 0 || len(dr.Objects) > 1000 {
		return errorf("MalformedXML", "DeleteObjects takes 1 to 1000 keys, not %d.", len(dr.Objects))
	}
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	keys := make([]string, len(dr.Objects))
	for i, o := range dr.Objects {
		keys[i] = o.Key
	}
	res := deleteResult{NS: s3NS}
	failed := map[string]*apiError{}
	if err := b.Delete(req.ctx, keys...); err != nil {
		// Find out which keys failed, one by one.
		for _, k := range keys {
			if err := b.Delete(req.ctx, k); err != nil {
				failed[k] = toAPIError(err, k)
			}
		}
	}
	for _, k := range keys {
		if e, ok := failed[k]; ok {
			res.Errors = append(res.Errors, deleteError{Key: k, Code: e.code, Message: e.message})
		} else if !dr.Quiet {
			res.Deleted = append(res.Deleted, deletedXML{Key: k})
		}
	}
	return h.writeXML(req, res)
}

// sortUploads orders uploads as S3 lists them: by key, then by creation.
func sortUploads(us []r2.UploadInfo) {
	sort.SliceStable(us, func(i, j int) bool {
		if us[i].Key != us[j].Key {
			return us[i].Key < us[j].Key
		}
		return us[i].Created.Before(us[j].Created)
	})
}
