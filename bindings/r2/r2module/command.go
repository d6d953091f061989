package r2module

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/state"
	"github.com/bindery-run/bindery/internal/admin"
	"github.com/bindery-run/bindery/internal/cli"
)

const r2Usage = `Usage: bindery r2 object COMMAND ARGS [flags]

Reads and writes the objects of R2 buckets, like "wrangler r2 object":

  bindery r2 object put BUCKET/KEY (--file PATH | --pipe)   upload a file or standard input
  bindery r2 object get BUCKET/KEY [--file PATH | --pipe]   download an object
  bindery r2 object delete BUCKET/KEY                       delete an object
  bindery r2 object list BUCKET[/PREFIX]                    list objects

BUCKET is a bucket name (the bucket_name of an [[r2_buckets]] entry); with
--binding NAME, give KEY (for list: PREFIX) alone. Keys may contain "/":
files/a/b.txt is the key "a/b.txt" of the bucket "files". Bodies stream:
files of any size take little memory.

A bucket that does not exist is an error that lists those that do, unless
the config declares it (it is created, as "bindery dev" does) or put is
given --create. Works on the data of a running "bindery dev" (through its
admin API), or on the data directory itself when no dev server runs on it.

Run "bindery r2 object COMMAND --help" for a command's flags.
`

// r2OpHelp returns the head of the help of "bindery r2 object OP", and whether OP is one.
func r2OpHelp(op string) (string, bool) {
	switch op {
	case "put":
		return `Usage: bindery r2 object put BUCKET/KEY (--file PATH | --pipe) [flags]

Uploads a file (--file) or standard input (--pipe) as the object KEY of
BUCKET, at most 5 GiB, with the HTTP and custom metadata the flags give.
With --binding NAME, give KEY alone. A bucket that does not exist is an
error unless the config declares it or --create is given.
`, true
	case "get":
		return `Usage: bindery r2 object get BUCKET/KEY [--file PATH | --pipe] [--range bytes=FIRST-LAST]

Downloads the object KEY of BUCKET to a file named after the key's last
segment (or --file PATH), or to standard output (--pipe), and prints its
metadata to standard error. With --binding NAME, give KEY alone.
`, true
	case "delete":
		return `Usage: bindery r2 object delete BUCKET/KEY

Deletes the object KEY of BUCKET; deleting a missing key succeeds, as in
R2. With --binding NAME, give KEY alone.
`, true
	case "list":
		return `Usage: bindery r2 object list BUCKET[/PREFIX] [--prefix P] [--delimiter D] [--limit N] [--cursor C] [--json]

Lists the objects of BUCKET as a table (key, size, ETag, upload time), or
as R2's list result with --json. With --binding NAME, give PREFIX alone
(or nothing).
`, true
	}
	return "", false
}

// r2Objects is what the r2 commands need, served by a dev server's admin
// API (*Client) or by the data directory opened directly (r2Direct).
type r2Objects interface {
	R2Buckets(ctx context.Context) ([]r2.BucketInfo, error)
	R2CreateBucket(ctx context.Context, bucket string) error
	R2Head(ctx context.Context, bucket, key string) (*r2.Object, error)
	R2Get(ctx context.Context, bucket, key string, o r2.GetOptions) (*r2.ObjectBody, error)
	R2Put(ctx context.Context, bucket, key string, body io.Reader, size int64, o r2.PutOptions) (*r2.Object, error)
	R2Delete(ctx context.Context, bucket, key string) error
	R2List(ctx context.Context, bucket string, o r2.ListOptions) (*r2.ListResult, error)
}

// r2Direct serves r2Objects from an open data directory.
type r2Direct struct{ st *state.State }

func (d r2Direct) R2Buckets(ctx context.Context) ([]r2.BucketInfo, error) {
	return d.st.R2().Buckets(ctx)
}

func (d r2Direct) R2CreateBucket(ctx context.Context, bucket string) error {
	return d.st.R2().CreateBucket(ctx, bucket)
}

func (d r2Direct) R2Head(ctx context.Context, bucket, key string) (*r2.Object, error) {
	b, err := d.st.R2().Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return b.Head(ctx, key)
}

