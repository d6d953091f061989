package s3

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/bindery-run/bindery/bindings/r2"
)

// maxCompleteBody bounds a CompleteMultipartUpload request: 10,000 parts.
const maxCompleteBody = 4 << 20

func (h *handler) createMultipartUpload(req *request) *apiError {
	opts, aerr := putOptions(req.r)
	if aerr != nil {
		return aerr
	}
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	u, err := b.CreateMultipartUpload(req.ctx, req.key, r2.MultipartOptions{
		HTTPMetadata: opts.HTTPMetadata, CustomMetadata: opts.CustomMetadata, StorageClass: opts.StorageClass,
	})
	if err != nil {
		return req.fail(err)
	}
	return h.writeXML(req, initiateMultipartUploadResult{NS: s3NS, Bucket: req.bucket, Key: req.key, UploadID: u.UploadID})
}

// upload returns the request's multipart upload (uploadId) and, for part
// operations, its partNumber.
func (h *handler) upload(req *request, withPart bool) (*r2.MultipartUpload, int, *apiError) {
	id := req.query.Get("uploadId")
	if id == "" {
		return nil, 0, newError("InvalidArgument", "The uploadId parameter is missing.")
	}
	n := 0
	if withPart {
		v := req.query.Get("partNumber")
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 10000 {
			return nil, 0, errorf("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive, not %q.", v)
		}
	}
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return nil, 0, aerr
	}
	return b.ResumeMultipartUpload(req.key, id), n, nil
}

func (h *handler) uploadPart(req *request) *apiError {
	u, n, aerr := h.upload(req, true)
	if aerr != nil {
		return aerr
	}
	md5, aerr := parseContentMD5(req.r.Header)
	if aerr != nil {
		return aerr
	}
	body, aerr := newBodyReader(req.r, req.auth, bodyOptions{})
	if aerr != nil {
		return aerr
	}
	part, err := u.UploadPart(req.ctx, n, body, md5)
	if err != nil {
		if fe := body.failure(); fe != nil {
			return fe
		}
		return req.fail(err)
	}
	req.w.Header().Set("ETag", `"`+part.ETag+`"`)
	if name, v := body.checksumResult(); name != "" {
		req.w.Header().Set(name, v)
	}
	req.w.Header().Set("Content-Length", "0")
	req.writeStatus(http.StatusOK)
	return nil
}

// uploadPartCopy uploads a part from (a range of) an existing object.
func (h *handler) uploadPartCopy(req *request) *apiError {
	u, n, aerr := h.upload(req, true)
	if aerr != nil {
		return aerr
	}
	var rng *r2.Range
	if v := req.r.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		rng, _ = parseRange(v)
		if rng == nil || rng.Suffix != 0 || rng.Length == 0 {
			return errorf("InvalidArgument", "The x-amz-copy-source-range %q must be of the form bytes=first-last.", v)
		}
	}
	ob, aerr := h.openCopySource(req, rng)
	if aerr != nil {
		return aerr
	}
	defer ob.Body.Close()
	part, err := u.UploadPart(req.ctx, n, ob.Body, nil)
	if err != nil {
		return req.fail(err)
	}
	return h.writeXML(req, copyPartResult{NS: s3NS, ETag: `"` + part.ETag + `"`, LastModified: formatISO8601(h.now())})
}

func (h *handler) completeMultipartUpload(req *request) *apiError {
	u, _, aerr := h.upload(req, false)
	if aerr != nil {
		return aerr
	}
	var doc completeMultipartUpload
	if aerr := readXML(req, maxCompleteBody, &doc, bodyOptions{md5: true, objectChecksums: true}); aerr != nil {
		return aerr
	}
	if len(doc.Parts) == 0 {
		return newError("MalformedXML", "CompleteMultipartUpload needs at least one part.")
	}
	parts := make([]r2.UploadedPart, len(doc.Parts))
	for i, p := range doc.Parts {
		parts[i] = r2.UploadedPart{PartNumber: p.PartNumber, ETag: strings.Trim(strings.TrimSpace(p.ETag), `"`)}
	}
	o, err := u.Complete(req.ctx, parts)
	if err != nil {
		return req.fail(err)
	}
	scheme := "http"
	if req.r.TLS != nil {
		scheme = "https"
	}
	loc := scheme + "://" + req.r.Host + "/" + req.bucket + "/" + uriEncode(req.key, true)
	return h.writeXML(req, completeMultipartUploadResult{NS: s3NS, Location: loc, Bucket: req.bucket, Key: req.key, ETag: o.HTTPETag()})
}

