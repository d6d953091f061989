package s3

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/bindings/r2"
)

func (h *handler) getObject(req *request) *apiError  { return h.readObject(req, false) }
func (h *handler) headObject(req *request) *apiError { return h.readObject(req, true) }

// readObject serves GetObject and HeadObject.
func (h *handler) readObject(req *request, head bool) *apiError {
	if req.query.Has("partNumber") {
		return notImplemented(req.op + " with partNumber")
	}
	// A range no object satisfies (a suffix of zero bytes) is answered
	// once the object is found and the conditions pass, with its size.
	rng, unsatisfiable := parseRange(req.r.Header.Get("Range"))
	cond := parseConditional(req.r.Header, getConditions)
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	w := req.w
	if head && rng == nil && unsatisfiable == nil && cond == nil {
		o, err := b.Head(req.ctx, req.key)
		if err != nil {
			return req.fail(err)
		}
		writeObjectHeaders(w, o)
		h.writeChecksums(req, o)
		h.applyOverrides(req)
		w.Header().Set("Content-Length", strconv.FormatInt(o.Size, 10))
		req.writeStatus(http.StatusOK)
		return nil
	}
	ob, err := b.Get(req.ctx, req.key, r2.GetOptions{OnlyIf: cond, Range: rng})
	if err != nil {
		var pf *r2.PreconditionFailedError
		if errors.As(err, &pf) && pf.Object != nil && pf.NotModified {
			w.Header().Set("ETag", pf.Object.HTTPETag())
			w.Header().Set("Last-Modified", pf.Object.Uploaded.UTC().Format(http.TimeFormat))
			req.writeStatus(http.StatusNotModified)
			return nil
		}
		if errors.Is(err, r2.ErrInvalidRange) {
			// The store does not say the size; look it up for the
			// Content-Range.
			o, herr := b.Head(req.ctx, req.key)
			if herr != nil {
				return req.fail(herr)
			}
			return req.rangeNotSatisfiable(o.Size)
		}
		return req.fail(err)
	}
	defer ob.Body.Close()
	if unsatisfiable != nil || rng != nil && ob.Size == 0 {
		// No byte of an empty object can be selected: S3 answers 416
		// where the store returns the empty body.
		return req.rangeNotSatisfiable(ob.Size)
	}
	writeObjectHeaders(w, ob.Object)
	status, length := http.StatusOK, ob.Size
	if rng != nil && ob.Range != nil {
		status, length = http.StatusPartialContent, ob.Range.Length
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", ob.Range.Offset, ob.Range.Offset+ob.Range.Length-1, ob.Size))
	} else {
		h.writeChecksums(req, ob.Object)
	}
	h.applyOverrides(req)
	w.Header().Set("Content-Length", strconv.FormatInt(length, 10))
	req.writeStatus(status)
	if head {
		return nil
	}
	if _, err := io.Copy(w, ob.Body); err != nil {
		// The status is sent; all that is left is to cut the response
		// short, which the client sees as a short body.
		h.log.DebugContext(req.ctx, "s3 get: copy body", "id", req.id, "key", req.key, "err", err)
	}
	return nil
}

// rangeNotSatisfiable is the 416 InvalidRange answer for an object of
// size bytes; it carries Content-Range: bytes */size (RFC 9110 §15.5.17),
// as S3's does.
func (req *request) rangeNotSatisfiable(size int64) *apiError {
	req.w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
	return newError("InvalidRange", "")
}

