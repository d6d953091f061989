package s3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The examples of AWS's "Signature Calculations for the Authorization
// Header" and "Query String Authentication" pages for S3: the example key,
// 24 May 2013, us-east-1, bucket examplebucket.
const (
	exampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func exampleAuth(now time.Time) *authenticator {
	return &authenticator{
		secrets: map[string]string{exampleKeyID: exampleSecret},
		regions: map[string]bool{"us-east-1": true, "auto": true},
		now:     func() time.Time { return now },
	}
}

func authz(signedHeaders, sig string) string {
	return "AWS4-HMAC-SHA256 Credential=" + exampleKeyID + "/20130524/us-east-1/s3/aws4_request,SignedHeaders=" + signedHeaders + ",Signature=" + sig
}

func TestAWSExamples(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		target  string
		headers map[string]string
		body    string
		mode    payloadMode
	}{
		{
			name: "GET object", method: "GET", target: "/test.txt",
			headers: map[string]string{
				"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9",
				"x-amz-content-sha256": emptySHA256, "x-amz-date": "20130524T000000Z",
				"Authorization": authz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
			},
		},
		{
			name: "PUT object with Date and a $ in the key", method: "PUT", target: "/test$file.text", body: "Welcome to Amazon S3.",
			headers: map[string]string{
				"Host": "examplebucket.s3.amazonaws.com", "Date": "Fri, 24 May 2013 00:00:00 GMT",
				"x-amz-date": "20130524T000000Z", "x-amz-storage-class": "REDUCED_REDUNDANCY",
				"x-amz-content-sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
				"Authorization":        authz("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
			},
		},
		{
			name: "GET bucket lifecycle (a valueless query parameter)", method: "GET", target: "/?lifecycle",
			headers: map[string]string{
				"Host": "examplebucket.s3.amazonaws.com", "x-amz-date": "20130524T000000Z", "x-amz-content-sha256": emptySHA256,
				"Authorization": authz("host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
			},
		},
		{
			name: "list objects (sorted query)", method: "GET", target: "/?max-keys=2&prefix=J",
			headers: map[string]string{
				"Host": "examplebucket.s3.amazonaws.com", "x-amz-date": "20130524T000000Z", "x-amz-content-sha256": emptySHA256,
				"Authorization": authz("host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
			},
		},
		{
			name: "presigned GET", method: "GET", mode: payloadUnsigned,
			target:  "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
			headers: map[string]string{"Host": "examplebucket.s3.amazonaws.com"},
		},
		{
			name: "seed request of a chunked upload", method: "PUT", target: "/examplebucket/chunkObject.txt", mode: payloadStreamingSigned,
			headers: map[string]string{
				"Host": "s3.amazonaws.com", "x-amz-date": "20130524T000000Z", "x-amz-storage-class": "REDUCED_REDUNDANCY",
				"x-amz-content-sha256": streamingPayload, "Content-Encoding": "aws-chunked",
				"x-amz-decoded-content-length": "66560", "Content-Length": "66824",
				"Authorization": authz("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
					"4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			r.Host = tt.headers["Host"]
			// Presigned URLs may be used until they expire.
			res, aerr := exampleAuth(exampleTime.Add(10 * time.Minute)).authenticate(r)
			if aerr != nil {
				t.Fatalf("authenticate: %v", aerr)
			}
			if res.mode != tt.mode || res.accessKeyID != exampleKeyID {
				t.Errorf("mode %v key %q, want %v", res.mode, res.accessKeyID, tt.mode)
			}
			// Any change to a signed part breaks the signature.
			r.Host = "other.example.com"
			if _, aerr := exampleAuth(exampleTime).authenticate(r); aerr == nil || aerr.code != "SignatureDoesNotMatch" {
				t.Errorf("authenticate(other host) = %v, want SignatureDoesNotMatch", aerr)
			}
		})
	}
}

func TestAuthErrors(t *testing.T) {
	getExample := func() *http.Request {
		r := httptest.NewRequest("GET", "/test.txt", nil)
		r.Host = "examplebucket.s3.amazonaws.com"
		r.Header.Set("Range", "bytes=0-9")
		r.Header.Set("x-amz-content-sha256", emptySHA256)
		r.Header.Set("x-amz-date", "20130524T000000Z")
		r.Header.Set("Authorization", authz("host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"))
		return r
	}
	presigned := func(expires string) *http.Request {
		r := httptest.NewRequest("GET", "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires="+expires+"&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404", nil)
		r.Host = "examplebucket.s3.amazonaws.com"
		return r
	}
	tests := []struct {
		name   string
		req    func() *http.Request
		now    time.Time
		code   string
		status int
	}{
		{"valid", getExample, exampleTime, "", 0},
		{"skewed 16 minutes late", getExample, exampleTime.Add(16 * time.Minute), "RequestTimeTooSkewed", 403},
		{"skewed 16 minutes early", getExample, exampleTime.Add(-16 * time.Minute), "RequestTimeTooSkewed", 403},
		{"within 14 minutes", getExample, exampleTime.Add(14 * time.Minute), "", 0},
		{"anonymous", func() *http.Request { return httptest.NewRequest("GET", "/b/k", nil) }, exampleTime, "AccessDenied", 403},
		{"unknown key", func() *http.Request {
			r := getExample()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), exampleKeyID, "AKIDUNKNOWN", 1))
			return r
		}, exampleTime, "InvalidAccessKeyId", 403},
		{"wrong region", func() *http.Request {
			r := getExample()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "us-east-1", "eu-west-1", 1))
			return r
		}, exampleTime, "AuthorizationHeaderMalformed", 400},
		{"wrong service", func() *http.Request {
			r := getExample()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/s3/", "/ec2/", 1))
			return r
		}, exampleTime, "AuthorizationHeaderMalformed", 400},
		{"scope date is not the request date", func() *http.Request {
			r := getExample()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "20130524", "20130523", 1))
			return r
		}, exampleTime, "AuthorizationHeaderMalformed", 400},
		{"tampered header", func() *http.Request {
			r := getExample()
			r.Header.Set("Range", "bytes=0-10")
			return r
		}, exampleTime, "SignatureDoesNotMatch", 403},
		{"host not signed", func() *http.Request {
			r := getExample()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SignedHeaders=host;", "SignedHeaders=", 1))
			return r
		}, exampleTime, "AccessDenied", 403},
		{"malformed", func() *http.Request {
			r := getExample()
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage")
			return r
		}, exampleTime, "AuthorizationHeaderMalformed", 400},
		{"signature v2", func() *http.Request {
			r := getExample()
			r.Header.Set("Authorization", "AWS AKID:c2ln")
			return r
		}, exampleTime, "InvalidRequest", 400},
		{"signature v2 presigned URL (s3cmd signurl)", func() *http.Request {
			return httptest.NewRequest("GET", "/b/k?AWSAccessKeyId="+exampleKeyID+"&Expires=1369353600&Signature=c2lnbmF0dXJl", nil)
		}, exampleTime, "InvalidRequest", 400},
		{"signature v2 presigned URL (botocore, us-east-1)", func() *http.Request {
			return httptest.NewRequest("GET", "/b/k?Signature=c2lnbmF0dXJl&Expires=1369353600&AWSAccessKeyId="+exampleKeyID, nil)
		}, exampleTime, "InvalidRequest", 400},
		{"bad content sha256", func() *http.Request {
			r := getExample()
			r.Header.Set("x-amz-content-sha256", "nope")
			return r
		}, exampleTime, "InvalidArgument", 400},
		{"sigv4a streaming", func() *http.Request {
			r := getExample()
			r.Header.Set("x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")
			return r
		}, exampleTime, "NotImplemented", 501},
		{"body without x-amz-content-sha256", func() *http.Request {
			r := httptest.NewRequest("PUT", "/test.txt", strings.NewReader("x"))
			r.Header.Set("x-amz-date", "20130524T000000Z")
			r.Header.Set("Authorization", authz("host;x-amz-date", "00"))
			return r
		}, exampleTime, "InvalidRequest", 400},
		{"presigned valid until expiry", func() *http.Request { return presigned("86400") }, exampleTime.Add(86400 * time.Second), "", 0},
		{"presigned expired", func() *http.Request { return presigned("86400") }, exampleTime.Add(86401 * time.Second), "AccessDenied", 403},
		{"presigned not valid yet", func() *http.Request { return presigned("86400") }, exampleTime.Add(-16 * time.Minute), "AccessDenied", 403},
		{"presigned expires over a week", func() *http.Request { return presigned("604801") }, exampleTime, "AuthorizationQueryParametersError", 400},
		{"presigned expires not a number", func() *http.Request { return presigned("soon") }, exampleTime, "AuthorizationQueryParametersError", 400},
		{"presigned with a changed expiry", func() *http.Request { return presigned("86401") }, exampleTime, "SignatureDoesNotMatch", 403},
		{"presigned and header", func() *http.Request {
			r := presigned("86400")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 x")
			return r
		}, exampleTime, "InvalidArgument", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, aerr := exampleAuth(tt.now).authenticate(tt.req())
			switch {
			case tt.code == "" && aerr != nil:
				t.Fatalf("authenticate = %v, want success", aerr)
			case tt.code == "":
			case aerr == nil:
				t.Fatalf("authenticate succeeded, want %s", tt.code)
			case aerr.code != tt.code || aerr.status != tt.status:
				t.Fatalf("authenticate = %s %d (%s), want %s %d", aerr.code, aerr.status, aerr.message, tt.code, tt.status)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ raw, skip, want string }{
		{"", "", ""},
		{"uploads", "", "uploads="},
		{"prefix=J&max-keys=2", "", "max-keys=2&prefix=J"},
		{"a=2&a=1&b", "", "a=1&a=2&b="},
		{"prefix=a%20b%2Fc&x=%7e", "", "prefix=a%20b%2Fc&x=~"},
		{"k=a+b", "", "k=a%20b"},
		{"X-Amz-Signature=abc&X-Amz-Date=1", "X-Amz-Signature", "X-Amz-Date=1"},
		{"k=%zz", "", "k=%25zz"},
	}
	for _, tt := range tests {
		if got := canonicalQuery(tt.raw, tt.skip); got != tt.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestURIEncode(t *testing.T) {
	tests := []struct {
		in        string
		keepSlash bool
		want      string
	}{
		{"/bucket/a b/c.txt", true, "/bucket/a%20b/c.txt"},
		{"/b/test$file.text", true, "/b/test%24file.text"},
		{"a/b", false, "a%2Fb"},
		{"AZaz09-._~", false, "AZaz09-._~"},
		{"+=&?*", true, "%2B%3D%26%3F%2A"},
		{"ü", true, "%C3%BC"},
	}
	for _, tt := range tests {
		if got := uriEncode(tt.in, tt.keepSlash); got != tt.want {
			t.Errorf("uriEncode(%q, %v) = %q, want %q", tt.in, tt.keepSlash, got, tt.want)
		}
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := httptest.NewRequest("PUT", "/b/k", strings.NewReader("abc"))
	r.Host = "example.com:9000"
	r.Header.Add("X-Amz-Meta-Multi", "  a   b  ")
	r.Header.Add("X-Amz-Meta-Multi", "c")
	got := canonicalHeaders(r, []string{"content-length", "expect", "host", "x-amz-meta-multi"})
	want := "content-length:3\nexpect:100-continue\nhost:example.com:9000\nx-amz-meta-multi:a b,c\n"
	if got != want {
		t.Errorf("canonicalHeaders = %q, want %q", got, want)
	}
}
