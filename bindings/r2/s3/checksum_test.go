package s3

import (
	"encoding/base64"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

func encodeCRC32(v uint32) string {
	return base64.StdEncoding.EncodeToString([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func TestCRC64NVME(t *testing.T) {
	// The check value of CRC-64/NVME: the CRC of "123456789".
	if got := crc64.Checksum([]byte("123456789"), crc64.MakeTable(crc64NVMEPoly)); got != 0xAE8B14860A799888 {
		t.Errorf("CRC-64/NVME check = %#x, want 0xae8b14860a799888", got)
	}
}

func TestBodyReader(t *testing.T) {
	data := "The quick brown fox jumps over the lazy dog"
	sha := "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
	crc := encodeCRC32(crc32.ChecksumIEEE([]byte(data)))
	s := exampleSigner()
	tests := []struct {
		name    string
		mode    payloadMode
		hash    string
		body    string
		headers map[string]string
		code    string
	}{
		{name: "hashed", mode: payloadHashed, hash: sha, body: data},
		{name: "hashed mismatch", mode: payloadHashed, hash: emptySHA256, body: data, code: "XAmzContentSHA256Mismatch"},
		{name: "unsigned", mode: payloadUnsigned, body: data},
		{name: "crc32 header", mode: payloadUnsigned, body: data, headers: map[string]string{"x-amz-checksum-crc32": crc}},
		{name: "crc32 header mismatch", mode: payloadUnsigned, body: data + ".", headers: map[string]string{"x-amz-checksum-crc32": crc}, code: "BadDigest"},
		{name: "sha256 header mismatch", mode: payloadUnsigned, body: data, headers: map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(make([]byte, 32))}, code: "BadDigest"},
		{name: "invalid checksum header", mode: payloadUnsigned, body: data, headers: map[string]string{"x-amz-checksum-crc32": "nope"}, code: "InvalidDigest"},
		{name: "content-md5", mode: payloadUnsigned, body: data, headers: map[string]string{"Content-MD5": "nhB9nTcrtoJr2B01QqQZ1g=="}},
		{name: "content-md5 mismatch", mode: payloadUnsigned, body: data + ".", headers: map[string]string{"Content-MD5": "nhB9nTcrtoJr2B01QqQZ1g=="}, code: "BadDigest"},
		{
			name: "unsigned trailer", mode: payloadStreamingUnsignedTrailer,
			body:    encodeChunked([]byte(data), 10, nil, "", [][2]string{{"x-amz-checksum-crc32", crc}}),
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": "43"},
		},
		{
			name: "unsigned trailer mismatch", mode: payloadStreamingUnsignedTrailer,
			body:    encodeChunked([]byte(data), 10, nil, "", [][2]string{{"x-amz-checksum-crc32", encodeCRC32(1)}}),
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, code: "BadDigest",
		},
		{
			name: "trailer announced, not sent", mode: payloadStreamingUnsignedTrailer,
			body:    encodeChunked([]byte(data), 10, nil, "", [][2]string{{"x-amz-checksum-sha1", "x"}}),
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, code: "InvalidRequest",
		},
		{
			name: "decoded length mismatch", mode: payloadStreamingUnsignedTrailer,
			body:    encodeChunked([]byte(data), 10, nil, "", [][2]string{{"x-amz-checksum-crc32", crc}}),
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": "44"}, code: "IncompleteBody",
		},
		{
			name: "signed chunks", mode: payloadStreamingSigned,
			body: encodeChunked([]byte(data), 10, s, exampleSeed, nil),
		},
		{
			name: "signed chunks and trailer", mode: payloadStreamingSignedTrailer,
			body:    encodeChunked([]byte(data), 10, s, exampleSeed, [][2]string{{"x-amz-checksum-crc32", crc}}),
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"},
		},
		{
			name: "trailer without a trailer mode", mode: payloadUnsigned, body: data,
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, code: "InvalidRequest",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/b/k", strings.NewReader(tt.body))
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			auth := &authResult{mode: tt.mode, payloadHash: tt.hash, seed: exampleSeed, signer: *s}
			v, aerr := newBodyReader(r, auth, bodyOptions{md5: true})
			var err error
			var got []byte
			if aerr != nil {
				err = aerr
			} else {
				got, err = io.ReadAll(v)
			}
			if tt.code == "" {
				if err != nil || string(got) != data {
					t.Fatalf("read %q, %v", got, err)
				}
				return
			}
			var ae *apiError
			if !errors.As(err, &ae) || ae.code != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
			if aerr == nil && v.failure() == nil {
				t.Errorf("failure() = nil after %v", err)
			}
		})
	}
}

func TestBodyReaderCutShort(t *testing.T) {
	r := httptest.NewRequest("PUT", "/b/k", nil)
	r.Body = io.NopCloser(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(io.ErrUnexpectedEOF)))
	r.ContentLength = 10
	v, aerr := newBodyReader(r, &authResult{mode: payloadUnsigned}, bodyOptions{})
	if aerr != nil {
		t.Fatal(aerr)
	}
	_, err := io.ReadAll(v)
	var ae *apiError
	if !errors.As(err, &ae) || ae.code != "IncompleteBody" || err == io.ErrUnexpectedEOF {
		t.Fatalf("err = %v, want IncompleteBody", err)
	}
	// A body shorter than its Content-Length.
	r = httptest.NewRequest("PUT", "/b/k", strings.NewReader("abc"))
	r.ContentLength = 4
	v, _ = newBodyReader(r, &authResult{mode: payloadUnsigned}, bodyOptions{})
	if _, err := io.ReadAll(v); !errors.As(err, &ae) || ae.code != "IncompleteBody" {
		t.Fatalf("short body: err = %v, want IncompleteBody", err)
	}
}
