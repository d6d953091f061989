package wasi02_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi"
	. "github.com/bindery-run/bindery/host/internal/wasmgen" //nolint:revive // a tiny assembler DSL
	"github.com/bindery-run/bindery/host/wasi02"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestDenied calls the filesystem and sockets functions directly: the
// constructors a guest can reach fail with access-denied or answer
// nothing, the methods of resources that cannot exist trap on their bad
// handle, and the network handle works and drops.
func TestDenied(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	mods := map[string]api.Module{}
	for _, iface := range wasi02.Interfaces(nil) {
		if !strings.HasSuffix(iface.Name, "@0.2.0") {
			continue
		}
		if !strings.HasPrefix(iface.Name, "wasi:sockets/") && !strings.HasPrefix(iface.Name, "wasi:filesystem/") {
			continue
		}
		hb := r.NewHostModuleBuilder(iface.Name)
		iface.Define(hb, 0)
		m, err := hb.Instantiate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mods[strings.TrimSuffix(iface.Name, "@0.2.0")] = m
	}
	guest, err := r.Instantiate(ctx, Module(
		Section(SecMemory, Vec([]byte{0, 1})),
		Section(SecExport, Vec(Export("memory", 2, 0))),
	))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := abi.NewInstance(guest, nil)
	if err != nil {
		t.Fatal(err)
	}
	ictx := abi.WithInstance(ctx, inst)
	mem := guest.Memory()
	const ret = 256
	// Host functions cannot be called from Go directly: each call goes
	// through a guest module that imports the function and re-exports it.
	call := func(iface, fn string, args ...uint64) ([]uint64, error) {
		def, ok := mods[iface].ExportedFunctionDefinitions()[fn]
		if !ok {
			t.Fatalf("%s does not export %s", iface, fn)
		}
		proxy, err := r.InstantiateWithConfig(ctx, Module(
			Section(SecType, Vec(FuncType(valueTypes(def.ParamTypes()), valueTypes(def.ResultTypes())))),
			Section(SecImport, Vec(ImportFunc(iface+"@0.2.0", fn, 0))),
			Section(SecExport, Vec(Export("f", 0, 0))),
		), wazero.NewModuleConfig().WithName(""))
		if err != nil {
			t.Fatal(err)
		}
		defer proxy.Close(ctx)
		mem.Write(ret, make([]byte, 32))
		return proxy.ExportedFunction("f").Call(ictx, args...)
	}
	u8 := func(a uint32) byte { b, _ := mem.ReadByte(a); return b }
	errHandle := uint64(inst.Handles.Add(inst, wasi02.ErrorType, "an io error"))
	mem.WriteString(512, "example.com")
	var network uint64

	for _, c := range []struct {
		iface, fn string
		args      []uint64
		trap      string                   // a substring of the trap; "" for none
		check     func(res []uint64) error // after a call that did not trap
	}{
		{iface: "wasi:filesystem/preopens", fn: "get-directories", args: []uint64{ret}, check: func([]uint64) error {
			if n, _ := mem.ReadUint32Le(ret + 4); n != 0 {
				return fmt.Errorf("%d preopened directories", n)
			}
			return nil
		}},
		{iface: "wasi:sockets/tcp-create-socket", fn: "create-tcp-socket", args: []uint64{0, ret}, check: accessDenied(u8)},
		{iface: "wasi:sockets/udp-create-socket", fn: "create-udp-socket", args: []uint64{1, ret}, check: accessDenied(u8)},
		{iface: "wasi:sockets/tcp-create-socket", fn: "create-tcp-socket", args: []uint64{7, ret}, trap: "address family 7"},
		{iface: "wasi:sockets/instance-network", fn: "instance-network", check: func(res []uint64) error {
			network = res[0]
			if network == 0 {
				return errors.New("network handle 0")
			}
			return nil
		}},
		{iface: "wasi:sockets/ip-name-lookup", fn: "resolve-addresses", args: []uint64{0, 512, 11, ret}, trap: "handle 0 is not a live wasi:sockets/network#network"},
		{iface: "wasi:filesystem/types", fn: "filesystem-error-code", args: []uint64{errHandle, ret}, check: func([]uint64) error {
			if u8(ret) != 0 {
				return errors.New("filesystem-error-code is not none")
			}
			return nil
		}},
		{iface: "wasi:sockets/network", fn: "network-error-code", args: []uint64{errHandle, ret}, check: func([]uint64) error {
			if u8(ret) != 0 {
				return errors.New("network-error-code is not none")
			}
			return nil
		}},
		{iface: "wasi:filesystem/types", fn: "[method]descriptor.stat", args: []uint64{3, ret}, trap: "handle 3 is not a live wasi:filesystem/types#descriptor"},
		{iface: "wasi:filesystem/types", fn: "[method]descriptor.open-at", args: []uint64{3, 0, 512, 11, 0, 0, ret}, trap: "not a live wasi:filesystem/types#descriptor"},
		{iface: "wasi:filesystem/types", fn: "[resource-drop]descriptor", args: []uint64{3}, trap: "not a live"},
		{iface: "wasi:filesystem/types", fn: "[method]directory-entry-stream.read-directory-entry", args: []uint64{1, ret}, trap: "not a live wasi:filesystem/types#directory-entry-stream"},
		{iface: "wasi:sockets/tcp", fn: "[method]tcp-socket.subscribe", args: []uint64{1}, trap: "not a live wasi:sockets/tcp#tcp-socket"},
		{iface: "wasi:sockets/udp", fn: "[method]udp-socket.stream", args: make([]uint64, 15), trap: "not a live wasi:sockets/udp#udp-socket"},
		{iface: "wasi:sockets/udp", fn: "[method]outgoing-datagram-stream.send", args: []uint64{1, 0, 0, ret}, trap: "not a live wasi:sockets/udp#outgoing-datagram-stream"},
		{iface: "wasi:sockets/ip-name-lookup", fn: "[method]resolve-address-stream.resolve-next-address", args: []uint64{1, ret}, trap: "not a live"},
	} {
		t.Run(c.fn, func(t *testing.T) {
			res, err := call(c.iface, c.fn, c.args...)
			switch {
			case c.trap != "" && (err == nil || !errors.Is(err, abi.ErrTrap) || !strings.Contains(err.Error(), c.trap)):
				t.Errorf("error %v, want a trap containing %q", err, c.trap)
			case c.trap == "" && err != nil:
				t.Errorf("error %v", err)
			case c.check != nil:
				if err := c.check(res); err != nil {
					t.Error(err)
				}
			}
		})
	}
	// The network handle resolves nothing, and drops.
	if _, err := call("wasi:sockets/ip-name-lookup", "resolve-addresses", network, 512, 11, ret); err != nil {
		t.Fatal(err)
	}
	if err := accessDenied(u8)(nil); err != nil {
		t.Errorf("resolve-addresses: %v", err)
	}
	if _, err := call("wasi:sockets/network", "[resource-drop]network", network); err != nil {
		t.Fatal(err)
	}
	if inst.Handles.Len() != 1 { // the io error
		t.Errorf("%d live handles after the drop, want 1", inst.Handles.Len())
	}
}