func (d r2Direct) R2Get(ctx context.Context, bucket, key string, o r2.GetOptions) (*r2.ObjectBody, error) {
	b, err := d.st.R2().Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return b.Get(ctx, key, o)
}

func (d r2Direct) R2Put(ctx context.Context, bucket, key string, body io.Reader, _ int64, o r2.PutOptions) (*r2.Object, error) {
	b, err := d.st.R2().Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return b.Put(ctx, key, body, o)
}

func (d r2Direct) R2Delete(ctx context.Context, bucket, key string) error {
	b, err := d.st.R2().Bucket(ctx, bucket)
	if err != nil {
		return err
	}
	return b.Delete(ctx, key)
}

func (d r2Direct) R2List(ctx context.Context, bucket string, o r2.ListOptions) (*r2.ListResult, error) {
	b, err := d.st.R2().Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return b.List(ctx, o)
}

// r2ObjectFlags are the flags of `bindery r2 object`.
type r2ObjectFlags struct {
	cli.ConfigFlags
	binding string
	// put and get
	file string
	pipe bool
	// put
	contentType, contentDisposition, contentEncoding, contentLanguage, cacheControl, expires, storageClass string
	metadata                                                                                               cli.Repeated
	create                                                                                                 bool
	// get
	rng string
	// list
	prefix, delimiter, cursor string
	limit                     int
	json, includeMetadata     bool
}

// command is the module's bindery subcommand, bindery r2.
func command() *bindings.Command {
	return &bindings.Command{Name: "r2", Usage: "r2 object put|get|delete|list: read and write R2 buckets", Run: runR2}
}

func runR2(ctx context.Context, args []string, env bindings.CommandEnv) error {
	stdout, stderr := env.Out, env.Err
	op, rest, err := cli.Subcommand(args, "r2", "object", r2Usage, r2OpHelp, stdout, stderr)
	if op == "" {
		return err
	}
	return runR2Object(ctx, op, rest, env)
}

