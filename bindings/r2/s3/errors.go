package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bindery-run/bindery/bindings/r2"
)

// apiError is an S3 error response: the code and message of the XML <Error>
// document and the HTTP status that carries it. It wraps the Go error that
// caused it, if any, for the log.
type apiError struct {
	status  int
	code    string
	message string
	cause   error
}

// Error implements error.
func (e *apiError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("s3: %s: %s: %v", e.code, e.message, e.cause)
	}
	return fmt.Sprintf("s3: %s: %s", e.code, e.message)
}

// Unwrap returns the cause.
func (e *apiError) Unwrap() error { return e.cause }

// errorCode is one row of the S3 error table.
type errorCode struct {
	status  int
	message string
}

// errorCodes holds the HTTP status and default message of every S3 error
// code this package sends. It is never written to.
var errorCodes = map[string]errorCode{
	"AccessDenied":                      {http.StatusForbidden, "Access Denied."},
	"AuthorizationHeaderMalformed":      {http.StatusBadRequest, "The authorization header is malformed."},
	"AuthorizationQueryParametersError": {http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter."},
	"BadDigest":                         {http.StatusBadRequest, "The Content-MD5 or checksum you specified did not match what we received."},
	"BucketAlreadyOwnedByYou":           {http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it."},
	"BucketNotEmpty":                    {http.StatusConflict, "The bucket you tried to delete is not empty."},
	"EntityTooLarge":                    {http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size."},
	"EntityTooSmall":                    {http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."},
	"IncompleteBody":                    {http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	"InternalError":                     {http.StatusInternalServerError, "We encountered an internal error. Please try again."},
	"InvalidAccessKeyId":                {http.StatusForbidden, "The AWS Access Key Id you provided does not exist in our records."},
	"InvalidArgument":                   {http.StatusBadRequest, "Invalid Argument."},
	"InvalidBucketName":                 {http.StatusBadRequest, "The specified bucket is not valid."},
	"InvalidDigest":                     {http.StatusBadRequest, "The Content-MD5 or checksum you specified is not valid."},
	"InvalidPart":                       {http.StatusBadRequest, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."},
	"InvalidPartOrder":                  {http.StatusBadRequest, "The list of parts was not in ascending order. Parts list must be specified in order by part number."},
	"InvalidRange":                      {http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable."},
	"InvalidRequest":                    {http.StatusBadRequest, "Invalid Request."},
	"InvalidStorageClass":               {http.StatusBadRequest, "The storage class you specified is not valid."},
	"KeyTooLongError":                   {http.StatusBadRequest, "Your key is too long."},
	"MalformedXML":                      {http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema."},
	"MetadataTooLarge":                  {http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size."},
	"MethodNotAllowed":                  {http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."},
	"MissingContentLength":              {http.StatusLengthRequired, "You must provide the Content-Length HTTP header."},
	"NoSuchBucket":                      {http.StatusNotFound, "The specified bucket does not exist."},
	"NoSuchKey":                         {http.StatusNotFound, "The specified key does not exist."},
	"NoSuchUpload":                      {http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."},
	"NotImplemented":                    {http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented."},
	"PreconditionFailed":                {http.StatusPreconditionFailed, "At least one of the preconditions you specified did not hold."},
	"RequestTimeTooSkewed":              {http.StatusForbidden, "The difference between the request time and the server's time is too large."},
	"SignatureDoesNotMatch":             {http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	"XAmzContentSHA256Mismatch":         {http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."},
}

// newError returns the S3 error code with its default message, or with msg
// when it is not empty.
func newError(code, msg string) *apiError {
	c, ok := errorCodes[code]
	if !ok {
		c = errorCodes["InternalError"]
	}
	if msg == "" {
		msg = c.message
	}
	return &apiError{status: c.status, code: code, message: msg}
}

// errorf is newError with a formatted message.
func errorf(code, format string, args ...any) *apiError {
	return newError(code, fmt.Sprintf(format, args...))
}

// wrapError is newError keeping cause for the log.
func wrapError(code string, cause error) *apiError {
	e := newError(code, "")
	e.cause = cause
	return e
}

// notImplemented is the error for an operation this server does not have.
func notImplemented(op string) *apiError {
	return errorf("NotImplemented", "%s is not implemented by bindery's S3 API.", op)
}

// sentinelCodes maps the r2 package's errors to S3 error codes, in the
// order they are tried, with the message to send when it is not the
// code's default. It is never written to.
var sentinelCodes = []struct {
	err           error
	code, message string
}{
	{r2.ErrNoSuchBucket, "NoSuchBucket", ""},
	{r2.ErrInvalidBucketName, "InvalidBucketName", ""},
	{r2.ErrBucketNotEmpty, "BucketNotEmpty", ""},
	{r2.ErrNoSuchKey, "NoSuchKey", ""},
	{r2.ErrNoSuchUpload, "NoSuchUpload", ""},
	{r2.ErrInvalidKey, "KeyTooLongError", ""},
	{r2.ErrMetadataTooLarge, "MetadataTooLarge", ""},
	{r2.ErrEntityTooLarge, "EntityTooLarge", ""},
	{r2.ErrEntityTooSmall, "EntityTooSmall", ""},
	// R2's message for its error 10048.
	{r2.ErrUnequalParts, "InvalidPart", "All non-trailing parts must have the same length."},
	{r2.ErrInvalidPart, "InvalidPart", ""},
	{r2.ErrInvalidPartOrder, "InvalidPartOrder", ""},
	{r2.ErrBadDigest, "BadDigest", ""},
	{r2.ErrInvalidRange, "InvalidRange", ""},
	{r2.ErrPreconditionFailed, "PreconditionFailed", ""},
	{r2.ErrInvalidCursor, "InvalidArgument", msgBadContinuationToken},
	{r2.ErrInvalidArgument, "InvalidArgument", ""},
}

// toAPIError translates any error into the S3 error to send: an *apiError
// anywhere in err's chain wins (a body that failed verification while the
// store read it), then the r2 sentinels, then InternalError. key is the
// object key of the request, used to tell a too-long key from another
// invalid one.
func toAPIError(err error, key string) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	for _, s := range sentinelCodes {
		if !errors.Is(err, s.err) {
			continue
		}
		code := s.code
		if s.err == r2.ErrInvalidKey && len(key) <= r2.DefaultLimits().MaxKeyBytes {
			return &apiError{status: http.StatusBadRequest, code: "InvalidArgument", message: "The key is not valid: " + err.Error(), cause: err}
		}
		e := wrapError(code, err)
		switch {
		case s.message != "":
			e.message = s.message
		case code == "InvalidArgument":
			// The store's message names the argument at fault.
			e.message = err.Error()
		}
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e := wrapError("InternalError", err)
		e.message = "The request was canceled."
		return e
	}
	return wrapError("InternalError", err)
}