// writeChecksums adds the stored x-amz-checksum-* digests of a whole
// object (CRC32, CRC32C, CRC64NVME, SHA1, SHA256: those S3 has) when the
// client asks for them (x-amz-checksum-mode: ENABLED). They are of the
// whole object, so S3's type is FULL_OBJECT.
func (h *handler) writeChecksums(req *request, o *r2.Object) {
	if !strings.EqualFold(req.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		return
	}
	found := false
	for _, c := range [...]struct {
		header string
		sum    []byte
	}{
		{"X-Amz-Checksum-Crc32", o.Checksums.CRC32},
		{"X-Amz-Checksum-Crc32c", o.Checksums.CRC32C},
		{"X-Amz-Checksum-Crc64nvme", o.Checksums.CRC64NVME},
		{"X-Amz-Checksum-Sha1", o.Checksums.SHA1},
		{"X-Amz-Checksum-Sha256", o.Checksums.SHA256},
	} {
		if len(c.sum) > 0 {
			req.w.Header().Set(c.header, base64.StdEncoding.EncodeToString(c.sum))
			found = true
		}
	}
	if found {
		req.w.Header().Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
}

// applyOverrides applies the response-* query parameters of GetObject.
func (h *handler) applyOverrides(req *request) {
	for param, header := range responseOverrides {
		if v := req.query.Get(param); v != "" {
			req.w.Header().Set(header, v)
		}
	}
}

// putOptions reads the headers of PutObject (and the metadata of
// CreateMultipartUpload and a replacing CopyObject).
func putOptions(r *http.Request) (r2.PutOptions, *apiError) {
	var opts r2.PutOptions
	var aerr *apiError
	if opts.HTTPMetadata, opts.CustomMetadata, aerr = parseMetadata(r.Header); aerr != nil {
		return opts, aerr
	}
	if opts.StorageClass, aerr = parseStorageClass(r.Header.Get("X-Amz-Storage-Class")); aerr != nil {
		return opts, aerr
	}
	return opts, nil
}

func (h *handler) putObject(req *request) *apiError {
	opts, aerr := putOptions(req.r)
	if aerr != nil {
		return aerr
	}
	if opts.Checksums.MD5, aerr = parseContentMD5(req.r.Header); aerr != nil {
		return aerr
	}
	// The x-amz-checksum-* digests, from headers or the trailer, are
	// checked by the body reader, which hands them to the store (an
	// r2.HashingReader) to keep with the object.
	if c := parseConditional(req.r.Header, getConditions); c != nil {
		// A put takes only If-Match and If-None-Match.
		opts.OnlyIf = &r2.Conditional{EtagMatches: c.EtagMatches, EtagDoesNotMatch: c.EtagDoesNotMatch, SecondsGranularity: true}
		if len(c.EtagMatches) == 0 && len(c.EtagDoesNotMatch) == 0 {
			opts.OnlyIf = nil
		}
	}
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	body, aerr := newBodyReader(req.r, req.auth, bodyOptions{})
	if aerr != nil {
		return aerr
	}
	o, err := b.Put(req.ctx, req.key, body, opts)
	if err != nil {
		if fe := body.failure(); fe != nil {
			return fe
		}
		return req.fail(err)
	}
	req.w.Header().Set("ETag", o.HTTPETag())
	if name, v := body.checksumResult(); name != "" {
		req.w.Header().Set(name, v)
	}
	req.w.Header().Set("Content-Length", "0")
	req.writeStatus(http.StatusOK)
	return nil
}

func (h *handler) deleteObject(req *request) *apiError {
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	if err := b.Delete(req.ctx, req.key); err != nil {
		return req.fail(err)
	}
	req.writeStatus(http.StatusNoContent)
	return nil
}

// copySource parses x-amz-copy-source: "[/]bucket/key", URL-encoded.
func copySource(r *http.Request) (bucket, key string, aerr *apiError) {
	src := r.Header.Get("X-Amz-Copy-Source")
	path, query, _ := strings.Cut(src, "?")
	if query != "" {
		if v, err := url.ParseQuery(query); err == nil && v.Get("versionId") != "" && v.Get("versionId") != "null" {
			return "", "", notImplemented("Copying a versionId")
		}
	}
	dec, err := url.PathUnescape(path)
	if err != nil {
		return "", "", errorf("InvalidArgument", "x-amz-copy-source %q is not URL-encoded correctly.", src)
	}
	bucket, key = splitPath("/" + strings.TrimPrefix(dec, "/"))
	if bucket == "" || key == "" {
		return "", "", newError("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	return bucket, key, nil
}

// openCopySource opens the source object of a copy, checking the
// x-amz-copy-source-if-* conditions (a failed one is 412, even a
// not-modified one).
func (h *handler) openCopySource(req *request, rng *r2.Range) (*r2.ObjectBody, *apiError) {
	srcBucket, srcKey, aerr := copySource(req.r)
	if aerr != nil {
		return nil, aerr
	}
	sb, err := h.store.Bucket(req.ctx, srcBucket)
	if err != nil {
		return nil, toAPIError(err, srcKey)
	}
	ob, err := sb.Get(req.ctx, srcKey, r2.GetOptions{OnlyIf: parseConditional(req.r.Header, copyConditions), Range: rng})
	if err != nil {
		if errors.Is(err, r2.ErrPreconditionFailed) {
			return nil, wrapError("PreconditionFailed", err)
		}
		if errors.Is(err, r2.ErrInvalidRange) {
			// S3 answers a copy range past the end 400, not 416.
			o, herr := sb.Head(req.ctx, srcKey)
			if herr != nil {
				return nil, toAPIError(herr, srcKey)
			}
			e := errorf("InvalidArgument", "Range specified is not valid for source object of size: %d", o.Size)
			e.cause = err
			return nil, e
		}
		return nil, toAPIError(err, srcKey)
	}
	return ob, nil
}

// copyChangesObject reports whether a CopyObject request asks for a change
// that makes copying an object onto itself legal in S3: new metadata
// (x-amz-metadata-directive: REPLACE), a storage class, a website redirect
// location or encryption attributes. Bindery stores only the first two;
// the others are accepted and ignored, as on any put.
func copyChangesObject(r *http.Request) bool {
	if r.Header.Get("X-Amz-Metadata-Directive") == "REPLACE" || r.Header.Get("X-Amz-Storage-Class") != "" ||
		r.Header.Get("X-Amz-Website-Redirect-Location") != "" {
		return true
	}
	for name := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-server-side-encryption") {
			return true
		}
	}
	return false
}

// copyObject copies by streaming a get of the source into a put.
func (h *handler) copyObject(req *request) *apiError {
	directive := req.r.Header.Get("X-Amz-Metadata-Directive")
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return errorf("InvalidArgument", "Unknown metadata directive %q.", directive)
	}
	newOpts, aerr := putOptions(req.r)
	if aerr != nil {
		return aerr
	}
	db, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	ob, aerr := h.openCopySource(req, nil)
	if aerr != nil {
		return aerr
	}
	defer ob.Body.Close()
	if srcBucket, srcKey, _ := copySource(req.r); srcBucket == req.bucket && srcKey == req.key && !copyChangesObject(req.r) {
		return newError("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	opts := r2.PutOptions{
		HTTPMetadata:   ob.HTTPMetadata,
		CustomMetadata: ob.CustomMetadata,
		StorageClass:   ob.StorageClass,
		// The source's digests check the copy and stay with it.
		Checksums: ob.Checksums,
	}
	if directive == "REPLACE" {
		opts.HTTPMetadata, opts.CustomMetadata = newOpts.HTTPMetadata, newOpts.CustomMetadata
	}
	if newOpts.StorageClass != "" {
		opts.StorageClass = newOpts.StorageClass
	}
	o, err := db.Put(req.ctx, req.key, ob.Body, opts)
	if err != nil {
		return req.fail(err)
	}
	return h.writeXML(req, copyObjectResult{NS: s3NS, ETag: o.HTTPETag(), LastModified: formatISO8601(o.Uploaded)})
}