// runR2Object implements "bindery r2 object OP".
func runR2Object(ctx context.Context, op string, args []string, env bindings.CommandEnv) error {
	stdin, stdout, stderr := env.In, env.Out, env.Err
	head, ok := r2OpHelp(op)
	if !ok {
		fmt.Fprintf(stderr, "bindery r2 object: unknown command %q\n\n%s", op, r2Usage)
		return cli.ErrUsage
	}
	var f r2ObjectFlags
	fs := flag.NewFlagSet("bindery r2 object "+op, flag.ContinueOnError)
	fs.StringVar(&f.binding, "binding", "", "the bucket of the config's [[r2_buckets]] entry with binding `NAME` (then leave BUCKET/ out of the argument)")
	f.ConfigFlags.Register(fs)
	switch op {
	case "put":
		fs.StringVar(&f.file, "file", "", "upload the file `PATH`")
		cli.Alias(fs, "f", "file")
		fs.BoolVar(&f.pipe, "pipe", false, "upload standard input")
		cli.Alias(fs, "p", "pipe")
		fs.StringVar(&f.contentType, "content-type", "", "the object's Content-Type: `TYPE`")
		cli.Alias(fs, "ct", "content-type")
		fs.StringVar(&f.contentDisposition, "content-disposition", "", "the object's Content-Disposition: `VALUE`")
		fs.StringVar(&f.contentEncoding, "content-encoding", "", "the object's Content-Encoding: `VALUE`")
		fs.StringVar(&f.contentLanguage, "content-language", "", "the object's Content-Language: `VALUE`")
		fs.StringVar(&f.cacheControl, "cache-control", "", "the object's Cache-Control: `VALUE`")
		fs.StringVar(&f.expires, "expires", "", "the object's Expires: `TIME`, as RFC 3339 or an HTTP date")
		fs.StringVar(&f.storageClass, "storage-class", "", "the object's storage `CLASS`: Standard (default) or InfrequentAccess")
		cli.Alias(fs, "s", "storage-class")
		fs.Var(&f.metadata, "metadata", "custom metadata `NAME=VALUE` (repeatable)")
		fs.BoolVar(&f.create, "create", false, "create the bucket if the data directory does not have it")
	case "get":
		fs.StringVar(&f.file, "file", "", "write the object to `PATH` (default: the key's last segment, in the current directory)")
		cli.Alias(fs, "f", "file")
		fs.BoolVar(&f.pipe, "pipe", false, "write the object to standard output, and nothing else")
		cli.Alias(fs, "p", "pipe")
		fs.StringVar(&f.rng, "range", "", "get only the bytes `RANGE` names: bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX")
	case "list":
		fs.StringVar(&f.prefix, "prefix", "", "only keys that start with `P`")
		fs.StringVar(&f.delimiter, "delimiter", "", "roll up keys that contain `D` after the prefix (e.g. \"/\")")
		fs.IntVar(&f.limit, "limit", 0, "list at most `N` objects and prefixes (default: all)")
		fs.StringVar(&f.cursor, "cursor", "", "continue a list cut short by --limit at cursor `C` (printed when more follow)")
		fs.BoolVar(&f.json, "json", false, "print R2's list result as JSON instead of a table")
		fs.BoolVar(&f.includeMetadata, "include-metadata", false, "with --json, include HTTP and custom metadata")
	}
	pos, err := cli.Parse(fs, head, args, stdout, stderr)
	if err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "bindery r2 object %s: %s\n", op, fmt.Sprintf(format, a...))
		return cli.ErrUsage
	}

	// The bucket and key.
	var bucket, key string
	switch {
	case f.binding != "" && op == "list":
		if len(pos) > 1 {
			return usageErr("wrong number of arguments %q: want at most PREFIX with --binding", pos)
		}
		if len(pos) == 1 {
			key = pos[0]
		}
	case f.binding != "":
		if len(pos) != 1 {
			return usageErr("wrong number of arguments %q: want KEY with --binding", pos)
		}
		key = pos[0]
	default:
		if len(pos) != 1 {
			what := "BUCKET/KEY"
			if op == "list" {
				what = "BUCKET"
			}
			return usageErr("wrong number of arguments %q: want %s", pos, what)
		}
		var slash bool
		bucket, key, slash = strings.Cut(pos[0], "/")
		if bucket == "" {
			return usageErr("%q has no bucket name: want BUCKET/KEY", pos[0])
		}
		if op != "list" && (!slash || key == "") {
			return usageErr("%q has no key: want BUCKET/KEY", pos[0])
		}
	}
	if op == "list" && key != "" {
		if f.prefix != "" {
			return usageErr("give the prefix as BUCKET/PREFIX or --prefix, not both")
		}
		f.prefix, key = key, ""
	}

	// The data directory, and the bucket of --binding.
	dir := f.PersistTo
	var cfg *bindings.ConfigFile
	if f.binding != "" || dir == "" {
		if cfg, err = env.LoadConfig(f.Config, f.Env, f.binding == ""); err != nil {
			return err
		}
		if f.binding != "" {
			bs := Buckets(cfg.Bindings["r2"])
			i := slices.IndexFunc(bs, func(b Bucket) bool { return b.Binding == f.binding })
			if i < 0 {
				return fmt.Errorf("%s has no r2_buckets entry with binding %q%s", cfg.Path, f.binding, r2BindingNames(cfg))
			}
			bucket = bs[i].LocalName()
		}
		if dir == "" {
			dir = filepath.Join(cfg.Dir(), ".bindery", "state")
		}
	}

	// Check the arguments before reaching the data.
	var do func(store r2Objects) error
	switch op {
	case "put":
		do, err = r2Put(ctx, &f, bucket, key, stdin, stderr, usageErr)
	case "get":
		do, err = r2Get(ctx, &f, bucket, key, stdout, stderr, usageErr)
	case "delete":
		do = func(store r2Objects) error { return r2Delete(ctx, store, bucket, key, stderr) }
	case "list":
		if f.limit < 0 {
			return usageErr("--limit %d: want a positive number", f.limit)
		}
		if f.includeMetadata && !f.json {
			return usageErr("--include-metadata needs --json")
		}
		do = func(store r2Objects) error { return r2List(ctx, store, &f, bucket, stdout, stderr) }
	}
	if err != nil {
		return err
	}

	declared := cfg != nil && slices.ContainsFunc(Buckets(cfg.Bindings["r2"]), func(b Bucket) bool { return b.LocalName() == bucket })
	create := declared || f.create
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) && !create {
		// Nothing there, so no bucket: say so without making the directory.
		return noSuchBucket(bucket, dir, nil, op == "put")
	}
	store, where, closeFn, err := openR2Objects(ctx, dir)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := checkR2Bucket(ctx, store, bucket, create, op == "put", where); err != nil {
		return err
	}
	return do(store)
}

