package wasi02

// wasi:filesystem/types and wasi:sockets/*: capability-denied.
//
// A Worker has no filesystem and no network: that is the sandbox (its
// storage is its KV and R2 bindings, its network is the request it
// serves). wasi-libc imports these interfaces all the same (a
// componentize-py component's libc.so does), so they must resolve for the
// guest to instantiate. They are served so that nothing can be reached:
//
//   - get-directories returns no preopened directory, so a guest never
//     holds a descriptor; create-tcp-socket, create-udp-socket and
//     resolve-addresses fail with error-code access-denied, so it never
//     holds a socket or a resolver stream;
//   - every method of a descriptor, directory-entry-stream, socket,
//     datagram stream or resolver stream therefore gets a handle that is
//     not live, and traps as the Canonical ABI requires for a bad handle
//     (there is no such resource to answer for);
//   - instance-network hands out a network handle (it grants nothing:
//     every operation that takes it is denied), and its drop works;
//   - filesystem-error-code and network-error-code answer none: no
//     stream error of this host is a filesystem or network error.
//
// The core signatures are the Canonical ABI flattening of the WASI 0.2.0
// WIT (the same as wasi-libc's imports, which wit-bindgen derived from it).

import (
	"context"

	"github.com/bindery-run/bindery/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Resource types of the denied interfaces (no handle of any but NetworkType
// is ever created).
const (
	DescriptorType             = "wasi:filesystem/types#descriptor"
	DirectoryEntryStreamType   = "wasi:filesystem/types#directory-entry-stream"
	NetworkType                = "wasi:sockets/network#network"
	TCPSocketType              = "wasi:sockets/tcp#tcp-socket"
	UDPSocketType              = "wasi:sockets/udp#udp-socket"
	IncomingDatagramStreamType = "wasi:sockets/udp#incoming-datagram-stream"
	OutgoingDatagramStreamType = "wasi:sockets/udp#outgoing-datagram-stream"
	ResolveAddressStreamType   = "wasi:sockets/ip-name-lookup#resolve-address-stream"
)

// socketAccessDenied is wasi:sockets/network's error-code access-denied.
const socketAccessDenied = 1

// sig is a flat core signature written as a string: 'i' for i32, 'I' for
// i64, then "->" and the results.
func sig(s string) (params, results []api.ValueType) {
	conv := func(s string) []api.ValueType {
		var out []api.ValueType
		for _, c := range s {
			switch c {
			case 'i':
				out = append(out, i32)
			case 'I':
				out = append(out, i64)
			}
		}
		return out
	}
	p, r, _ := cutArrow(s)
	return conv(p), conv(r)
}

func cutArrow(s string) (string, string, bool) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '-' && s[i+1] == '>' {
			return s[:i], s[i+2:], true
		}
	}
	return s, "", false
}

// unreachable adds method name of resource typ, whose first parameter is
// the handle: no handle of typ is ever created, so the lookup traps.
func unreachable(hb wazero.HostModuleBuilder, typ, name, signature string) {
	params, results := sig(signature)
	fn(hb, name, params, results, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		inst.Handles.Get(inst, typ, uint32(s[0]))
		inst.Trapf("%s: no %s can exist in a sandboxed Worker", name, typ)
	})
}

// methods adds each method (name -> signature) of resource typ.
func methods(hb wazero.HostModuleBuilder, typ, resource string, ms [][2]string) {
	for _, m := range ms {
		unreachable(hb, typ, "[method]"+resource+"."+m[0], m[1])
	}
	drop(hb, resource, typ)
}

// putNone stores option::none at ret (an option<enum>: 2 bytes).
func putNone(inst *abi.Instance, ret uint32) {
	inst.CheckList(ret, 1, 2, 1)
	inst.PutU8(ret, 0)
}

// putErr stores result::err(code) at ret, a result<T, error-code> whose
// payload is at offset payload (T's alignment: 4 for a handle).
func putErr(inst *abi.Instance, ret, payload uint32, code uint8) {
	inst.CheckList(ret, 1, payload+1, payload)
	inst.PutU8(ret, 1)
	inst.PutU8(ret+payload, code)
}

func (h *Host) defineFilesystemTypes(hb wazero.HostModuleBuilder) {
	methods(hb, DescriptorType, "descriptor", [][2]string{
		{"read-via-stream", "iIi"},
		{"write-via-stream", "iIi"},
		{"append-via-stream", "ii"},
		{"advise", "iIIii"},
		{"sync-data", "ii"},
		{"get-flags", "ii"},
		{"get-type", "ii"},
		{"set-size", "iIi"},
		{"set-times", "iiIiiIii"},
		{"read", "iIIi"},
		{"write", "iiiIi"},
		{"read-directory", "ii"},
		{"sync", "ii"},
		{"create-directory-at", "iiii"},
		{"stat", "ii"},
		{"stat-at", "iiiii"},
		{"set-times-at", "iiiiiIiiIii"},
		{"link-at", "iiiiiiii"},
		{"open-at", "iiiiiii"},
		{"readlink-at", "iiii"},
		{"remove-directory-at", "iiii"},
		{"rename-at", "iiiiiii"},
		{"symlink-at", "iiiiii"},
		{"unlink-file-at", "iiii"},
		{"is-same-object", "ii->i"},
		{"metadata-hash", "ii"},
		{"metadata-hash-at", "iiiii"},
	})
	methods(hb, DirectoryEntryStreamType, "directory-entry-stream", [][2]string{
		{"read-directory-entry", "ii"},
	})
	// filesystem-error-code: func(err: borrow<error>) -> option<error-code>
	fn(hb, "filesystem-error-code", []api.ValueType{i32, i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		inst.Handles.Get(inst, ErrorType, uint32(s[0]))
		putNone(inst, uint32(s[1]))
	})
}

