// Package r2module is the R2 binding as a module (see package bindings):
// the wrangler key r2_buckets, the buckets of the data directory's R2
// store, the bindery:r2/bucket interface, the sweep of expired multipart
// uploads, the R2 routes of the admin API and their client, and the
// S3-compatible API of the buckets (package s3) beside the Worker.
//
// A config declares buckets as wrangler does:
//
//	[[r2_buckets]]
//	binding = "BUCKET"     # env.BUCKET in the Worker
//	bucket_name = "files"  # the local bucket (default: the binding name)
package r2module

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/r2"
	"github.com/bindery-run/bindery/bindings/r2/s3"
)

// Key is the wrangler config key the module reads.
const Key = "r2_buckets"

// S3Flag is the bindery dev flag of the S3-compatible API's address.
const S3Flag = "s3-addr"

// SweepInterval is how often the module removes expired multipart
// uploads and leftover files.
const SweepInterval = 10 * time.Minute

// Bucket is one [[r2_buckets]] entry.
type Bucket struct {
	// Binding is the name the Worker reaches it by (env.NAME).
	Binding string
	// BucketName is the bucket's name: where its objects live locally.
	BucketName string
	// PreviewBucketName and Jurisdiction are wrangler's, read and unused.
	PreviewBucketName, Jurisdiction string
}

// LocalName is where the bucket's objects live locally: its bucket_name,
// or the binding name when the config gives none.
func (b Bucket) LocalName() string {
	if b.BucketName != "" {
		return b.BucketName
	}
	return b.Binding
}

// Buckets returns the buckets a parsed config declares (cfg is
// Config.Bindings["r2"] of the config loader, or Env.Config).
func Buckets(cfg any) []Bucket {
	bs, _ := cfg.([]Bucket)
	return bs
}

// Module returns the R2 module.
func Module() bindings.Module {
	return bindings.Module{
		Name:        "r2",
		Doc:         "R2 object storage buckets: bytes in files, index in Badger; also served over S3",
		Interfaces:  []abi.Interface{r2.WIT()},
		Config:      []string{Key},
		ParseConfig: parse,
		Describe:    describe,
		Servers: []bindings.Server{{
			Name:  "S3 API",
			Flag:  S3Flag,
			Usage: "`HOST:PORT` of the S3-compatible API of the R2 buckets (default: the Worker's port + 1; \"off\" disables it)",
			Want:  func(cfg any) bool { return len(Buckets(cfg)) > 0 },
		}},
		Open:    open,
		Command: command(),
	}
}

// parse decodes r2_buckets.
func parse(r config.Reader) any {
	ms, ps := config.Entries(r, Key)
	var out []Bucket
	for i, m := range ms {
		p := ps[i]
		config.CheckFields(r, m, p, []string{"binding", "bucket_name", "preview_bucket_name", "jurisdiction"},
			map[string]string{"remote": "bindery dev always uses local storage"})
		name, ok := config.BindingName(r, m, p)
		b := Bucket{
			Binding:           name,
			BucketName:        config.OptString(r, m, p, "bucket_name"),
			PreviewBucketName: config.OptString(r, m, p, "preview_bucket_name"),
			Jurisdiction:      config.OptString(r, m, p, "jurisdiction"),
		}
		if ok {
			out = append(out, b)
		}
	}
	if out == nil {
		return nil
	}
	return out
}

func describe(env bindings.Env) []string {
	var out []string
	for _, b := range Buckets(env.Config) {
		out = append(out, "env."+b.Binding+" (R2 "+b.LocalName()+")")
	}
	return out
}

// open creates the buckets the config declares and binds them.
func open(ctx context.Context, env bindings.Env) (*bindings.Opened, error) {
	store := env.State.R2()
	bks := map[string]*r2.Bucket{}
	for i, b := range Buckets(env.Config) {
		if err := store.CreateBucket(ctx, b.LocalName()); err != nil {
			return nil, fmt.Errorf("%s[%d] (binding %s): %w", Key, i, b.Binding, err)
		}
		bk, err := store.Bucket(ctx, b.LocalName())
		if err != nil {
			return nil, fmt.Errorf("%s[%d] (binding %s): %w", Key, i, b.Binding, err)
		}
		bks[b.Binding] = bk
	}
	return &bindings.Opened{
		Bindings: []bindings.Binding{r2.NewBinding(bks)},
		Jobs:     []bindings.Job{{Name: "r2 sweep", Every: SweepInterval, Run: store.Sweep}},
		Routes:   Routes(store),
		Servers: map[string]bindings.ServerHandler{S3Flag: func(addr net.Addr) (http.Handler, string, error) {
			creds, err := S3Credentials(env.State.Dir())
			if err != nil {
				return nil, "", err
			}
			h := s3.NewHandler(store, s3.Options{Credentials: []s3.Credentials{creds}, Logger: env.Logger})
			return h, fmt.Sprintf("S3 API on http://%s (path-style, region auto): access key %s, secret %s", addr, creds.AccessKeyID, creds.SecretAccessKey), nil
		}},
	}, nil
}

// S3Credentials reads the data directory's S3 credentials
// (s3-credentials.json), making them the first time, so S3 clients stay
// configured across restarts.
func S3Credentials(dir string) (s3.Credentials, error) {
	path := filepath.Join(dir, "s3-credentials.json")
	var c s3.Credentials
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return c, fmt.Errorf("%s is damaged (delete it to make new credentials): %v", path, err)
		}
		return c, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("S3 credentials: %w", err)
	}
	if c, err = s3.NewCredentials(); err != nil {
		return c, err
	}
	b, _ = json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return c, fmt.Errorf("S3 credentials: %w", err)
	}
	return c, nil
}
