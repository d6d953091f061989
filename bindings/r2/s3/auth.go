package s3

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signature V4 constants.
const (
	algorithmHMAC   = "AWS4-HMAC-SHA256"
	algorithmECDSA  = "AWS4-ECDSA-P256-SHA256"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
	scopeTerminator = "aws4_request"
	serviceS3       = "s3"
	// maxClockSkew is how far a request's date may be from the server's clock.
	maxClockSkew = 15 * time.Minute
	// maxPresignExpiry is the longest X-Amz-Expires S3 accepts (7 days).
	maxPresignExpiry = 7 * 24 * time.Hour

	// emptySHA256 is the hex SHA-256 of no bytes.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	// The x-amz-content-sha256 values that are not a hex hash.
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingPayload         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingPayloadTrailer  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// payloadMode says how the request body is protected.
type payloadMode int

const (
	// payloadHashed: x-amz-content-sha256 is the hex SHA-256 of the body,
	// verified as the body is read.
	payloadHashed payloadMode = iota
	// payloadUnsigned: UNSIGNED-PAYLOAD, the body is not signed.
	payloadUnsigned
	// payloadStreamingSigned: aws-chunked, each chunk signed.
	payloadStreamingSigned
	// payloadStreamingSignedTrailer: aws-chunked, each chunk and the
	// trailer signed.
	payloadStreamingSignedTrailer
	// payloadStreamingUnsignedTrailer: aws-chunked, unsigned, with trailer.
	payloadStreamingUnsignedTrailer
)

// streaming reports whether the body is aws-chunked.
func (m payloadMode) streaming() bool { return m >= payloadStreamingSigned }

// signer holds what verifies the parts of a request signed after its
// headers: the chunks and trailer of an aws-chunked body.
type signer struct {
	key     []byte // the derived signing key
	amzDate string // the request's timestamp, as in the string to sign
	scope   string // date/region/s3/aws4_request
}

// sign returns the hex HMAC-SHA256 of stringToSign under the signing key.
func (s *signer) sign(stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(s.key, stringToSign))
}

// authResult is an authenticated request.
type authResult struct {
	accessKeyID string
	mode        payloadMode
	// payloadHash is the hex SHA-256 the body must have (payloadHashed).
	payloadHash string
	// seed is the request's signature, which starts the chunk chain.
	seed   string
	signer signer
}

// authenticator checks AWS Signature Version 4 on requests. It is safe for
// concurrent use.
type authenticator struct {
	secrets map[string]string // access key ID → secret; not written after construction
	regions map[string]bool   // accepted credential-scope regions
	now     func() time.Time
}

// authenticate verifies the signature of r, from its Authorization header
// or its presigned query, and returns how the body must be checked.
func (a *authenticator) authenticate(r *http.Request) (*authResult, *apiError) {
	q := r.URL.Query()
	authz := r.Header.Get("Authorization")
	if q.Has("X-Amz-Algorithm") {
		if authz != "" {
			return nil, newError("InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.")
		}
		return a.presigned(r, q)
	}
	switch {
	case authz == "" && (q.Has("AWSAccessKeyId") || q.Has("Signature")):
		// A Signature Version 2 presigned URL: botocore's default in
		// us-east-1, s3cmd signurl.
		return nil, errSignatureV2()
	case authz == "":
		return nil, newError("AccessDenied", "Anonymous access is not allowed: sign requests with AWS Signature Version 4.")
	case strings.HasPrefix(authz, algorithmHMAC+" "):
		return a.header(r, authz)
	case strings.HasPrefix(authz, algorithmECDSA+" "):
		return nil, newError("NotImplemented", "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; use AWS4-HMAC-SHA256.")
	case strings.HasPrefix(authz, "AWS "):
		return nil, errSignatureV2()
	default:
		return nil, newError("AuthorizationHeaderMalformed", "The authorization header is malformed; the authorization mechanism is not supported.")
	}
}