// r2BindingNames lists the config's R2 bindings for an error message.
func r2BindingNames(cfg *bindings.ConfigFile) string {
	var names []string
	for _, b := range Buckets(cfg.Bindings["r2"]) {
		names = append(names, b.Binding)
	}
	if len(names) == 0 {
		return " (it has none)"
	}
	return " (it has " + strings.Join(names, ", ") + ")"
}

// checkR2Bucket fails unless bucket exists, naming the buckets that do;
// with create (the config declares the bucket, or put --create) it creates
// the bucket instead. canCreate says whether the command takes --create,
// for the message.
func checkR2Bucket(ctx context.Context, store r2Objects, bucket string, create, canCreate bool, where string) error {
	bs, err := store.R2Buckets(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, b := range bs {
		if b.Name == bucket {
			return nil
		}
		names = append(names, b.Name)
	}
	if create {
		if err := store.R2CreateBucket(ctx, bucket); err != nil {
			return fmt.Errorf("create bucket %q in %s: %w", bucket, where, err)
		}
		return nil
	}
	return noSuchBucket(bucket, where, names, canCreate)
}

// noSuchBucket is the error for a bucket that is not in the data
// directory (which has the buckets names): it names the bucket and those
// there are. canCreate says whether the command takes --create.
func noSuchBucket(bucket, where string, names []string, canCreate bool) error {
	have := "it has no buckets; bindery dev creates those its config declares in [[r2_buckets]]"
	if len(names) > 0 {
		have = "it has " + strings.Join(names, ", ")
	}
	hint := ""
	if canCreate {
		hint = ": check the bucket name, or add --create to create it"
	}
	return fmt.Errorf("%w %q in %s (%s)%s", r2.ErrNoSuchBucket, bucket, where, have, hint)
}

// openR2Objects reaches the data in dir: through a running dev server's
// admin API, or by opening the directory when no server runs. where
// describes which, for messages.
func openR2Objects(ctx context.Context, dir string) (store r2Objects, where string, closeFn func(), err error) {
	info, running, err := admin.Running(ctx, dir)
	if err != nil {
		return nil, "", nil, err
	}
	if running {
		return NewClient(info.Admin, info.Token, nil), fmt.Sprintf("the dev server on %s (admin API %s)", dir, info.Admin), func() {}, nil
	}
	st, err := state.Open(dir, state.Options{GCInterval: -1})
	if err != nil {
		return nil, "", nil, err
	}
	return r2Direct{st}, dir, func() { st.Close() }, nil
}

// r2Put checks put's flags and returns the put.
func r2Put(ctx context.Context, f *r2ObjectFlags, bucket, key string, stdin io.Reader, stderr io.Writer, usageErr func(string, ...any) error) (func(r2Objects) error, error) {
	o := r2.PutOptions{
		HTTPMetadata: r2.HTTPMetadata{
			ContentType: f.contentType, ContentDisposition: f.contentDisposition, ContentEncoding: f.contentEncoding,
			ContentLanguage: f.contentLanguage, CacheControl: f.cacheControl,
		},
		StorageClass: f.storageClass,
	}
	if f.expires != "" {
		t, err := ParseExpires(f.expires)
		if err != nil {
			return nil, usageErr("--expires: %v", err)
		}
		o.HTTPMetadata.CacheExpiry = t
	}
	for _, m := range f.metadata {
		name, value, ok := strings.Cut(m, "=")
		if !ok || name == "" {
			return nil, usageErr("--metadata %q: want NAME=VALUE", m)
		}
		if _, dup := o.CustomMetadata[name]; dup {
			return nil, usageErr("--metadata %q: %q given twice", m, name)
		}
		if o.CustomMetadata == nil {
			o.CustomMetadata = map[string]string{}
		}
		o.CustomMetadata[name] = value
	}
	switch {
	case f.pipe && f.file != "":
		return nil, usageErr("give --file or --pipe, not both")
	case f.pipe:
	case f.file != "":
		fi, err := os.Stat(f.file)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("--file %s is not a regular file", f.file)
		}
		if max := r2.DefaultLimits().MaxPutBytes; fi.Size() > max {
			return nil, fmt.Errorf("--file %s is %d bytes; R2 takes at most %d (5 GiB) in one put: %w", f.file, fi.Size(), max, r2.ErrEntityTooLarge)
		}
	default:
		return nil, usageErr("give --file PATH or --pipe (to read standard input)")
	}
	return func(store r2Objects) error {
		body, size := stdin, int64(-1)
		if f.file != "" {
			file, err := os.Open(f.file)
			if err != nil {
				return err
			}
			defer file.Close()
			fi, err := file.Stat()
			if err != nil {
				return err
			}
			body, size = file, fi.Size()
		}
		obj, err := store.R2Put(ctx, bucket, key, body, size, o)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Created object %q in bucket %q (%d bytes, etag %s)\n", key, bucket, obj.Size, obj.ETag)
		return nil
	}, nil
}