func valueTypes(ts []api.ValueType) []byte {
	b := make([]byte, len(ts))
	for i, t := range ts {
		b[i] = byte(t)
	}
	return b
}

// accessDenied checks a result<handle, error-code> at 256 is
// err(access-denied).
func accessDenied(u8 func(uint32) byte) func([]uint64) error {
	return func([]uint64) error {
		if u8(256) != 1 || u8(260) != 1 {
			return fmt.Errorf("result tag %d, error-code %d; want 1 (err), 1 (access-denied)", u8(256), u8(260))
		}
		return nil
	}
}

// libcImports are the filesystem and sockets imports of the wasi-libc in
// componentize-py 0.25.1 (libc.so), with the core signatures wit-bindgen
// gave them: the host must serve each with exactly that signature.
const libcImports = `
wasi:filesystem/preopens@0.2.0 get-directories i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.advise i32,i64,i64,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.append-via-stream i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.create-directory-at i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.get-flags i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.link-at i32,i32,i32,i32,i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.metadata-hash i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.metadata-hash-at i32,i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.open-at i32,i32,i32,i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.read i32,i64,i64,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.read-directory i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.read-via-stream i32,i64,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.readlink-at i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.remove-directory-at i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.rename-at i32,i32,i32,i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.set-size i32,i64,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.set-times i32,i32,i64,i32,i32,i64,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.set-times-at i32,i32,i32,i32,i32,i64,i32,i32,i64,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.stat i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.stat-at i32,i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.symlink-at i32,i32,i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.sync i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.sync-data i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.unlink-file-at i32,i32,i32,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.write i32,i32,i32,i64,i32 ->
wasi:filesystem/types@0.2.0 [method]descriptor.write-via-stream i32,i64,i32 ->
wasi:filesystem/types@0.2.0 [method]directory-entry-stream.read-directory-entry i32,i32 ->
wasi:filesystem/types@0.2.0 [resource-drop]descriptor i32 ->
wasi:filesystem/types@0.2.0 [resource-drop]directory-entry-stream i32 ->
wasi:sockets/instance-network@0.2.0 instance-network  -> i32
wasi:sockets/ip-name-lookup@0.2.0 [method]resolve-address-stream.resolve-next-address i32,i32 ->
wasi:sockets/ip-name-lookup@0.2.0 [method]resolve-address-stream.subscribe i32 -> i32
wasi:sockets/ip-name-lookup@0.2.0 [resource-drop]resolve-address-stream i32 ->
wasi:sockets/ip-name-lookup@0.2.0 resolve-addresses i32,i32,i32,i32 ->
wasi:sockets/tcp-create-socket@0.2.0 create-tcp-socket i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.accept i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.finish-bind i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.finish-connect i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.finish-listen i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.hop-limit i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.is-listening i32 -> i32
wasi:sockets/tcp@0.2.0 [method]tcp-socket.keep-alive-count i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.keep-alive-enabled i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.keep-alive-idle-time i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.keep-alive-interval i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.local-address i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.receive-buffer-size i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.remote-address i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.send-buffer-size i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.set-hop-limit i32,i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.set-keep-alive-count i32,i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.set-keep-alive-enabled i32,i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.set-keep-alive-idle-time i32,i64,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.set-keep-alive-interval i32,i64,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.set-listen-backlog-size i32,i64,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.set-receive-buffer-size i32,i64,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.set-send-buffer-size i32,i64,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.shutdown i32,i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.start-bind i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.start-connect i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.start-listen i32,i32 ->
wasi:sockets/tcp@0.2.0 [method]tcp-socket.subscribe i32 -> i32
wasi:sockets/tcp@0.2.0 [resource-drop]tcp-socket i32 ->
wasi:sockets/udp-create-socket@0.2.0 create-udp-socket i32,i32 ->
wasi:sockets/udp@0.2.0 [method]incoming-datagram-stream.receive i32,i64,i32 ->
wasi:sockets/udp@0.2.0 [method]incoming-datagram-stream.subscribe i32 -> i32
wasi:sockets/udp@0.2.0 [method]outgoing-datagram-stream.check-send i32,i32 ->
wasi:sockets/udp@0.2.0 [method]outgoing-datagram-stream.send i32,i32,i32,i32 ->
wasi:sockets/udp@0.2.0 [method]outgoing-datagram-stream.subscribe i32 -> i32
wasi:sockets/udp@0.2.0 [method]udp-socket.finish-bind i32,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.local-address i32,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.receive-buffer-size i32,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.remote-address i32,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.send-buffer-size i32,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.set-receive-buffer-size i32,i64,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.set-send-buffer-size i32,i64,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.set-unicast-hop-limit i32,i32,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.start-bind i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.stream i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32,i32 ->
wasi:sockets/udp@0.2.0 [method]udp-socket.subscribe i32 -> i32
wasi:sockets/udp@0.2.0 [method]udp-socket.unicast-hop-limit i32,i32 ->
wasi:sockets/udp@0.2.0 [resource-drop]incoming-datagram-stream i32 ->
wasi:sockets/udp@0.2.0 [resource-drop]outgoing-datagram-stream i32 ->
wasi:sockets/udp@0.2.0 [resource-drop]udp-socket i32 ->
`

