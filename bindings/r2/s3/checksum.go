package s3

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"

	"github.com/bindery-run/bindery/bindings/r2"
)

// crc64NVMEPoly is the CRC-64/NVME polynomial (0xAD93D23594C93659) in the
// reversed bit order hash/crc64 takes.
const crc64NVMEPoly = 0x9A6C9329AC4BC9B5

// checksumAlgorithms are the x-amz-checksum-* algorithms this server
// verifies, by header suffix. Values are base64 of the big-endian digest.
var checksumAlgorithms = map[string]func() hash.Hash{
	"crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"crc64nvme": func() hash.Hash { return crc64.New(crc64.MakeTable(crc64NVMEPoly)) },
	"sha1":      sha1.New,
	"sha256":    sha256.New,
}

// checksumHeaderPrefix starts the header names of additional checksums.
const checksumHeaderPrefix = "x-amz-checksum-"

// expectedChecksum is one digest the body must have.
type expectedChecksum struct {
	name string // algorithm, e.g. "crc32"
	h    hash.Hash
	// want is the base64 value, or empty when it comes in the trailer.
	want string
	// mismatch is the error code of a mismatch.
	mismatch string
}

// verifyingReader passes a request body through, hashing it, and at the
// end of the body returns an *apiError instead of io.EOF when the body
// does not have the length or a digest the request announced. Since the
// store commits an object only after reading io.EOF, a mismatch stores
// nothing. It is not safe for concurrent use.
type verifyingReader struct {
	r io.Reader
	// wantSize is the decoded length announced, or -1.
	wantSize int64
	size     int64
	sums     []*expectedChecksum
	// trailer looks up trailing headers once r has returned io.EOF.
	trailer func(name string) (string, bool)
	// trailerName is the checksum announced by x-amz-trailer, if any.
	trailerName string
	err         error
}