// errSignatureV2 is the answer to a request signed with Signature Version
// 2, in an Authorization header or a presigned URL (AWSAccessKeyId,
// Signature, Expires).
func errSignatureV2() *apiError {
	return newError("InvalidRequest", "Signature Version 2 is not supported; use AWS Signature Version 4 (AWS4-HMAC-SHA256).")
}

// credentialScope is the parsed Credential of a request.
type credentialScope struct {
	accessKeyID, date, region, service string
}

// parseCredential splits "AKID/20130524/us-east-1/s3/aws4_request".
func parseCredential(s string) (credentialScope, bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 || parts[4] != scopeTerminator || parts[0] == "" {
		return credentialScope{}, false
	}
	return credentialScope{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3]}, true
}

func (c credentialScope) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + scopeTerminator
}

// checkScope finds the secret of the credential and validates its scope
// against the request time t.
func (a *authenticator) checkScope(c credentialScope, t time.Time, malformed string) (string, *apiError) {
	secret, ok := a.secrets[c.accessKeyID]
	if !ok {
		return "", newError("InvalidAccessKeyId", "")
	}
	if c.service != serviceS3 {
		return "", errorf(malformed, "The credential scope names service %q; expecting \"s3\".", c.service)
	}
	if !a.regions[c.region] {
		return "", errorf(malformed, "The region %q is wrong; expecting %q.", c.region, a.expectedRegion())
	}
	if c.date != t.UTC().Format(scopeDateFormat) {
		return "", errorf(malformed, "Invalid credential date %q: it is not the date of the request time %s.", c.date, t.UTC().Format(amzDateFormat))
	}
	return secret, nil
}

// expectedRegion names one accepted region for error messages.
func (a *authenticator) expectedRegion() string {
	names := make([]string, 0, len(a.regions))
	for r := range a.regions {
		names = append(names, r)
	}
	sort.Strings(names)
	return strings.Join(names, `" or "`)
}

// header verifies a request signed in its Authorization header.
func (a *authenticator) header(r *http.Request, authz string) (*authResult, *apiError) {
	var credential, signedHeaders, signature string
	for _, field := range strings.Split(strings.TrimPrefix(authz, algorithmHMAC+" "), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			return nil, newError("AuthorizationHeaderMalformed", "")
		}
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			signature = v
		}
	}
	if credential == "" || signedHeaders == "" || signature == "" {
		return nil, newError("AuthorizationHeaderMalformed", "The authorization header must name Credential, SignedHeaders and Signature.")
	}
	cred, ok := parseCredential(credential)
	if !ok {
		return nil, errorf("AuthorizationHeaderMalformed", "The credential %q is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".", credential)
	}
	t, amzDate, aerr := requestTime(r)
	if aerr != nil {
		return nil, aerr
	}
	secret, aerr := a.checkScope(cred, t, "AuthorizationHeaderMalformed")
	if aerr != nil {
		return nil, aerr
	}
	if d := a.now().Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return nil, errorf("RequestTimeTooSkewed", "The request time %s differs from the server time %s by more than %v.", amzDate, a.now().UTC().Format(amzDateFormat), maxClockSkew)
	}
	names := strings.Split(signedHeaders, ";")
	if !contains(names, "host") {
		return nil, newError("AccessDenied", "The host header must be signed.")
	}

	res := &authResult{accessKeyID: cred.accessKeyID}
	hash := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case hash == "" && !hasBody(r):
		// AWS requires the header on every request; curl and other
		// simple signers omit it on bodyless requests, which signed the
		// hash of no bytes.
		hash = emptySHA256
		res.mode = payloadHashed
	case hash == "":
		return nil, newError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256 (send the hex SHA-256 of the body or UNSIGNED-PAYLOAD).")
	default:
		mode, aerr := parsePayloadMode(hash)
		if aerr != nil {
			return nil, aerr
		}
		res.mode = mode
	}
	if res.mode == payloadHashed {
		res.payloadHash = strings.ToLower(hash)
	}

	res.signer = signer{key: signingKey(secret, cred.date, cred.region, cred.service), amzDate: amzDate, scope: cred.scope()}
	if res.seed = res.signer.match(r, names, signedHeaders, hash, signature, ""); res.seed == "" {
		return nil, newError("SignatureDoesNotMatch", "")
	}
	return res, nil
}