// r2Get checks get's flags and returns the get.
func r2Get(ctx context.Context, f *r2ObjectFlags, bucket, key string, stdout, stderr io.Writer, usageErr func(string, ...any) error) (func(r2Objects) error, error) {
	var o r2.GetOptions
	if f.rng != "" {
		var err error
		if o.Range, err = ParseRange(f.rng); err != nil {
			return nil, usageErr("--range: %v", err)
		}
	}
	path := f.file
	switch {
	case f.pipe && path != "":
		return nil, usageErr("give --file or --pipe, not both")
	case f.pipe:
	case path == "":
		path = key[strings.LastIndex(key, "/")+1:]
		if path == "" || path == "." || path == ".." {
			return nil, usageErr("key %q has no last segment to name a file after: give --file PATH or --pipe", key)
		}
		fallthrough
	default:
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory: give --file PATH", path)
		}
	}
	return func(store r2Objects) error {
		ob, err := store.R2Get(ctx, bucket, key, o)
		if errors.Is(err, r2.ErrNoSuchKey) {
			return fmt.Errorf("%w %q in bucket %q", r2.ErrNoSuchKey, key, bucket)
		}
		if err != nil {
			return err
		}
		defer ob.Body.Close()
		want := ob.Size
		if ob.Range != nil {
			want = ob.Range.Length
		}
		var n int64
		if f.pipe {
			n, err = io.Copy(stdout, ob.Body)
		} else {
			n, err = writeFileFrom(path, ob.Body)
		}
		if err == nil && n != want {
			err = fmt.Errorf("got %d of %d bytes", n, want)
		}
		if err != nil {
			return fmt.Errorf("get %q from bucket %q: %w", key, bucket, err)
		}
		if !f.pipe {
			fmt.Fprintf(stderr, "Downloaded object %q from bucket %q to %s\n", key, bucket, path)
			describeObject(stderr, ob.Object)
		}
		return nil
	}, nil
}

// writeFileFrom writes r to path through a temp file renamed into place,
// so a failed download leaves no partial file.
func writeFileFrom(path string, r io.Reader) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".bindery-*")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return n, err
	}
	return n, nil
}

