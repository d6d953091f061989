package s3

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// exampleSigner is the signer of AWS's chunked upload example (66560 bytes
// of 'a' in 64 KiB chunks, PUT /examplebucket/chunkObject.txt).
func exampleSigner() *signer {
	return &signer{
		key:     signingKey(exampleSecret, "20130524", "us-east-1", "s3"),
		amzDate: "20130524T000000Z",
		scope:   "20130524/us-east-1/s3/aws4_request",
	}
}

const exampleSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"

// encodeChunked is a test encoder of aws-chunked bodies: chunks of size
// chunk, signed when s is not nil, then trailers (signed when s is not
// nil), in the CRLF layout of the AWS SDKs.
func encodeChunked(data []byte, chunk int, s *signer, seed string, trailers [][2]string) string {
	var b strings.Builder
	prev := seed
	emit := func(p []byte) {
		if s == nil {
			fmt.Fprintf(&b, "%x\r\n", len(p))
		} else {
			h := sha256.Sum256(p)
			prev = s.sign("AWS4-HMAC-SHA256-PAYLOAD\n" + s.amzDate + "\n" + s.scope + "\n" + prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(h[:]))
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(p), prev)
		}
		b.Write(p)
		if len(p) > 0 || len(trailers) == 0 {
			b.WriteString("\r\n")
		}
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		emit(data[:n])
		data = data[n:]
	}
	emit(nil)
	if len(trailers) > 0 {
		var signed strings.Builder
		for _, t := range trailers {
			fmt.Fprintf(&b, "%s:%s\r\n", t[0], t[1])
			fmt.Fprintf(&signed, "%s:%s\n", t[0], t[1])
		}
		if s != nil {
			h := sha256.Sum256([]byte(signed.String()))
			sig := s.sign("AWS4-HMAC-SHA256-TRAILER\n" + s.amzDate + "\n" + s.scope + "\n" + prev + "\n" + hex.EncodeToString(h[:]))
			fmt.Fprintf(&b, "x-amz-trailer-signature:%s\r\n", sig)
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

func TestChunkedAWSExample(t *testing.T) {
	data := bytes.Repeat([]byte{'a'}, 66560)
	body := encodeChunked(data, 65536, exampleSigner(), exampleSeed, nil)
	// The signatures AWS publishes for this example.
	for _, sig := range []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	} {
		if !strings.Contains(body, "chunk-signature="+sig) {
			t.Errorf("encoded body lacks AWS's chunk signature %s", sig)
		}
	}
	if len(body) != 66824 {
		t.Errorf("encoded length %d, want AWS's Content-Length 66824", len(body))
	}
	got, err := io.ReadAll(newChunkedReader(strings.NewReader(body), exampleSigner(), exampleSeed, false))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("decode: %d bytes, %v", len(got), err)
	}
	// Read one byte at a time too.
	got, err = io.ReadAll(iotest.OneByteReader(newChunkedReader(iotest.HalfReader(strings.NewReader(body)), exampleSigner(), exampleSeed, false)))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("decode bytewise: %d bytes, %v", len(got), err)
	}
}

