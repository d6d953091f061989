package s3

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"
)

// Limits of the aws-chunked framing.
const (
	// maxChunkLine is the longest chunk header line accepted:
	// "<hex size>;chunk-signature=<64 hex>\r\n" is about 90 bytes.
	maxChunkLine = 4096
	// maxTrailerBytes bounds the trailer section after the last chunk.
	maxTrailerBytes = 16 << 10
)

// chunkedReader decodes an aws-chunked body ("Content-Encoding:
// aws-chunked"), the framing of SigV4 streaming uploads: chunks of
// "<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n", a zero-size last
// chunk, and optional trailing headers (such as x-amz-checksum-crc32) and a
// trailer signature.
//
// With a signer, each chunk's signature is checked against the chain that
// starts at the seed (the request's signature) once the chunk has been read:
// the chunk's bytes have been handed out by then, so a consumer must not
// commit anything before Read returns io.EOF, which comes only after every
// signature, the trailer and the framing have been verified. Any failure is
// an *apiError returned by Read from then on.
//
// It never holds more than a chunk header line or the trailer in memory.
// It is not safe for concurrent use.
type chunkedReader struct {
	r *bufio.Reader
	// signer is nil for STREAMING-UNSIGNED-PAYLOAD-TRAILER.
	signer *signer
	// prevSig is the last verified signature of the chain.
	prevSig string
	// trailer says trailing headers follow the last chunk.
	trailer bool

	remaining int64     // bytes left in the current chunk
	inChunk   bool      // a chunk header has been read, its data not finished
	chunkSig  string    // the current chunk's claimed signature
	chunkHash hash.Hash // SHA-256 of the current chunk's data (signed only)

	trailers map[string]string
	err      error
}

// newChunkedReader decodes body. With sig non-nil the chunks are signed,
// seed is the request's signature; trailer says trailing headers follow
// (and, when signed, an x-amz-trailer-signature).
func newChunkedReader(body io.Reader, sig *signer, seed string, trailer bool) *chunkedReader {
	c := &chunkedReader{r: bufio.NewReaderSize(body, 32<<10), signer: sig, prevSig: seed, trailer: trailer}
	if sig != nil {
		c.chunkHash = sha256.New()
	}
	return c
}

// Trailer returns the value of a trailing header (lower-case name) once
// Read has returned io.EOF.
func (c *chunkedReader) Trailer(name string) (string, bool) {
	v, ok := c.trailers[name]
	return v, ok
}

// Read implements io.Reader.
func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for !c.inChunk {
		last, err := c.readChunkHeader()
		if err != nil {
			c.err = err
			return 0, err
		}
		if last {
			c.err = c.finish()
			return 0, c.err
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.r.Read(p)
	c.remaining -= int64(n)
	if c.chunkHash != nil {
		c.chunkHash.Write(p[:n])
	}
	if err != nil && (c.remaining > 0 || !errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			err = newError("IncompleteBody", "The aws-chunked body ended inside a chunk.")
		}
		c.err = err
		return n, err
	}
	if c.remaining == 0 {
		if err := c.endChunk(); err != nil {
			c.err = err
			return n, err
		}
	}
	return n, nil
}

// readChunkHeader reads "<hex>[;chunk-signature=<sig>]\r\n" and reports
// whether it starts the last (empty) chunk.
func (c *chunkedReader) readChunkHeader() (bool, error) {
	line, err := c.readLine()
	if err != nil {
		return false, err
	}
	sizeText, ext, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
	if err != nil || size < 0 {
		return false, errorf("InvalidRequest", "Malformed aws-chunked chunk header %q.", truncate(line))
	}
	c.chunkSig = ""
	for _, e := range strings.Split(ext, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(e), "="); ok && k == "chunk-signature" {
			c.chunkSig = v
		}
	}
	if c.signer != nil {
		if c.chunkSig == "" {
			return false, newError("SignatureDoesNotMatch", "An aws-chunked chunk has no chunk-signature.")
		}
		c.chunkHash.Reset()
	}
	if size == 0 {
		if err := c.verifyChunk(); err != nil {
			return false, err
		}
		return true, nil
	}
	c.remaining, c.inChunk = size, true
	return false, nil
}

// endChunk consumes the CRLF after a chunk's data and verifies its
// signature.
func (c *chunkedReader) endChunk() error {
	c.inChunk = false
	line, err := c.readLine()
	if err != nil {
		return err
	}
	if line != "" {
		return newError("InvalidRequest", "An aws-chunked chunk is longer than its declared size.")
	}
	return c.verifyChunk()
}

// verifyChunk checks the current chunk's signature against the chain.
func (c *chunkedReader) verifyChunk() error {
	if c.signer == nil {
		return nil
	}
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.signer.amzDate + "\n" + c.signer.scope + "\n" +
		c.prevSig + "\n" + emptySHA256 + "\n" + hex.EncodeToString(c.chunkHash.Sum(nil))
	want := c.signer.sign(sts)
	if !equalSignatures(want, c.chunkSig) {
		return newError("SignatureDoesNotMatch", "The signature of an aws-chunked chunk does not match.")
	}
	c.prevSig = want
	return nil
}

// finish reads what follows the last chunk: the trailer, or the final CRLF.
// It returns io.EOF when everything checks out.
func (c *chunkedReader) finish() error {
	rest, err := io.ReadAll(io.LimitReader(c.r, maxTrailerBytes+1))
	if err != nil {
		return err
	}
	if len(rest) > maxTrailerBytes {
		return newError("InvalidRequest", "The aws-chunked trailer is too large.")
	}
	if !c.trailer {
		if len(bytes.TrimSpace(rest)) != 0 {
			return newError("InvalidRequest", "Unexpected data after the last aws-chunked chunk.")
		}
		return io.EOF
	}
	// Trailer lines are "name:value", ended by CRLF (or LF, as minio-go
	// writes them); blank lines are skipped.
	c.trailers = map[string]string{}
	var signed strings.Builder
	var trailerSig string
	for _, line := range strings.Split(string(rest), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return errorf("InvalidRequest", "Malformed aws-chunked trailer line %q.", truncate(line))
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if k == "x-amz-trailer-signature" {
			trailerSig = v
			continue
		}
		c.trailers[k] = v
		signed.WriteString(k + ":" + v + "\n")
	}
	if c.signer != nil {
		if trailerSig == "" {
			return newError("SignatureDoesNotMatch", "The aws-chunked trailer has no x-amz-trailer-signature.")
		}
		h := sha256.Sum256([]byte(signed.String()))
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.signer.amzDate + "\n" + c.signer.scope + "\n" +
			c.prevSig + "\n" + hex.EncodeToString(h[:])
		if !equalSignatures(c.signer.sign(sts), trailerSig) {
			return newError("SignatureDoesNotMatch", "The signature of the aws-chunked trailer does not match.")
		}
	}
	return io.EOF
}

// readLine reads one line ended by LF, without the line end (CRLF or LF).
func (c *chunkedReader) readLine() (string, error) {
	var line []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxChunkLine {
			return "", newError("InvalidRequest", "An aws-chunked chunk header is too long.")
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return "", newError("IncompleteBody", "The aws-chunked body ended before its last chunk.")
		}
		return "", err
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	return string(line), nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