func TestDeniedSignatures(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	defs := map[string]map[string]api.FunctionDefinition{}
	for _, iface := range wasi02.Interfaces(nil) {
		hb := r.NewHostModuleBuilder(iface.Name)
		iface.Define(hb, 0)
		cm, err := hb.Compile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defs[iface.Name] = cm.ExportedFunctions()
	}
	types := func(ts []api.ValueType) string {
		var s []string
		for _, v := range ts {
			s = append(s, api.ValueTypeName(v))
		}
		return strings.Join(s, ",")
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(libcImports), "\n") {
		// "<module> <name> <params> -> <results>"; names have no spaces.
		f := strings.Fields(line)
		mod, name := f[0], f[1]
		params, results, _ := strings.Cut(strings.Join(f[2:], " "), "->")
		params, results = strings.TrimSpace(params), strings.TrimSpace(results)
		def, ok := defs[mod][name]
		if !ok {
			t.Errorf("%s %s is not served", mod, name)
			continue
		}
		if got := types(def.ParamTypes()); got != params {
			t.Errorf("%s %s: params %s, want %s", mod, name, got, params)
		}
		if got := types(def.ResultTypes()); got != results {
			t.Errorf("%s %s: results %s, want %s", mod, name, got, results)
		}
		n++
	}
	if n != 84 {
		t.Errorf("checked %d imports, want 84", n)
	}
}