func (h *Host) defineNetwork(hb wazero.HostModuleBuilder) {
	drop(hb, "network", NetworkType)
	// network-error-code: func(err: borrow<error>) -> option<error-code>
	fn(hb, "network-error-code", []api.ValueType{i32, i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		inst.Handles.Get(inst, ErrorType, uint32(s[0]))
		putNone(inst, uint32(s[1]))
	})
}

// network is the representation of the one network a Worker gets: it
// grants nothing.
type network struct{}

func (h *Host) defineInstanceNetwork(hb wazero.HostModuleBuilder) {
	fn(hb, "instance-network", nil, []api.ValueType{i32}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		s[0] = uint64(inst.Handles.Add(inst, NetworkType, network{}))
	})
}

// createSocket serves create-tcp-socket and create-udp-socket:
// func(address-family) -> result<own<socket>, error-code>.
func createSocket(hb wazero.HostModuleBuilder, name string) {
	fn(hb, name, []api.ValueType{i32, i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		if s[0] > 1 { // ipv4, ipv6
			inst.Trapf("%s: address family %d is not a case of ip-address-family", name, s[0])
		}
		putErr(inst, uint32(s[1]), 4, socketAccessDenied)
	})
}

func (h *Host) defineTCPCreateSocket(hb wazero.HostModuleBuilder) {
	createSocket(hb, "create-tcp-socket")
}

func (h *Host) defineUDPCreateSocket(hb wazero.HostModuleBuilder) {
	createSocket(hb, "create-udp-socket")
}

func (h *Host) defineTCP(hb wazero.HostModuleBuilder) {
	// An ip-socket-address flattens to 12 i32 (the variant's largest case,
	// ipv6: port, flow-info, 8 segments, scope-id, plus the tag).
	methods(hb, TCPSocketType, "tcp-socket", [][2]string{
		{"start-bind", "iiiiiiiiiiiiiii"},
		{"finish-bind", "ii"},
		{"start-connect", "iiiiiiiiiiiiiii"},
		{"finish-connect", "ii"},
		{"start-listen", "ii"},
		{"finish-listen", "ii"},
		{"accept", "ii"},
		{"local-address", "ii"},
		{"remote-address", "ii"},
		{"is-listening", "i->i"},
		{"address-family", "i->i"},
		{"set-listen-backlog-size", "iIi"},
		{"keep-alive-enabled", "ii"},
		{"set-keep-alive-enabled", "iii"},
		{"keep-alive-idle-time", "ii"},
		{"set-keep-alive-idle-time", "iIi"},
		{"keep-alive-interval", "ii"},
		{"set-keep-alive-interval", "iIi"},
		{"keep-alive-count", "ii"},
		{"set-keep-alive-count", "iii"},
		{"hop-limit", "ii"},
		{"set-hop-limit", "iii"},
		{"receive-buffer-size", "ii"},
		{"set-receive-buffer-size", "iIi"},
		{"send-buffer-size", "ii"},
		{"set-send-buffer-size", "iIi"},
		{"subscribe", "i->i"},
		{"shutdown", "iii"},
	})
}

func (h *Host) defineUDP(hb wazero.HostModuleBuilder) {
	methods(hb, UDPSocketType, "udp-socket", [][2]string{
		{"start-bind", "iiiiiiiiiiiiiii"},
		{"finish-bind", "ii"},
		{"stream", "iiiiiiiiiiiiiii"},
		{"local-address", "ii"},
		{"remote-address", "ii"},
		{"address-family", "i->i"},
		{"unicast-hop-limit", "ii"},
		{"set-unicast-hop-limit", "iii"},
		{"receive-buffer-size", "ii"},
		{"set-receive-buffer-size", "iIi"},
		{"send-buffer-size", "ii"},
		{"set-send-buffer-size", "iIi"},
		{"subscribe", "i->i"},
	})
	methods(hb, IncomingDatagramStreamType, "incoming-datagram-stream", [][2]string{
		{"receive", "iIi"},
		{"subscribe", "i->i"},
	})
	methods(hb, OutgoingDatagramStreamType, "outgoing-datagram-stream", [][2]string{
		{"check-send", "ii"},
		{"send", "iiii"},
		{"subscribe", "i->i"},
	})
}

func (h *Host) defineIPNameLookup(hb wazero.HostModuleBuilder) {
	methods(hb, ResolveAddressStreamType, "resolve-address-stream", [][2]string{
		{"resolve-next-address", "ii"},
		{"subscribe", "i->i"},
	})
	// resolve-addresses: func(network: borrow<network>, name: string) -> result<resolve-address-stream, error-code>
	fn(hb, "resolve-addresses", []api.ValueType{i32, i32, i32, i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		inst.Handles.Get(inst, NetworkType, uint32(s[0]))
		inst.String(uint32(s[1]), uint32(s[2]))
		putErr(inst, uint32(s[3]), 4, socketAccessDenied)
	})
}