// Read implements io.Reader.
func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.size += int64(n)
	for _, s := range v.sums {
		s.h.Write(p[:n])
	}
	switch {
	case err == io.EOF:
		if verr := v.verify(); verr != nil {
			err = verr
		}
	case err != nil:
		// A body cut short reads as io.ErrUnexpectedEOF, which a reader
		// of the body could take for a normal end: make every failure
		// an S3 error, which cannot be mistaken.
		if _, ok := err.(*apiError); !ok {
			err = &apiError{status: http.StatusBadRequest, code: "IncompleteBody", message: errorCodes["IncompleteBody"].message, cause: err}
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

// failure returns the verification error, if the body failed one.
func (v *verifyingReader) failure() *apiError {
	if ae, ok := v.err.(*apiError); ok {
		return ae
	}
	return nil
}

// verify runs the checks at the end of the body.
func (v *verifyingReader) verify() *apiError {
	if v.wantSize >= 0 && v.size != v.wantSize {
		return errorf("IncompleteBody", "The body has %d bytes, not the %d announced.", v.size, v.wantSize)
	}
	for _, s := range v.sums {
		want := s.want
		if want == "" && v.trailer != nil {
			want, _ = v.trailer(checksumHeaderPrefix + s.name)
		}
		if want == "" {
			return errorf("InvalidRequest", "The trailer announced %s%s but did not send it.", checksumHeaderPrefix, s.name)
		}
		got := s.h.Sum(nil)
		if s.mismatch == "XAmzContentSHA256Mismatch" {
			if hex.EncodeToString(got) != want {
				return newError(s.mismatch, "")
			}
			continue
		}
		if base64.StdEncoding.EncodeToString(got) != want {
			return errorf(s.mismatch, "The %s%s you specified did not match the calculated checksum.", checksumHeaderPrefix, s.name)
		}
	}
	return nil
}

// Checksums implements r2.HashingReader: once the body has been read to
// its end (and so has passed verify), the digests of the x-amz-checksum-*
// algorithms the request announced, in a header or a trailer.
func (v *verifyingReader) Checksums() r2.Checksums {
	var c r2.Checksums
	fields := map[string]*[]byte{
		"crc32": &c.CRC32, "crc32c": &c.CRC32C, "crc64nvme": &c.CRC64NVME, "sha1": &c.SHA1, "sha256": &c.SHA256,
	}
	for _, s := range v.sums {
		if dst, ok := fields[s.name]; ok && s.mismatch == "BadDigest" {
			*dst = s.h.Sum(nil)
		}
	}
	return c
}

var _ r2.HashingReader = (*verifyingReader)(nil)

// checksumResult returns the header name and base64 value of the
// additional checksum the body was verified against, if any, to echo in
// the response.
func (v *verifyingReader) checksumResult() (string, string) {
	for _, s := range v.sums {
		if s.mismatch == "XAmzContentSHA256Mismatch" || s.name == "md5" {
			continue
		}
		want := s.want
		if want == "" && v.trailer != nil {
			want, _ = v.trailer(checksumHeaderPrefix + s.name)
		}
		return checksumHeaderPrefix + s.name, want
	}
	return "", ""
}

// bodyOptions tell newBodyReader what to check besides the signature.
type bodyOptions struct {
	// md5 makes it verify Content-MD5 itself (for bodies that do not go to
	// the store, which checks it otherwise).
	md5 bool
	// objectChecksums says x-amz-checksum-* headers describe an object
	// other than the body (CompleteMultipartUpload), so they are not
	// checked against it.
	objectChecksums bool
}

// newBodyReader returns r's body decoded (aws-chunked) and verified
// against everything the request announced: the payload hash, chunk and
// trailer signatures, x-amz-decoded-content-length, and x-amz-checksum-*
// headers or trailers.
func newBodyReader(r *http.Request, auth *authResult, opts bodyOptions) (*verifyingReader, *apiError) {
	v := &verifyingReader{r: r.Body, wantSize: -1}
	if r.Body == nil {
		v.r = http.NoBody
	}
	if auth.mode.streaming() {
		var sig *signer
		if auth.mode != payloadStreamingUnsignedTrailer {
			sig = &auth.signer
		}
		trailer := auth.mode != payloadStreamingSigned
		c := newChunkedReader(v.r, sig, auth.seed, trailer)
		v.r, v.trailer = c, c.Trailer
		if dl := r.Header.Get("X-Amz-Decoded-Content-Length"); dl != "" {
			n, err := parseSize(dl)
			if err != nil {
				return nil, errorf("InvalidArgument", "x-amz-decoded-content-length %q is not a size.", dl)
			}
			v.wantSize = n
		}
	}
	if !auth.mode.streaming() && r.ContentLength >= 0 {
		v.wantSize = r.ContentLength
	}
	if auth.mode == payloadHashed {
		v.sums = append(v.sums, &expectedChecksum{name: "sha256", h: sha256.New(), want: auth.payloadHash, mismatch: "XAmzContentSHA256Mismatch"})
	}
	for name, newHash := range checksumAlgorithms {
		if opts.objectChecksums {
			break
		}
		if val := r.Header.Get(checksumHeaderPrefix + name); val != "" {
			if !validChecksum(name, val) {
				return nil, errorf("InvalidDigest", "The %s%s header is not a valid base64 %s digest.", checksumHeaderPrefix, name, name)
			}
			v.sums = append(v.sums, &expectedChecksum{name: name, h: newHash(), want: val, mismatch: "BadDigest"})
		}
	}
	if t := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Amz-Trailer"))); t != "" {
		if !auth.mode.streaming() || auth.mode == payloadStreamingSigned {
			return nil, newError("InvalidRequest", "x-amz-trailer needs an aws-chunked body with a trailer (STREAMING-*-TRAILER).")
		}
		name := strings.TrimPrefix(t, checksumHeaderPrefix)
		if newHash, ok := checksumAlgorithms[name]; ok && strings.HasPrefix(t, checksumHeaderPrefix) {
			v.trailerName = t
			v.sums = append(v.sums, &expectedChecksum{name: name, h: newHash(), mismatch: "BadDigest"})
		}
	}
	if opts.md5 {
		if val := r.Header.Get("Content-MD5"); val != "" {
			if !validDigest(val, md5.Size) {
				return nil, newError("InvalidDigest", "")
			}
			v.sums = append(v.sums, &expectedChecksum{name: "md5", h: md5.New(), want: val, mismatch: "BadDigest"})
		}
	}
	return v, nil
}

// validChecksum reports whether val is the base64 of a digest of the
// algorithm's size.
func validChecksum(name, val string) bool {
	return validDigest(val, checksumAlgorithms[name]().Size())
}

func validDigest(val string, size int) bool {
	b, err := base64.StdEncoding.DecodeString(val)
	return err == nil && len(b) == size
}
