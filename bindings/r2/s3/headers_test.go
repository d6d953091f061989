package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/r2"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		header string
		want   *r2.Range
		code   string
	}{
		{"", nil, ""},
		{"bytes=0-9", &r2.Range{Offset: 0, Length: 10}, ""},
		{"bytes=5-5", &r2.Range{Offset: 5, Length: 1}, ""},
		{"bytes=100-", &r2.Range{Offset: 100}, ""},
		{"bytes=-50", &r2.Range{Suffix: 50}, ""},
		{"bytes=-0", nil, "InvalidRange"},
		{"bytes= 1 - 2 ", &r2.Range{Offset: 1, Length: 2}, ""},
		{"BYTES=1-2", &r2.Range{Offset: 1, Length: 2}, ""},
		{"bytes=0-9223372036854775807", &r2.Range{Offset: 0}, ""},
		// Ignored, as HTTP says: the whole object is sent.
		{"bytes=9-5", nil, ""},
		{"bytes=0-1,5-6", nil, ""},
		{"items=0-9", nil, ""},
		{"bytes=a-b", nil, ""},
		{"bytes=-", nil, ""},
		{"bytes=+1-2", nil, ""},
		{"bytes=99999999999999999999-", nil, ""},
		{"bytes", nil, ""},
	}
	for _, tt := range tests {
		got, aerr := parseRange(tt.header)
		code := ""
		if aerr != nil {
			code = aerr.code
		}
		if code != tt.code || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("parseRange(%q) = %v, %q; want %v, %q", tt.header, got, code, tt.want, tt.code)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=-5", "bytes=5-", "bytes=1-2,3-4", "bytes=-0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r, aerr := parseRange(h)
		if aerr != nil && r != nil {
			t.Fatalf("both a range and an error for %q", h)
		}
		if r == nil {
			return
		}
		if r.Offset < 0 || r.Length < 0 || r.Suffix < 0 {
			t.Fatalf("negative range %+v for %q", *r, h)
		}
		if r.Suffix > 0 && (r.Offset != 0 || r.Length != 0) {
			t.Fatalf("suffix with offset or length %+v for %q", *r, h)
		}
	})
}

func TestParseConditional(t *testing.T) {
	day := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	h := http.Header{}
	if c := parseConditional(h, getConditions); c != nil {
		t.Errorf("no headers: %+v", c)
	}
	h.Set("If-Match", `"a", "b"`)
	h.Set("If-None-Match", `*`)
	h.Set("If-Modified-Since", day.Format(http.TimeFormat))
	h.Set("If-Unmodified-Since", "not a date")
	c := parseConditional(h, getConditions)
	if c == nil || fmt.Sprint(c.EtagMatches) != `["a" "b"]` || fmt.Sprint(c.EtagDoesNotMatch) != "[*]" ||
		!c.UploadedAfter.Equal(day) || !c.UploadedBefore.IsZero() || !c.SecondsGranularity {
		t.Errorf("parseConditional = %+v", c)
	}
	h = http.Header{}
	h.Set("X-Amz-Copy-Source-If-Unmodified-Since", day.Format(http.TimeFormat))
	if c := parseConditional(h, copyConditions); c == nil || !c.UploadedBefore.Equal(day) {
		t.Errorf("copy conditions = %+v", c)
	}
}

func TestParseMetadata(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "text/plain")
	h.Set("Content-Encoding", "aws-chunked,gzip")
	h.Set("Expires", "Wed, 21 Oct 2015 07:28:00 GMT")
	h.Set("X-Amz-Meta-Color", "blue")
	h.Set("X-Amz-Meta-Some-Name", "v")
	md, custom, aerr := parseMetadata(h)
	if aerr != nil || md.ContentType != "text/plain" || md.ContentEncoding != "gzip" || md.CacheExpiry.Year() != 2015 ||
		custom["color"] != "blue" || custom["some-name"] != "v" || len(custom) != 2 {
		t.Errorf("parseMetadata = %+v, %v, %v", md, custom, aerr)
	}
	h.Set("Expires", "soon")
	if _, _, aerr := parseMetadata(h); aerr == nil || aerr.code != "InvalidArgument" {
		t.Errorf("bad Expires: %v", aerr)
	}
}

func TestToAPIError(t *testing.T) {
	tests := []struct {
		err    error
		key    string
		code   string
		status int
	}{
		{fmt.Errorf("r2: get: %w", r2.ErrNoSuchKey), "k", "NoSuchKey", 404},
		{fmt.Errorf("x: %w", r2.ErrNoSuchBucket), "", "NoSuchBucket", 404},
		{r2.ErrNoSuchUpload, "k", "NoSuchUpload", 404},
		{r2.ErrInvalidBucketName, "", "InvalidBucketName", 400},
		{r2.ErrBucketNotEmpty, "", "BucketNotEmpty", 409},
		{r2.ErrInvalidPart, "k", "InvalidPart", 400},
		{fmt.Errorf("%w: %w", r2.ErrInvalidPart, r2.ErrUnequalParts), "k", "InvalidPart", 400},
		{r2.ErrInvalidPartOrder, "k", "InvalidPartOrder", 400},
		{r2.ErrEntityTooSmall, "k", "EntityTooSmall", 400},
		{r2.ErrEntityTooLarge, "k", "EntityTooLarge", 400},
		{r2.ErrBadDigest, "k", "BadDigest", 400},
		{r2.ErrInvalidRange, "k", "InvalidRange", 416},
		{&r2.PreconditionFailedError{Object: &r2.Object{Key: "k"}}, "k", "PreconditionFailed", 412},
		{r2.ErrMetadataTooLarge, "k", "MetadataTooLarge", 400},
		{r2.ErrInvalidArgument, "k", "InvalidArgument", 400},
		{fmt.Errorf("r2: list: %w: %w", r2.ErrInvalidArgument, r2.ErrInvalidCursor), "", "InvalidArgument", 400},
		{fmt.Errorf("r2: put: %w", r2.ErrInvalidKey), string(make([]byte, 1025)), "KeyTooLongError", 400},
		{fmt.Errorf("r2: put: %w", r2.ErrInvalidKey), "bad\x00key", "InvalidArgument", 400},
		{fmt.Errorf("r2: put: reading body: %w", newError("XAmzContentSHA256Mismatch", "")), "k", "XAmzContentSHA256Mismatch", 400},
		{context.Canceled, "k", "InternalError", 500},
		{errors.New("disk on fire"), "k", "InternalError", 500},
	}
	for _, tt := range tests {
		got := toAPIError(tt.err, tt.key)
		if got.code != tt.code || got.status != tt.status {
			t.Errorf("toAPIError(%v) = %s %d, want %s %d", tt.err, got.code, got.status, tt.code, tt.status)
		}
		if _, ok := errorCodes[got.code]; !ok {
			t.Errorf("code %s is not in the table", got.code)
		}
	}
}