// presigned verifies a request signed in its query string.
func (a *authenticator) presigned(r *http.Request, q url.Values) (*authResult, *apiError) {
	const bad = "AuthorizationQueryParametersError"
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithmHMAC {
		return nil, errorf(bad, "X-Amz-Algorithm %q is not supported; only %s is.", alg, algorithmHMAC)
	}
	credential, amzDate := q.Get("X-Amz-Credential"), q.Get("X-Amz-Date")
	signedHeaders, signature := q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature")
	expires := q.Get("X-Amz-Expires")
	if credential == "" || amzDate == "" || signedHeaders == "" || signature == "" || expires == "" {
		return nil, newError(bad, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	}
	cred, ok := parseCredential(credential)
	if !ok {
		return nil, errorf(bad, "Error parsing the X-Amz-Credential parameter %q.", credential)
	}
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return nil, errorf(bad, "X-Amz-Date %q must be in the ISO8601 long format yyyyMMdd'T'HHmmss'Z'.", amzDate)
	}
	secs, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || secs < 1 {
		return nil, newError(bad, "X-Amz-Expires should be a number of seconds, at least 1.")
	}
	if time.Duration(secs)*time.Second > maxPresignExpiry {
		return nil, newError(bad, "X-Amz-Expires must be less than a week (in seconds) that is 604800.")
	}
	secret, aerr := a.checkScope(cred, t, bad)
	if aerr != nil {
		return nil, aerr
	}
	now := a.now()
	if t.Sub(now) > maxClockSkew {
		return nil, newError("AccessDenied", "Request is not valid yet.")
	}
	if now.After(t.Add(time.Duration(secs) * time.Second)) {
		return nil, newError("AccessDenied", "Request has expired.")
	}
	names := strings.Split(signedHeaders, ";")
	if !contains(names, "host") {
		return nil, newError("AccessDenied", "The host header must be signed.")
	}
	res := &authResult{accessKeyID: cred.accessKeyID, mode: payloadUnsigned}
	hash := unsignedPayload
	if v := q.Get("X-Amz-Content-Sha256"); v != "" {
		hash = v
		mode, aerr := parsePayloadMode(hash)
		if aerr != nil {
			return nil, aerr
		}
		if mode != payloadHashed && mode != payloadUnsigned {
			return nil, newError("InvalidRequest", "A presigned request cannot stream an aws-chunked body.")
		}
		res.mode = mode
		if mode == payloadHashed {
			res.payloadHash = strings.ToLower(hash)
		}
	}
	res.signer = signer{key: signingKey(secret, cred.date, cred.region, cred.service), amzDate: amzDate, scope: cred.scope()}
	if res.seed = res.signer.match(r, names, signedHeaders, hash, signature, "X-Amz-Signature"); res.seed == "" {
		return nil, newError("SignatureDoesNotMatch", "")
	}
	return res, nil
}

// match computes the signature of r's canonical request and returns it if
// it equals signature, or "" if it does not. A few clients canonicalize
// the URI or query wrongly (curl before 8 signs the query as sent), so the
// path and query as sent are tried too when they differ from the
// canonical forms; each candidate is still a full signature over the
// request.
func (s *signer) match(r *http.Request, names []string, signedHeaders, hash, signature, skip string) string {
	headers := canonicalHeaders(r, names)
	queries := []string{canonicalQuery(r.URL.RawQuery, skip)}
	if skip == "" && r.URL.RawQuery != queries[0] {
		queries = append(queries, r.URL.RawQuery)
	}
	for _, uri := range canonicalURIs(r) {
		for _, query := range queries {
			creq := r.Method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + signedHeaders + "\n" + hash
			want := s.sign(stringToSign(s.amzDate, s.scope, creq))
			if equalSignatures(want, signature) {
				return want
			}
		}
	}
	return ""
}