func TestChunkedReader(t *testing.T) {
	data := []byte(strings.Repeat("hello, chunked world! ", 1000))
	crc := encodeCRC32(crc32.ChecksumIEEE(data))
	s := exampleSigner()
	full := encodeChunked(data, 8192, s, exampleSeed, nil)
	tests := []struct {
		name     string
		body     string
		signed   bool
		trailer  bool
		code     string // expected error code; "" for success
		trailers map[string]string
	}{
		{name: "signed", body: encodeChunked(data, 8192, s, exampleSeed, nil), signed: true},
		{name: "signed, one chunk", body: encodeChunked(data, 1<<20, s, exampleSeed, nil), signed: true},
		{name: "signed, empty body", body: encodeChunked(nil, 8192, s, exampleSeed, nil), signed: true},
		{name: "signed, wrong seed", body: encodeChunked(data, 8192, s, strings.Repeat("0", 64), nil), signed: true, code: "SignatureDoesNotMatch"},
		{name: "signed, tampered data", body: strings.Replace(encodeChunked(data, 8192, s, exampleSeed, nil), "world", "World", 1), signed: true, code: "SignatureDoesNotMatch"},
		{name: "signed, chunks reordered", body: swapChunks(encodeChunked([]byte(strings.Repeat("a", 10)+strings.Repeat("b", 10)), 10, s, exampleSeed, nil)), signed: true, code: "SignatureDoesNotMatch"},
		{name: "signed, no signature", body: "5\r\nhello\r\n0\r\n\r\n", signed: true, code: "SignatureDoesNotMatch"},
		{name: "signed, truncated", body: encodeChunked(data, 8192, s, exampleSeed, nil)[:9000], signed: true, code: "IncompleteBody"},
		{name: "signed, last chunk missing", body: full[:strings.LastIndex(full, "\r\n0;chunk-signature=")+2], signed: true, code: "IncompleteBody"},
		{name: "signed, garbage after", body: encodeChunked(data, 8192, s, exampleSeed, nil) + "junk", signed: true, code: "InvalidRequest"},
		{name: "signed trailer", body: encodeChunked(data, 8192, s, exampleSeed, [][2]string{{"x-amz-checksum-crc32", crc}}), signed: true, trailer: true, trailers: map[string]string{"x-amz-checksum-crc32": crc}},
		{name: "signed trailer, tampered", body: strings.Replace(encodeChunked(data, 8192, s, exampleSeed, [][2]string{{"x-amz-checksum-crc32", crc}}), crc, "AAAAAA==", 1), signed: true, trailer: true, code: "SignatureDoesNotMatch"},
		{name: "signed trailer, no signature", body: encodeChunked(data, 8192, s, exampleSeed, nil) + "x-amz-checksum-crc32:" + crc + "\r\n\r\n", signed: true, trailer: true, code: "SignatureDoesNotMatch"},
		{name: "unsigned trailer", body: encodeChunked(data, 8192, nil, "", [][2]string{{"x-amz-checksum-crc32", crc}}), trailer: true, trailers: map[string]string{"x-amz-checksum-crc32": crc}},
		{name: "unsigned trailer, minio layout", body: "5\r\nhello\r\n0\r\nx-amz-checksum-crc32c:abc=\n\r\n\r\n", trailer: true, trailers: map[string]string{"x-amz-checksum-crc32c": "abc="}},
		{name: "unsigned, chunk longer than declared", body: "3\r\nhello\r\n0\r\n\r\n", trailer: true, code: "InvalidRequest"},
		{name: "unsigned, bad size", body: "zz\r\nhello\r\n0\r\n\r\n", trailer: true, code: "InvalidRequest"},
		{name: "unsigned, negative size", body: "-5\r\nhello\r\n0\r\n\r\n", trailer: true, code: "InvalidRequest"},
		{name: "unsigned, huge header line", body: strings.Repeat("1", 5000) + "\r\n", trailer: true, code: "InvalidRequest"},
		{name: "unsigned, bad trailer line", body: "0\r\nnocolon\r\n\r\n", trailer: true, code: "InvalidRequest"},
		{name: "unsigned, huge trailer", body: "0\r\nx:" + strings.Repeat("a", maxTrailerBytes) + "\r\n\r\n", trailer: true, code: "InvalidRequest"},
		{name: "empty body", body: "", trailer: true, code: "IncompleteBody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sig *signer
			if tt.signed {
				sig = exampleSigner()
			}
			c := newChunkedReader(strings.NewReader(tt.body), sig, exampleSeed, tt.trailer)
			got, err := io.ReadAll(c)
			if tt.code != "" {
				var ae *apiError
				if !errors.As(err, &ae) || ae.code != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				// The error sticks.
				if _, err2 := c.Read(make([]byte, 1)); err2 != err {
					t.Errorf("second Read = %v, want %v", err2, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if want := decodedData(tt.body); !bytes.Equal(got, want) {
				t.Errorf("decoded %d bytes, want %d", len(got), len(want))
			}
			for k, v := range tt.trailers {
				if got, _ := c.Trailer(k); got != v {
					t.Errorf("Trailer(%s) = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// decodedData returns the chunk data of an aws-chunked body, decoded
// simply, for comparison.
func decodedData(body string) []byte {
	var out []byte
	for {
		line, rest, _ := strings.Cut(body, "\r\n")
		sizeText, _, _ := strings.Cut(line, ";")
		var n int
		fmt.Sscanf(sizeText, "%x", &n)
		if n == 0 {
			return out
		}
		out = append(out, rest[:n]...)
		body = rest[n+2:]
	}
}

// swapChunks swaps the first two chunks of an encoded body whose first two
// chunks have the same size.
func swapChunks(body string) string {
	parts := strings.SplitAfterN(body, "\r\n", 5)
	return parts[2] + parts[3] + parts[0] + parts[1] + parts[4]
}

func FuzzChunkedReader(f *testing.F) {
	s := exampleSigner()
	f.Add([]byte(encodeChunked([]byte("hello world"), 4, s, exampleSeed, nil)), true, false)
	f.Add([]byte(encodeChunked([]byte("hello world"), 4, s, exampleSeed, [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}})), true, true)
	f.Add([]byte(encodeChunked([]byte("hello world"), 3, nil, "", [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}})), false, true)
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32c:abc=\n\r\n\r\n"), false, true)
	f.Add([]byte("ffffffffffffffff\r\n"), false, false)
	f.Fuzz(func(t *testing.T, body []byte, signed, trailer bool) {
		var sig *signer
		if signed {
			sig = exampleSigner()
		}
		got, err := io.ReadAll(newChunkedReader(bytes.NewReader(body), sig, exampleSeed, trailer))
		if len(got) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(got), len(body))
		}
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("error is not an S3 error: %v", err)
			}
		}
	})
}