// describeObject prints an object's metadata for people.
func describeObject(w io.Writer, o *r2.Object) {
	line := func(name, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-20s %s\n", name+":", v)
		}
	}
	size := fmt.Sprintf("%d bytes", o.Size)
	if o.Range != nil {
		size = fmt.Sprintf("%d bytes (got bytes %d-%d)", o.Size, o.Range.Offset, o.Range.Offset+o.Range.Length-1)
	}
	line("size", size)
	line("etag", o.ETag)
	line("uploaded", o.Uploaded.UTC().Format(time.RFC3339))
	h := o.HTTPMetadata
	line("content-type", h.ContentType)
	line("content-disposition", h.ContentDisposition)
	line("content-encoding", h.ContentEncoding)
	line("content-language", h.ContentLanguage)
	line("cache-control", h.CacheControl)
	if !h.CacheExpiry.IsZero() {
		line("expires", h.CacheExpiry.UTC().Format(time.RFC3339))
	}
	if o.StorageClass != "" && o.StorageClass != "Standard" {
		line("storage-class", o.StorageClass)
	}
	names := make([]string, 0, len(o.CustomMetadata))
	for k := range o.CustomMetadata {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		line("metadata "+k, strconv.Quote(o.CustomMetadata[k]))
	}
}

// r2Delete deletes an object; a missing one is noted, not an error (as in R2).
func r2Delete(ctx context.Context, store r2Objects, bucket, key string, stderr io.Writer) error {
	if _, err := store.R2Head(ctx, bucket, key); errors.Is(err, r2.ErrNoSuchKey) {
		fmt.Fprintf(stderr, "No object %q in bucket %q: nothing to delete\n", key, bucket)
		return nil
	} else if err != nil {
		return err
	}
	if err := store.R2Delete(ctx, bucket, key); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Deleted object %q from bucket %q\n", key, bucket)
	return nil
}

// r2List lists a bucket, page by page, up to --limit.
func r2List(ctx context.Context, store r2Objects, f *r2ObjectFlags, bucket string, stdout, stderr io.Writer) error {
	o := r2.ListOptions{
		Prefix: f.prefix, Delimiter: f.delimiter, Cursor: f.cursor,
		IncludeHTTPMetadata: f.includeMetadata, IncludeCustomMetadata: f.includeMetadata,
	}
	all := &r2.ListResult{Objects: []*r2.Object{}, DelimitedPrefixes: []string{}}
	for left := f.limit; ; {
		o.Limit = 1000
		if f.limit > 0 {
			o.Limit = min(left, 1000)
		}
		res, err := store.R2List(ctx, bucket, o)
		if err != nil {
			return err
		}
		all.Objects = append(all.Objects, res.Objects...)
		all.DelimitedPrefixes = append(all.DelimitedPrefixes, res.DelimitedPrefixes...)
		all.Truncated, all.Cursor = res.Truncated, res.Cursor
		left -= len(res.Objects) + len(res.DelimitedPrefixes)
		if !res.Truncated || res.Cursor == "" || (f.limit > 0 && left <= 0) {
			break
		}
		o.Cursor = res.Cursor
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(R2ListToWire(all))
	}
	if len(all.Objects)+len(all.DelimitedPrefixes) == 0 {
		fmt.Fprintf(stderr, "No objects in bucket %q%s\n", bucket, describePrefix(f.prefix))
		return nil
	}
	type row struct{ key, size, etag, uploaded string }
	rows := make([]row, 0, len(all.Objects)+len(all.DelimitedPrefixes))
	for _, p := range all.DelimitedPrefixes {
		rows = append(rows, row{p, "-", "-", "-"})
	}
	for _, ob := range all.Objects {
		rows = append(rows, row{ob.Key, strconv.FormatInt(ob.Size, 10), ob.ETag, ob.Uploaded.UTC().Format(time.RFC3339)})
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.key, b.key) })
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tSIZE\tETAG\tUPLOADED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", displayKey(r.key), r.size, r.etag, r.uploaded)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if all.Truncated {
		fmt.Fprintf(stderr, "More objects follow: add --cursor %s\n", all.Cursor)
	}
	return nil
}

func describePrefix(p string) string {
	if p == "" {
		return ""
	}
	return fmt.Sprintf(" with prefix %q", p)
}

// displayKey quotes a key that would break a table row.
func displayKey(k string) string {
	if strings.IndexFunc(k, func(r rune) bool { return !unicode.IsPrint(r) || r == '\t' }) >= 0 || k != strings.TrimSpace(k) {
		return strconv.Quote(k)
	}
	return k
}