// parsePayloadMode interprets an x-amz-content-sha256 value.
func parsePayloadMode(v string) (payloadMode, *apiError) {
	switch v {
	case unsignedPayload:
		return payloadUnsigned, nil
	case streamingPayload:
		return payloadStreamingSigned, nil
	case streamingPayloadTrailer:
		return payloadStreamingSignedTrailer, nil
	case streamingUnsignedTrailer:
		return payloadStreamingUnsignedTrailer, nil
	}
	if strings.HasPrefix(v, "STREAMING-AWS4-ECDSA-P256-SHA256") {
		return 0, newError("NotImplemented", "Signature Version 4A streaming payloads are not supported.")
	}
	if len(v) == sha256.Size*2 {
		if _, err := hex.DecodeString(v); err == nil {
			return payloadHashed, nil
		}
	}
	return 0, errorf("InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value, not %q.", v)
}

// requestTime returns the time of a header-signed request from X-Amz-Date
// or, failing that, Date, with the timestamp as it enters the string to
// sign.
func requestTime(r *http.Request) (time.Time, string, *apiError) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err != nil {
			return time.Time{}, "", errorf("AccessDenied", "X-Amz-Date %q is not in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'.", v)
		}
		return t, v, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return time.Time{}, "", errorf("AccessDenied", "Date %q is not an HTTP date.", v)
		}
		return t, t.UTC().Format(amzDateFormat), nil
	}
	return time.Time{}, "", newError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header.")
}

// hasBody reports whether r may carry a body.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody) || len(r.TransferEncoding) > 0
}

// signingKey derives the SigV4 signing key of a secret and scope.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminator)
}

// stringToSign is the SigV4 string to sign of a canonical request.
func stringToSign(amzDate, scope, canonicalRequest string) string {
	h := sha256.Sum256([]byte(canonicalRequest))
	return algorithmHMAC + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// equalSignatures compares hex signatures in constant time, ignoring case.
func equalSignatures(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(got))) == 1
}

// canonicalURIs returns the canonical URIs a client may have signed for r:
// S3's rule (the decoded path, each byte but unreserved ones and '/'
// percent-encoded once), then the path exactly as sent, if different.
func canonicalURIs(r *http.Request) []string {
	p := r.URL.Path
	if p == "" {
		p = "/"
	}
	uris := []string{uriEncode(p, true)}
	if raw := r.URL.EscapedPath(); raw != "" && raw != uris[0] {
		uris = append(uris, raw)
	}
	return uris
}

// uriEncode percent-encodes every byte of s but A–Z, a–z, 0–9, '-', '.',
// '_', '~' and (when keepSlash) '/', with upper-case hex, as SigV4 requires.
func uriEncode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// canonicalQuery returns the SigV4 canonical query string of a raw query:
// each name and value decoded and re-encoded with uriEncode, sorted by name
// then value, and joined with '&'. The parameter named skip is left out.
func canonicalQuery(raw, skip string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if skip != "" && k == skip {
			continue
		}
		pairs = append(pairs, pair{uriEncode(k, false), uriEncode(v, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalHeaders returns the canonical headers block of r for the signed
// header names: "name:value\n" for each, values trimmed, inner runs of
// spaces collapsed, and repeated headers joined with ','. Go's server moves
// some headers out of r.Header; those are rebuilt.
func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		name = strings.ToLower(name)
		var values []string
		switch name {
		case "host":
			h := r.Host
			if h == "" {
				h = r.URL.Host
			}
			values = []string{h}
		case "content-length":
			values = r.Header.Values("Content-Length")
			if len(values) == 0 && r.ContentLength >= 0 {
				values = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		case "transfer-encoding":
			values = r.Header.Values("Transfer-Encoding")
			if len(values) == 0 {
				values = r.TransferEncoding
			}
		default:
			values = r.Header.Values(name)
			if len(values) == 0 && name == "expect" {
				values = []string{"100-continue"}
			}
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.Join(strings.Fields(v), " "))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
