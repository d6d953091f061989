// Package r2 is Bindery's R2-compatible object storage: the store (object
// bytes in files, the index in the host's Badger database) and the
// binding that serves bindery:r2/bucket to Workers.
//
// A Worker declares buckets in wrangler.toml:
//
//	[[r2_buckets]]
//	binding = "BUCKET"
//	bucket_name = "files"
//
// and calls put, get, head, delete, list and the multipart operations on
// it through its SDK. The Worker never learns where the bytes live. Object
// bodies are streams in both directions: a request body passed to put
// moves into the bucket inside the host, and a body from get is sent as a
// response with output-stream.splice, so neither passes through guest
// memory.
//
// The same buckets are served to S3 clients by package s3, and the CLI
// reads and writes them with `bindery r2 object`.
//
// Semantics and limits follow Cloudflare R2 (keys up to 1024 bytes,
// metadata up to 8192 bytes, 5 GiB per put and part, 10,000 parts); every
// failure wraps one of the Err values. The on-disk layout and its
// crash-safety argument are in docs/r2-storage.md.
package r2
