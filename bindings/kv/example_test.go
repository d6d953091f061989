package kv_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bindery-run/bindery/bindings/kv"
)

func ExampleNamespace() {
	ctx := context.Background()
	// A fixed clock keeps the output stable; pass nil for the real time.
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	ns := kv.NewNamespace(kv.NewMemory(now), kv.DefaultLimits(), now)

	_ = ns.Put(ctx, "user:1", []byte("ada"), kv.PutOptions{Metadata: []byte(`{"role":"admin"}`)})
	_ = ns.Put(ctx, "user:2", []byte("grace"), kv.PutOptions{ExpirationTTL: 3600})
	_ = ns.Put(ctx, "post:1", []byte("hello"), kv.PutOptions{})

	v, found, _ := ns.GetWithMetadata(ctx, "user:1")
	fmt.Println(found, string(v.Value), string(v.Metadata))

	res, _ := ns.List(ctx, kv.ListOptions{Prefix: "user:"})
	for _, k := range res.Keys {
		fmt.Println(k.Name, k.Expiration)
	}

	many, _ := ns.GetMany(ctx, []string{"post:1", "post:2"})
	fmt.Println(string(many[0].Value), many[1] == nil)

	err := ns.Put(ctx, "user:3", []byte("x"), kv.PutOptions{ExpirationTTL: 10})
	fmt.Println(errors.Is(err, kv.ErrInvalidArgument), err)
	// Output:
	// true ada {"role":"admin"}
	// user:1 0
	// user:2 1700003600
	// hello true
	// true kv: invalid argument: expirationTtl is 10 s, the minimum is 60 s
}

func ExampleLimits() {
	// Keep Cloudflare's limits except: values up to 100 MiB, no minimum TTL.
	l := kv.Limits{MaxValueBytes: 100 << 20, MinExpirationTTL: kv.NoLimit}
	ns := kv.NewNamespace(kv.NewMemory(nil), l, nil)

	err := ns.Put(context.Background(), "session", []byte("x"), kv.PutOptions{ExpirationTTL: 5})
	fmt.Println(err)
	fmt.Println(ns.Limits().MaxKeyBytes, ns.Limits().MaxValueBytes)
	// Output:
	// <nil>
	// 512 104857600
}