func (h *handler) abortMultipartUpload(req *request) *apiError {
	u, _, aerr := h.upload(req, false)
	if aerr != nil {
		return aerr
	}
	if err := u.Abort(req.ctx); err != nil {
		return req.fail(err)
	}
	req.writeStatus(http.StatusNoContent)
	return nil
}

func (h *handler) listParts(req *request) *apiError {
	u, _, aerr := h.upload(req, false)
	if aerr != nil {
		return aerr
	}
	maxParts, marker := 1000, 0
	if v := req.query.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errorf("InvalidArgument", "max-parts must be a non-negative integer, not %q.", v)
		}
		maxParts = min(n, 1000)
	}
	if v := req.query.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errorf("InvalidArgument", "part-number-marker must be a non-negative integer, not %q.", v)
		}
		marker = n
	}
	parts, err := u.ListParts(req.ctx)
	if err != nil {
		return req.fail(err)
	}
	res := listPartsResult{
		NS: s3NS, Bucket: req.bucket, Key: req.key, UploadID: u.UploadID,
		Initiator: h.owner(), Owner: h.owner(), StorageClass: "STANDARD",
		PartNumberMarker: marker, MaxParts: maxParts, Parts: []partXML{},
	}
	for _, p := range parts {
		if p.PartNumber <= marker {
			continue
		}
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, partXML{PartNumber: p.PartNumber, LastModified: formatISO8601(p.Uploaded), ETag: `"` + p.ETag + `"`, Size: p.Size})
		res.NextPartNumberMarker = p.PartNumber
	}
	return h.writeXML(req, res)
}

func (h *handler) listMultipartUploads(req *request) *apiError {
	p, aerr := parseListParams(req, "max-uploads")
	if aerr != nil {
		return aerr
	}
	b, aerr := h.bucketHandle(req)
	if aerr != nil {
		return aerr
	}
	keyMarker, idMarker := req.query.Get("key-marker"), req.query.Get("upload-id-marker")
	uploads, err := b.ListMultipartUploads(req.ctx, p.prefix)
	if err != nil {
		return req.fail(err)
	}
	sortUploads(uploads)
	res := listMultipartUploadsResult{
		NS: s3NS, Bucket: req.bucket, KeyMarker: p.enc(keyMarker), UploadIDMarker: idMarker,
		Prefix: p.enc(p.prefix), Delimiter: p.enc(p.delimiter), MaxUploads: p.maxKeys,
	}
	if p.urlEncode {
		res.EncodingType = "url"
	}
	// With an upload-id-marker, uploads of the marker key after that ID
	// follow; without, the key marker's uploads are all skipped, and so are
	// all uploads under it when it is a rolled-up prefix.
	pastIDMarker := false
	markerIsPrefix := p.delimiter != "" && strings.HasSuffix(keyMarker, p.delimiter)
	seenPrefix := map[string]bool{}
	count := 0
	for _, up := range uploads {
		if up.Key < keyMarker || markerIsPrefix && strings.HasPrefix(up.Key, keyMarker) {
			continue
		}
		if keyMarker != "" && up.Key == keyMarker {
			if idMarker == "" {
				continue
			}
			if !pastIDMarker {
				pastIDMarker = up.UploadID == idMarker
				continue
			}
		}
		if p.delimiter != "" {
			if i := strings.Index(up.Key[len(p.prefix):], p.delimiter); i >= 0 {
				cp := up.Key[:len(p.prefix)+i+len(p.delimiter)]
				if seenPrefix[cp] {
					continue
				}
				if count == p.maxKeys {
					res.IsTruncated = true
					break
				}
				seenPrefix[cp] = true
				res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: p.enc(cp)})
				res.NextKeyMarker, res.NextUploadIDMarker = p.enc(cp), ""
				count++
				continue
			}
		}
		if count == p.maxKeys {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, uploadXML{
			Key: p.enc(up.Key), UploadID: up.UploadID, Initiator: h.owner(), Owner: h.owner(),
			StorageClass: "STANDARD", Initiated: formatISO8601(up.Created),
		})
		res.NextKeyMarker, res.NextUploadIDMarker = p.enc(up.Key), up.UploadID
		count++
	}
	return h.writeXML(req, res)
}
