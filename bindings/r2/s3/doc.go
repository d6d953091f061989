// Package s3 serves the buckets of an [r2.Backend] over the Amazon S3 REST
// API, so that S3 clients (aws-sdk-go-v2, minio-go, the aws CLI, rclone,
// curl --aws-sigv4) read and write the same objects a Worker uses.
//
//	creds, _ := s3.NewCredentials()
//	h := s3.NewHandler(store, s3.Options{Credentials: []s3.Credentials{creds}})
//	http.ListenAndServe("127.0.0.1:8788", h)
//
// Requests are path-style: http://HOST/BUCKET/KEY. Virtual-hosted style
// (BUCKET.HOST) is not recognized.
//
// # Authentication
//
// Every request must carry an AWS Signature Version 4 (AWS4-HMAC-SHA256)
// by one of Options.Credentials, in the Authorization header or a
// presigned query (X-Amz-Algorithm, at most 7 days of X-Amz-Expires). The
// credential scope's service is "s3" and its region Options.Region,
// "auto" or "us-east-1". Request times may be 15 minutes off the server's
// clock. Signatures are compared in constant time. The body is verified as
// it streams, as x-amz-content-sha256 says:
//
//   - a hex SHA-256: checked at the end of the body
//     (XAmzContentSHA256Mismatch);
//   - UNSIGNED-PAYLOAD: not checked;
//   - STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: aws-chunked with every
//     chunk's (and the trailer's) signature checked;
//   - STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked with a trailing
//     checksum, the default of aws-sdk-go-v2 over TLS.
//
// x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1 and -sha256, as headers
// or trailers, and Content-MD5 are checked too (BadDigest); those of a
// PutObject are stored with the object and returned by GetObject and
// HeadObject with x-amz-checksum-mode: ENABLED. A body that
// fails any check is never stored: the store commits an object only after
// reading the whole body, and a failed check replaces the end of the body
// with an error. Signature Version 2 (an "AWS" Authorization header or a
// presigned URL with AWSAccessKeyId and Signature) and 4A, and anonymous
// requests, are refused.
//
// # Operations
//
// ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation,
// GetBucketVersioning (never enabled); PutObject, GetObject, HeadObject
// (Range, conditional headers, response-* overrides), DeleteObject,
// DeleteObjects, CopyObject (streamed from a get into a put),
// ListObjectsV2, ListObjects; CreateMultipartUpload, UploadPart,
// UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
// ListMultipartUploads. Anything else is answered 501 NotImplemented with
// the operation's name. Store errors map to S3 error codes (NoSuchKey,
// EntityTooSmall, ...) in an XML <Error> with the x-amz-request-id.
//
// # Notes
//
// The handler is safe for concurrent use. Object bodies stream in both
// directions: nothing is buffered beyond a chunk header, a trailer or a
// small XML document (DeleteObjects, CompleteMultipartUpload). Every
// credential has full access to every bucket. Mount the handler at the
// root of its own listener: http.ServeMux cleans paths and would redirect
// keys such as "a//b". The user guide is docs/s3.md.
package s3
