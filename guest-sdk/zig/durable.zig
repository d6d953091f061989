//! Durable Objects (docs/durable-objects.md): named, single-threaded
//! objects with transactional storage, SQL, an alarm and hibernatable web
//! sockets. Any Worker reaches objects through a namespace binding; a
//! Worker that declares `pub const durable_objects` in its root file
//! defines classes.
//!
//! Calling an object (Cloudflare's `env.COUNTER.getByName(name)`):
//!
//!     const ns = try bindery.durable.open("COUNTER");
//!     const stub = try ns.getByName("room-1");
//!     defer stub.deinit();
//!     const n = try stub.call(req.arena, "increment", .{1}, null); // a structured.Value
//!
//! Defining a class (Cloudflare's `export class Counter extends DurableObject`):
//!
//!     pub const durable_objects = .{ .Counter = Counter };
//!
//!     const Counter = struct {
//!         state: *bindery.durable.State,
//!
//!         pub fn init(state: *bindery.durable.State) Counter {
//!             return .{ .state = state };
//!         }
//!
//!         // An RPC method: any pub fn taking the object first.
//!         pub fn increment(self: *Counter, by: i64) !i64 {
//!             const st = self.state.storage;
//!             const n = (try st.getAs(i64, self.state.arena(), "n")) orelse 0;
//!             try st.put("n", n + by);
//!             return n + by;
//!         }
//!     };
//!
//! # Classes
//!
//! Each field of `durable_objects` names a class (the config's
//! `class_name`) and gives its type T, which has:
//!
//!   - `pub fn init(state: *State) T` (or `!T`): makes the object's
//!     in-memory instance on its first event after a start or an eviction.
//!     state stays valid for the life of the instance;
//!   - optionally `pub fn deinit(self: *T) void`: the object leaves memory
//!     (evicted; its storage stays);
//!   - optionally the handlers `fetch(self: *T, req: *bindery.Request,
//!     res: *bindery.Response) !void`, `alarm(self: *T, info: AlarmInfo)
//!     !void`, `webSocketMessage(self: *T, ws: WebSocket, msg: Message)
//!     !void`, `webSocketClose(self: *T, ws: WebSocket, code: u16, reason:
//!     []const u8, was_clean: bool) !void` and `webSocketError(self: *T,
//!     ws: WebSocket, reason: []const u8) !void`;
//!   - RPC methods: every other pub fn whose first parameter is `*T`,
//!     called by its name (Stub.call). The other parameters are the
//!     call's arguments, converted from the structured-value encoding by
//!     `read` (a `std.mem.Allocator` parameter gets the event's arena
//!     and takes no argument), and the result is encoded by
//!     `structured.encode`. An error fails the call: the caller gets
//!     error.Thrown with the error's name, or what State.throw set.
//!
//! Method names are matched at compile time: no reflection at run time.
//!
//! # Events and memory
//!
//! The host runs one event at a time per object, but an event may run
//! nested inside a host call of another (a call to another object of the
//! same instance): the SDK keeps each event's state in locals and its own
//! arena (`State.arena`), so nesting is safe (`describe` says
//! reentrant). Handles (WebSocket) are valid for the event that got them;
//! the SDK drops them when it ends. Values the SDK returns from storage
//! and calls live in the allocator passed in.
//!
//! # Errors
//!
//! Calls return bindery.Error; `bindery.lastError()` has the host's
//! message: NoSuchBinding, InvalidArgument (a malformed or foreign id, a
//! bad option), LimitExceeded (128 keys, value sizes, SQL limits), Sql,
//! Refused, Transaction, Thrown (an RPC method threw), ObjectFailed, Closed.
const std = @import("std");
const bindery = @import("bindery.zig");
const structured = @import("structured.zig");

const c = bindery.c;
const Allocator = std.mem.Allocator;
const Error = bindery.Error;
const in = bindery.internal;
const str = in.str;
const wit = in.wit;
const witBytes = in.witBytes;
const failWith = in.failWith;
const failFmt = in.failFmt;

/// gpa is libc's malloc: what the generated bindings free results with.
const gpa = std.heap.c_allocator;

/// Value is a value in the structured-value encoding (structured.Value).
pub const Value = structured.Value;

/// SqlValue is a SQL value as SQLite stores it (D1's value).
pub const SqlValue = bindery.d1.Value;

/// fail maps the host's error: its tag to a bindery.Error, its message to
/// lastError ("Name: message" for a thrown error).
fn fail(e: *c.durable_types_error_t) Error {
    defer c.durable_types_error_free(e);
    const err: Error = switch (e.tag) {
        c.DURABLE_TYPES_ERROR_NO_SUCH_NAMESPACE => error.NoSuchBinding,
        c.DURABLE_TYPES_ERROR_INVALID_ID, c.DURABLE_TYPES_ERROR_INVALID_ARGUMENT => error.InvalidArgument,
        c.DURABLE_TYPES_ERROR_LIMIT => error.LimitExceeded,
        c.DURABLE_TYPES_ERROR_SQL => error.Sql,
        c.DURABLE_TYPES_ERROR_REFUSED => error.Refused,
        c.DURABLE_TYPES_ERROR_TRANSACTION => error.Transaction,
        c.DURABLE_TYPES_ERROR_OBJECT_FAILED => error.ObjectFailed,
        c.DURABLE_TYPES_ERROR_CLOSED => error.Closed,
        c.DURABLE_TYPES_ERROR_THROWN => {
            const t = e.val.thrown;
            return failFmt(error.Thrown, "{s}: {s}", .{ str(t.name), str(t.message) });
        },
        else => error.Failed,
    };
    // Every case but thrown carries its message as the same string member.
    return failWith(err, str(e.val.internal));
}

/// note records a message for lastError without failing.
fn note(comptime format: []const u8, args: anytype) void {
    const e: Error!void = failFmt(error.Failed, format, args);
    e catch {};
}

/// dupeStr copies a string the host returned into allocator's memory and
/// frees the host's.
fn dupeStr(allocator: Allocator, s: *c.bindery_string_t) Error![]u8 {
    defer c.bindery_string_free(s);
    return allocator.dupe(u8, str(s.*));
}

/// bytesOf views a list<u8> the host returned.
fn bytesOf(l: c.bindery_list_u8_t) []const u8 {
    return str(.{ .ptr = l.ptr, .len = l.len });
}

/// encodeValue encodes v for the host, in gpa's memory; an unencodable
/// value is error.InvalidArgument naming what.
fn encodeValue(what: []const u8, v: anytype) Error![]u8 {
    var diag: structured.Diagnostics = .{};
    return structured.encode(gpa, v, &diag) catch |err| switch (err) {
        error.OutOfMemory => error.OutOfMemory,
        error.Unencodable => failFmt(error.InvalidArgument, "durable: {s}: {f}", .{ what, diag }),
    };
}

/// decodeValue decodes bytes into allocator's memory; bytes that are not
/// the encoding are error.Failed naming what.
fn decodeValue(allocator: Allocator, what: []const u8, bytes: []const u8) Error!Value {
    var diag: structured.Diagnostics = .{};
    return structured.decode(allocator, bytes, &diag) catch |err| switch (err) {
        error.OutOfMemory => error.OutOfMemory,
        error.Malformed => failFmt(error.Failed, "durable: {s}: {f}", .{ what, diag }),
    };
}

/// now returns the host's time in milliseconds since the Unix epoch
/// (Date.now()): for setAlarm.
pub fn now() i64 {
    var ns: std.os.wasi.timestamp_t = 0;
    _ = std.os.wasi.clock_time_get(.REALTIME, 1_000_000, &ns);
    return @intCast(ns / std.time.ns_per_ms);
}

/// read converts v to a T by structured.read's mapping (integers from
/// whole numbers or bigints in range, strings and bytes, optionals,
/// enums by name, slices, structs by field with defaults); a value that
/// does not fit is error.InvalidArgument, with the path and the reason in
/// lastError. Memory comes from arena (the result may share v's).
pub fn read(comptime T: type, arena: Allocator, v: Value) Error!T {
    var diag: structured.Diagnostics = .{};
    return structured.read(T, arena, v, &diag) catch |err| switch (err) {
        error.OutOfMemory => error.OutOfMemory,
        error.Mismatch => failFmt(error.InvalidArgument, "durable: {f}", .{diag}),
    };
}

// ---- ids, namespaces, stubs ------------------------------------------------

/// Id is an object's id: 64 lower-case hex digits, and the name it was
/// made from when it was made by name (Cloudflare's `id.name`).
pub const Id = struct {
    hex: []const u8,
    name: ?[]const u8 = null,

    /// eql reports whether a and b are the same object's id.
    pub fn eql(a: Id, b: Id) bool {
        return std.mem.eql(u8, a.hex, b.hex);
    }

    /// format writes the 64 hex digits (toString).
    pub fn format(id: Id, w: *std.Io.Writer) std.Io.Writer.Error!void {
        try w.writeAll(id.hex);
    }
};

/// open returns the namespace of the Durable Object binding `binding`
/// (e.g. "COUNTER"), opened once per instance; error.NoSuchBinding when
/// the config grants none of that name.
pub fn open(binding: []const u8) Error!Namespace {
    const opened = in.Opened(c.durable_client_namespace_t);
    if (opened.find(binding)) |h| return .{ .handle = h };
    try in.checkUtf8("durable: binding", binding);
    var h: c.durable_client_namespace_t = undefined;
    var err: c.durable_types_error_t = undefined;
    if (!c.durable_client_namespace_open(wit(binding), &h, &err)) return fail(&err);
    try opened.remember(binding, h);
    return .{ .handle = h };
}

/// Namespace is a Durable Object binding: the objects of one class.
pub const Namespace = struct {
    handle: c.durable_client_namespace_t,

    /// idFromName returns the id of the object called name: the same name
    /// always gives the same id. Memory from allocator.
    pub fn idFromName(ns: Namespace, allocator: Allocator, name: []const u8) Error!Id {
        try in.checkUtf8("durable: name", name);
        var s: c.bindery_string_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_client_namespace_id_from_name(ns.handle, wit(name), &s, &err)) return fail(&err);
        const hex = try dupeStr(allocator, &s);
        return .{ .hex = hex, .name = try allocator.dupe(u8, name) };
    }

    /// newUniqueId returns a new random id, never equal to a named one;
    /// jurisdiction ("eu", "fedramp") is accepted and ignored.
    pub fn newUniqueId(ns: Namespace, allocator: Allocator, jurisdiction: ?[]const u8) Error!Id {
        if (jurisdiction) |j| try in.checkUtf8("durable: jurisdiction", j);
        const j: c.durable_client_option_string_t = if (jurisdiction) |v| .{ .is_some = true, .val = wit(v) } else .{ .is_some = false };
        var s: c.bindery_string_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_client_namespace_new_unique_id(ns.handle, j, &s, &err)) return fail(&err);
        return .{ .hex = try dupeStr(allocator, &s) };
    }

    /// idFromString checks an id given as 64 hex digits and returns it in
    /// lower case; error.InvalidArgument for a malformed id or one of
    /// another class.
    pub fn idFromString(ns: Namespace, allocator: Allocator, id: []const u8) Error!Id {
        try in.checkUtf8("durable: id", id);
        var s: c.bindery_string_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_client_namespace_id_from_string(ns.handle, wit(id), &s, &err)) return fail(&err);
        return .{ .hex = try dupeStr(allocator, &s) };
    }

    /// get returns a stub for the object id. The object is made on its
    /// first request. Release the stub with deinit.
    pub fn get(ns: Namespace, id: Id) Error!Stub {
        // An id made by name reaches the object by name: it sees its name.
        if (id.name) |name| return ns.getByName(name);
        var h: c.durable_client_stub_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_client_namespace_get(ns.handle, wit(id.hex), &h, &err)) return fail(&err);
        return .{ .handle = h };
    }

    /// getByName returns a stub for the object called name (as
    /// get(idFromName(name)); the object sees its name).
    pub fn getByName(ns: Namespace, name: []const u8) Error!Stub {
        try in.checkUtf8("durable: name", name);
        var h: c.durable_client_stub_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_client_namespace_get_by_name(ns.handle, wit(name), &h, &err)) return fail(&err);
        return .{ .handle = h };
    }
};

/// Thrown is what an object's RPC method threw: the error's class name
/// and message, and the thrown value itself when it came encoded.
pub const Thrown = struct {
    name: []const u8 = "",
    message: []const u8 = "",
    value: ?Value = null,
};

/// Stub is the way to one object. It is cheap; the object is made on its
/// first request.
pub const Stub = struct {
    handle: c.durable_client_stub_t,

    /// deinit releases the stub.
    pub fn deinit(s: Stub) void {
        c.durable_client_stub_drop(s.handle);
    }

    /// id returns the object's id (64 hex digits) in allocator's memory.
    pub fn id(s: Stub, allocator: Allocator) Error![]u8 {
        var h = c.durable_client_stub_id(s.handle);
        return dupeStr(allocator, &h);
    }

    /// call calls the object's RPC method `method` with args (a tuple, or
    /// a slice of Values) and returns its result, decoded into allocator's
    /// memory (undefined for none). When the method throws, it returns
    /// error.Thrown, and thrown, if given, gets the error (its strings in
    /// allocator's memory); lastError has "Name: message".
    pub fn call(s: Stub, allocator: Allocator, method: []const u8, args: anytype, thrown: ?*Thrown) Error!Value {
        try in.checkUtf8("durable: method", method);
        const encoded = try encodeValue("the arguments", args);
        defer gpa.free(encoded);
        var ret: c.bindery_list_u8_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_client_stub_call(s.handle, wit(method), witBytes(encoded), &ret, &err)) {
            if (err.tag == c.DURABLE_TYPES_ERROR_THROWN) if (thrown) |t| {
                t.* = thrownOf(allocator, &err.val.thrown) catch .{};
            };
            return fail(&err);
        }
        defer c.bindery_list_u8_free(&ret);
        return decodeValue(allocator, "the result", bytesOf(ret));
    }

    /// fetch sends the object req (its method, URL, headers and body, which
    /// moves to the object unread) and returns the head of its response;
    /// the body streams. A response the object failed to send is a 500;
    /// error.ObjectFailed when its event failed before it began one.
    pub fn fetch(s: Stub, req: *bindery.Request) Error!FetchResponse {
        var body: c.durable_types_body_t = .{ .tag = c.DURABLE_TYPES_BODY_BYTES };
        if (!req.body.gone and !req.body.done) {
            body = .{ .tag = c.DURABLE_TYPES_BODY_STREAM };
            body.val.stream = req.body.handle;
            req.body.gone = true;
        }
        const head: c.http_types_request_t = .{
            .method = wit(req.method),
            .url = wit(req.url),
            .headers = witList(c.http_types_fields_t, @constCast(req.fields)),
        };
        return s.send(head, body);
    }

    /// fetchBytes sends the object a request of the Worker's own: method,
    /// an absolute url, headers and a body in one piece.
    pub fn fetchBytes(s: Stub, method: []const u8, url: []const u8, headers: []const bindery.Header, body: []const u8) Error!FetchResponse {
        try in.checkUtf8("durable: method", method);
        try in.checkUtf8("durable: url", url);
        var fields = try gpa.alloc(c.http_types_tuple2_string_list_u8_t, headers.len);
        defer gpa.free(fields);
        for (headers, 0..) |h, i| {
            try in.checkUtf8("durable: header name", h.name);
            fields[i] = .{ .f0 = wit(h.name), .f1 = witBytes(h.value) };
        }
        var b: c.durable_types_body_t = .{ .tag = c.DURABLE_TYPES_BODY_BYTES };
        b.val.bytes = witBytes(body);
        return s.send(.{ .method = wit(method), .url = wit(url), .headers = witList(c.http_types_fields_t, fields) }, b);
    }

    fn send(s: Stub, head: c.http_types_request_t, body: c.durable_types_body_t) Error!FetchResponse {
        var r: c.durable_client_response_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_client_stub_fetch(s.handle, head, body, &r, &err)) return fail(&err);
        return .{
            .status = r.status,
            .fields = r.headers,
            .body = .{ .handle = r.body },
            .upgrade = if (r.upgrade.is_some) r.upgrade.val else null,
        };
    }
};

/// thrownOf copies a thrown error into allocator's memory, preferring the
/// encoded value's name and message.
fn thrownOf(allocator: Allocator, t: *const c.durable_types_thrown_t) Error!Thrown {
    var out: Thrown = .{ .name = try allocator.dupe(u8, str(t.name)), .message = try allocator.dupe(u8, str(t.message)) };
    if (t.value.is_some) {
        const v = decodeValue(allocator, "the thrown value", bytesOf(t.value.val)) catch |err| switch (err) {
            error.OutOfMemory => return err,
            else => return out,
        };
        out.value = v;
        if (v == .err) {
            out.name = @tagName(v.err.name);
            out.message = v.err.message;
        }
    }
    return out;
}

/// FetchResponse is an object's response to Stub.fetch. Release it with
/// deinit, or hand it on with send.
pub const FetchResponse = struct {
    status: u16,
    fields: c.http_types_fields_t,
    /// The body; it ends when the object's response does.
    body: bindery.InputStream,
    /// For a 101: the web socket the object accepted (send forwards it).
    upgrade: ?c.durable_client_upgrade_t,

    /// headers returns the header fields.
    pub fn headers(r: *const FetchResponse) bindery.HeaderIterator {
        return .{ .fields = if (r.fields.len == 0) &.{} else r.fields.ptr[0..r.fields.len] };
    }

    /// header returns the first value of the header name (any case), or null.
    pub fn header(r: *const FetchResponse, name: []const u8) ?[]const u8 {
        var it = r.headers();
        while (it.next()) |h| if (std.ascii.eqlIgnoreCase(h.name, name)) return h.value;
        return null;
    }

    /// send answers the Worker's own request with this response: its
    /// status, headers and body (moved inside the host), or, for a 101
    /// that carries a web socket, the upgrade that joins the Worker's
    /// client to the object's socket (res must then be the response to
    /// the client's upgrade request, with nothing written). It releases r.
    pub fn send(r: *FetchResponse, res: *bindery.Response) Error!void {
        defer r.deinit();
        if (r.upgrade) |up| {
            r.upgrade = null;
            defer c.durable_client_upgrade_drop(up);
            if (res.stream != null or res.ended) return failWith(error.AlreadySent, "durable: the upgrade needs a response with nothing sent");
            in.hostAnswered(res, true);
            var err: c.durable_types_error_t = undefined;
            if (!c.durable_client_upgrade_forward(up, res.out, &err)) return fail(&err);
            return;
        }
        res.setStatus(r.status);
        var it = r.headers();
        while (it.next()) |h| try res.header(h.name, h.value);
        _ = try res.splice(&r.body);
    }

    /// deinit releases the response and its body.
    pub fn deinit(r: *FetchResponse) void {
        r.body.close();
        if (r.upgrade) |up| c.durable_client_upgrade_drop(up);
        r.upgrade = null;
        c.http_types_fields_free(&r.fields);
        r.fields = .{ .ptr = null, .len = 0 };
    }
};

// ---- an object's state ---------------------------------------------------------

/// AlarmInfo is what the alarm handler is told about its attempt.
pub const AlarmInfo = struct {
    /// How many times the alarm was retried before: 0 on the first attempt.
    retry_count: u32,
    /// Whether this is a retry.
    is_retry: bool,
};

/// Message is a web socket message.
pub const Message = union(enum) {
    text: []const u8,
    binary: []const u8,
};

/// AutoResponse is a request and the reply the host sends to it on every
/// socket of the object without waking it.
pub const AutoResponse = struct {
    request: []const u8,
    response: []const u8,
};

/// Event is one event in progress on an object: its arena, the handles it
/// got, what State.throw set. It lives in the export's frame; events
/// nested on the same object stack (prev).
const Event = struct {
    arena: std.heap.ArenaAllocator,
    sockets: std.ArrayList(c.durable_state_web_socket_t) = .empty,
    thrown: ?struct { name: structured.ErrorName, message: []const u8 } = null,
    /// The object's event this one is nested in, if any.
    prev: ?*Event = null,

    fn end(ev: *Event) void {
        for (ev.sockets.items) |h| c.durable_state_web_socket_drop(h);
        ev.sockets.deinit(gpa);
        ev.arena.deinit();
    }
};

/// State is an object's context (Cloudflare's `ctx`): its id, storage and
/// web sockets. Every call acts on the object whose event is running, and
/// works only inside one of its events.
pub const State = struct {
    /// The object's id (with its name when it was reached by name).
    id: Id,
    /// The class's name in the config.
    class_name: []const u8,
    /// The object's storage (ctx.storage).
    storage: Storage = .{},
    /// The allocator for what the object keeps between events (libc's
    /// malloc); free it in deinit.
    allocator: Allocator = gpa,
    event: ?*Event = null,

    /// arena returns the current event's arena, freed when the event ends.
    pub fn arena(s: *State) Allocator {
        return s.event.?.arena.allocator();
    }

    /// throw makes the RPC method (or handler) in progress throw an Error
    /// of class name with a formatted message: return its result.
    ///
    ///     return self.state.throw(.TypeError, "boom: {s}", .{what});
    pub fn throw(s: *State, name: structured.ErrorName, comptime format: []const u8, args: anytype) error{Thrown} {
        const ev = s.event.?;
        const msg = std.fmt.allocPrint(ev.arena.allocator(), format, args) catch format;
        ev.thrown = .{ .name = name, .message = msg };
        return error.Thrown;
    }

    /// blockConcurrencyWhile runs body(context) while no other event of
    /// the object is delivered: use it in init to load state before the
    /// first event. An error from body resets the object, as Cloudflare
    /// does, and is returned.
    pub fn blockConcurrencyWhile(s: *State, context: anytype, comptime body: anytype) (Error || BodyError(body))!void {
        _ = s;
        var b: c.durable_state_concurrency_block_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_block_concurrency(&b, &err)) return fail(&err);
        defer c.durable_state_concurrency_block_drop(b);
        body(context) catch |e| {
            var buf: [256]u8 = undefined;
            const reason = std.fmt.bufPrint(&buf, "blockConcurrencyWhile: error.{s}", .{@errorName(e)}) catch "blockConcurrencyWhile";
            c.durable_state_abort(wit(reason));
            return e;
        };
    }

    /// abort resets the object (ctx.abort): the event ends as failed (the
    /// caller gets error.ObjectFailed), open transactions roll back, and
    /// the next event makes the object afresh. Return after it.
    pub fn abort(s: *State, reason: []const u8) void {
        _ = s;
        const r = if (std.unicode.utf8ValidateSlice(reason)) reason else "abort";
        c.durable_state_abort(wit(r));
    }

    /// acceptWebSocket accepts the web socket that the fetch event's
    /// request asks for (acceptWebSocket): the host answers 101 through
    /// res, which then sends nothing more; the socket's messages come as
    /// webSocketMessage events, across hibernation. tags (at most 10)
    /// select it in getWebSockets.
    pub fn acceptWebSocket(s: *State, res: *bindery.Response, tags: []const []const u8) Error!WebSocket {
        try in.checkUtf8All("durable: tag", tags);
        if (res.stream != null or res.ended) return failWith(error.AlreadySent, "durable: acceptWebSocket needs a response with nothing sent");
        const wtags = try witStrings(tags);
        defer gpa.free(wtags);
        var h: c.durable_state_web_socket_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_accept_web_socket(res.out, witList(c.durable_state_list_string_t, wtags), &h, &err)) return fail(&err);
        in.hostAnswered(res, false);
        return s.track(h);
    }

    /// acceptWebSocketInMemory accepts the web socket as acceptWebSocket
    /// does, but without hibernation (a WebSocketPair's accept()): the
    /// object stays in memory while the socket is open; its events arrive
    /// as a hibernatable socket's. It has no tags.
    pub fn acceptWebSocketInMemory(s: *State, res: *bindery.Response) Error!WebSocket {
        if (res.stream != null or res.ended) return failWith(error.AlreadySent, "durable: acceptWebSocketInMemory needs a response with nothing sent");
        var h: c.durable_state_web_socket_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_accept_web_socket_in_memory(res.out, &h, &err)) return fail(&err);
        in.hostAnswered(res, false);
        return s.track(h);
    }

    /// getWebSockets returns the object's open web sockets, those tagged
    /// tag when given, in the order they were accepted; the slice is in
    /// the event's arena.
    pub fn getWebSockets(s: *State, tag: ?[]const u8) Error![]WebSocket {
        if (tag) |t| try in.checkUtf8("durable: tag", t);
        const o: c.durable_state_option_string_t = if (tag) |t| .{ .is_some = true, .val = wit(t) } else .{ .is_some = false };
        var l = c.durable_state_get_web_sockets(o);
        defer c.durable_state_list_web_socket_free(&l);
        const hs = if (l.len == 0) &[_]c.durable_state_web_socket_t{} else l.ptr[0..l.len];
        const out = try s.arena().alloc(WebSocket, hs.len);
        for (hs, out) |h, *w| w.* = try s.track(h);
        return out;
    }

    /// setWebSocketAutoResponse makes the host answer pair.request with
    /// pair.response on every socket of the object without waking it;
    /// null clears it.
    pub fn setWebSocketAutoResponse(s: *State, pair: ?AutoResponse) Error!void {
        _ = s;
        var o: c.durable_state_option_auto_response_t = .{ .is_some = false };
        if (pair) |p| {
            try in.checkUtf8("durable: auto-response", p.request);
            try in.checkUtf8("durable: auto-response", p.response);
            o = .{ .is_some = true, .val = .{ .request = wit(p.request), .response = wit(p.response) } };
        }
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_set_web_socket_auto_response(o, &err)) return fail(&err);
    }

    /// getWebSocketAutoResponse returns the auto-response pair, if one is
    /// set, in the event's arena.
    pub fn getWebSocketAutoResponse(s: *State) Error!?AutoResponse {
        var o = c.durable_state_get_web_socket_auto_response();
        if (!o.is_some) return null;
        defer c.durable_state_option_auto_response_free(&o);
        const a = s.arena();
        return .{ .request = try a.dupe(u8, str(o.val.request)), .response = try a.dupe(u8, str(o.val.response)) };
    }

    /// setHibernatableWebSocketEventTimeout bounds how long a web socket
    /// event may run, in milliseconds (at most 7 days); null for no bound.
    pub fn setHibernatableWebSocketEventTimeout(s: *State, ms: ?u32) Error!void {
        _ = s;
        const o: c.durable_state_option_u32_t = if (ms) |v| .{ .is_some = true, .val = v } else .{ .is_some = false };
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_set_hibernatable_web_socket_event_timeout(o, &err)) return fail(&err);
    }

    /// getHibernatableWebSocketEventTimeout returns the web socket event
    /// timeout in milliseconds, null if unset.
    pub fn getHibernatableWebSocketEventTimeout(s: *State) ?u32 {
        _ = s;
        const o = c.durable_state_get_hibernatable_web_socket_event_timeout();
        return if (o.is_some) o.val else null;
    }

    /// track makes h a WebSocket of the current event, dropped when it ends.
    fn track(s: *State, h: c.durable_state_web_socket_t) Error!WebSocket {
        const ev = s.event.?;
        ev.sockets.append(gpa, h) catch |err| {
            c.durable_state_web_socket_drop(h);
            return err;
        };
        return .{ .handle = h };
    }
};

/// BodyError is the error set of a callback's result.
fn BodyError(comptime body: anytype) type {
    const R = @typeInfo(@TypeOf(body)).@"fn".return_type.?;
    return switch (@typeInfo(R)) {
        .error_union => |eu| eu.error_set,
        else => error{},
    };
}

/// witList views items as the WIT list type L (no copy). An empty list
/// has a null pointer: a zero-length allocation's address is past the end
/// of memory, which the host refuses even for no elements.
fn witList(comptime L: type, items: anytype) L {
    return .{ .ptr = if (items.len == 0) null else items.ptr, .len = items.len };
}

/// witStrings views strings as WIT strings, in gpa's memory.
fn witStrings(ss: []const []const u8) Error![]c.bindery_string_t {
    const out = try gpa.alloc(c.bindery_string_t, ss.len);
    for (ss, out) |s, *o| o.* = wit(s);
    return out;
}

/// WebSocket is a hibernatable web socket the object accepted. The value
/// is valid for the event that got it (the SDK drops its handle when the
/// event ends); the socket itself lives until it closes, with the same
/// key in every event.
pub const WebSocket = struct {
    handle: c.durable_state_web_socket_t,

    /// key names the socket while it is open, the same in every event.
    pub fn key(ws: WebSocket) u64 {
        return c.durable_state_web_socket_key(ws.handle);
    }

    /// send sends a text message; error.Closed once the socket is closed.
    pub fn send(ws: WebSocket, text: []const u8) Error!void {
        try in.checkUtf8("durable: message", text);
        var m: c.durable_types_message_t = .{ .tag = c.DURABLE_TYPES_MESSAGE_TEXT };
        m.val.text = wit(text);
        return ws.sendMessage(m);
    }

    /// sendBinary sends a binary message.
    pub fn sendBinary(ws: WebSocket, bytes: []const u8) Error!void {
        var m: c.durable_types_message_t = .{ .tag = c.DURABLE_TYPES_MESSAGE_BINARY };
        m.val.binary = witBytes(bytes);
        return ws.sendMessage(m);
    }

    fn sendMessage(ws: WebSocket, m: c.durable_types_message_t) Error!void {
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_web_socket_send(ws.handle, m, &err)) return fail(&err);
    }

    /// close closes the socket with code (1000, or 3000 to 4999; null
    /// sends none) and reason (at most 123 bytes).
    pub fn close(ws: WebSocket, code: ?u16, reason: []const u8) Error!void {
        try in.checkUtf8("durable: close reason", reason);
        const o: c.durable_state_option_u16_t = if (code) |v| .{ .is_some = true, .val = v } else .{ .is_some = false };
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_web_socket_close(ws.handle, o, wit(reason), &err)) return fail(&err);
    }

    /// tags returns the tags it was accepted with, in allocator's memory.
    pub fn tags(ws: WebSocket, allocator: Allocator) Error![][]u8 {
        var l = c.durable_state_web_socket_tags(ws.handle);
        defer c.durable_state_list_string_free(&l);
        const ts = if (l.len == 0) &[_]c.bindery_string_t{} else l.ptr[0..l.len];
        const out = try allocator.alloc([]u8, ts.len);
        for (ts, out) |t, *o| o.* = try allocator.dupe(u8, str(t));
        return out;
    }

    /// serializeAttachment keeps value (at most 16 KiB encoded) with the
    /// socket across hibernation.
    pub fn serializeAttachment(ws: WebSocket, value: anytype) Error!void {
        const b = try encodeValue("the attachment", value);
        defer gpa.free(b);
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_web_socket_serialize_attachment(ws.handle, witBytes(b), &err)) return fail(&err);
    }

    /// deserializeAttachment returns what serializeAttachment kept, decoded
    /// into allocator's memory, or null.
    pub fn deserializeAttachment(ws: WebSocket, allocator: Allocator) Error!?Value {
        var o = c.durable_state_web_socket_deserialize_attachment(ws.handle);
        if (!o.is_some) return null;
        defer c.durable_state_option_list_u8_free(&o);
        return try decodeValue(allocator, "the attachment", bytesOf(o.val));
    }

    /// autoResponseTimestamp returns when the host last sent the
    /// auto-response on this socket (ms since the epoch), or null.
    pub fn autoResponseTimestamp(ws: WebSocket) ?i64 {
        const o = c.durable_state_web_socket_auto_response_timestamp(ws.handle);
        return if (o.is_some) o.val else null;
    }
};

// ---- storage -------------------------------------------------------------------

/// Entry is one stored key and its value.
pub const Entry = struct {
    key: []const u8,
    value: Value,
};

/// ListOptions select what Storage.list returns, as Cloudflare's.
pub const ListOptions = struct {
    /// The first key (inclusive).
    start: ?[]const u8 = null,
    /// The key to list after (exclusive); not with start.
    start_after: ?[]const u8 = null,
    /// The key to stop before (exclusive).
    end: ?[]const u8 = null,
    /// Only keys with this prefix.
    prefix: ?[]const u8 = null,
    /// Descending order; with limit, the last keys of the range.
    reverse: bool = false,
    /// At most this many entries; null for all.
    limit: ?u32 = null,
};

/// Storage is an object's transactional storage (ctx.storage): keys and
/// values in the structured-value encoding (an object of another language
/// reads them), the alarm, and SQL for SQLite-backed classes. Each call is
/// one transaction, durable when it returns; calls inside transaction's
/// body belong to it.
pub const Storage = struct {
    /// sql is the SQL API of a SQLite-backed class (ctx.storage.sql).
    sql: Sql = .{},

    /// get returns the value of key, decoded into allocator's memory, or
    /// null when there is none.
    pub fn get(st: Storage, allocator: Allocator, key: []const u8) Error!?Value {
        const vs = try st.getMany(allocator, &.{key});
        return vs[0];
    }

    /// getAs is get converted to T by `read` (pass an arena).
    pub fn getAs(st: Storage, comptime T: type, arena: Allocator, key: []const u8) Error!?T {
        const v = try st.get(arena, key) orelse return null;
        return try read(T, arena, v);
    }

    /// getMany returns the values of up to 128 keys, in their order, null
    /// for a missing key; in allocator's memory.
    pub fn getMany(st: Storage, allocator: Allocator, keys: []const []const u8) Error![]?Value {
        _ = st;
        try in.checkUtf8All("durable: key", keys);
        const wkeys = try witStrings(keys);
        defer gpa.free(wkeys);
        var l: c.durable_state_list_option_list_u8_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_get(witList(c.durable_state_list_string_t, wkeys), &l, &err)) return fail(&err);
        defer c.durable_state_list_option_list_u8_free(&l);
        const vs = if (l.len == 0) &[_]c.durable_state_option_list_u8_t{} else l.ptr[0..l.len];
        const out = try allocator.alloc(?Value, vs.len);
        for (vs, out) |v, *o| o.* = if (v.is_some) try decodeValue(allocator, "a stored value", bytesOf(v.val)) else null;
        return out;
    }

    /// put stores value (any value structured.encode takes) under key.
    pub fn put(st: Storage, key: []const u8, value: anytype) Error!void {
        _ = st;
        try in.checkUtf8("durable: key", key);
        const b = try encodeValue("the value", value);
        defer gpa.free(b);
        var e: [1]c.durable_state_entry_t = .{.{ .key = wit(key), .value = witBytes(b) }};
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_put(.{ .ptr = &e, .len = 1 }, &err)) return fail(&err);
    }

    /// putMany stores up to 128 entries, all or none: a struct's fields
    /// (`.{ .a = 1, .b = "two" }`, each field a key) or a slice of Entry.
    pub fn putMany(st: Storage, entries: anytype) Error!void {
        _ = st;
        var es: std.ArrayList(c.durable_state_entry_t) = .empty;
        defer {
            for (es.items) |e| gpa.free(bytesOf(e.value));
            es.deinit(gpa);
        }
        const T = @TypeOf(entries);
        if (comptime isEntrySlice(T)) {
            for (entries) |e| {
                try in.checkUtf8("durable: key", e.key);
                try es.ensureUnusedCapacity(gpa, 1);
                es.appendAssumeCapacity(.{ .key = wit(e.key), .value = witBytes(try encodeValue("a value", e.value)) });
            }
        } else {
            inline for (@typeInfo(T).@"struct".field_names) |name| {
                try es.ensureUnusedCapacity(gpa, 1);
                es.appendAssumeCapacity(.{ .key = wit(name), .value = witBytes(try encodeValue(name, @field(entries, name))) });
            }
        }
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_put(witList(c.durable_state_list_entry_t, es.items), &err)) return fail(&err);
    }

    fn isEntrySlice(comptime T: type) bool {
        return switch (@typeInfo(T)) {
            .pointer => |p| (p.size == .slice and p.child == Entry) or
                (p.size == .one and @typeInfo(p.child) == .array and @typeInfo(p.child).array.child == Entry),
            else => false,
        };
    }

    /// delete deletes key and reports whether it existed.
    pub fn delete(st: Storage, key: []const u8) Error!bool {
        return try st.deleteMany(&.{key}) > 0;
    }

    /// deleteMany deletes up to 128 keys, all or none, and returns how
    /// many existed.
    pub fn deleteMany(st: Storage, keys: []const []const u8) Error!u32 {
        _ = st;
        try in.checkUtf8All("durable: key", keys);
        const wkeys = try witStrings(keys);
        defer gpa.free(wkeys);
        var n: u32 = 0;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_delete(witList(c.durable_state_list_string_t, wkeys), &n, &err)) return fail(&err);
        return n;
    }

    /// list returns the entries opts selects, in key order (UTF-8 bytes;
    /// descending when reversed), in allocator's memory.
    pub fn list(st: Storage, allocator: Allocator, opts: ListOptions) Error![]Entry {
        _ = st;
        const o: c.durable_state_list_options_t = .{
            .start = try optString(opts.start),
            .start_after = try optString(opts.start_after),
            .end = try optString(opts.end),
            .prefix = try optString(opts.prefix),
            .reverse = opts.reverse,
            .limit = if (opts.limit) |n| .{ .is_some = true, .val = n } else .{ .is_some = false },
        };
        var l: c.durable_state_list_entry_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_list(o, &l, &err)) return fail(&err);
        defer c.durable_state_list_entry_free(&l);
        const es = if (l.len == 0) &[_]c.durable_state_entry_t{} else l.ptr[0..l.len];
        const out = try allocator.alloc(Entry, es.len);
        for (es, out) |e, *o2| o2.* = .{
            .key = try allocator.dupe(u8, str(e.key)),
            .value = try decodeValue(allocator, "a stored value", bytesOf(e.value)),
        };
        return out;
    }

    fn optString(s: ?[]const u8) Error!c.durable_state_option_string_t {
        const v = s orelse return .{ .is_some = false };
        try in.checkUtf8("durable: list option", v);
        return .{ .is_some = true, .val = wit(v) };
    }

    /// deleteAll deletes every key (for a SQLite-backed class, every
    /// table) and the alarm.
    pub fn deleteAll(st: Storage) Error!void {
        _ = st;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_delete_all(&err)) return fail(&err);
    }

    /// transaction runs body(context) in a transaction: its storage calls
    /// (SQL included) commit together when it returns, and roll back when
    /// it returns an error, which transaction returns — but
    /// error.Rollback, which only rolls back (Cloudflare's txn.rollback()).
    /// Transactions nest.
    pub fn transaction(st: Storage, context: anytype, comptime body: anytype) (Error || BodyError(body))!void {
        var tx = try st.beginTransaction();
        defer tx.deinit();
        body(context) catch |e| {
            try tx.rollback();
            if (e == error.Rollback) return;
            return e;
        };
        try tx.commit();
    }

    /// beginTransaction begins a transaction (a savepoint inside another)
    /// by hand: end it with commit or rollback, then deinit (which rolls
    /// back one not ended).
    pub fn beginTransaction(st: Storage) Error!Transaction {
        _ = st;
        var h: c.durable_state_transaction_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_begin_transaction(&h, &err)) return fail(&err);
        return .{ .handle = h };
    }

    /// getAlarm returns the alarm's time in ms since the epoch, or null.
    pub fn getAlarm(st: Storage) Error!?i64 {
        _ = st;
        var o: c.durable_state_option_s64_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_get_alarm(&o, &err)) return fail(&err);
        return if (o.is_some) o.val else null;
    }

    /// setAlarm sets the one alarm to ms since the epoch, replacing any
    /// other; a time in the past runs it at once.
    pub fn setAlarm(st: Storage, ms: i64) Error!void {
        _ = st;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_set_alarm(ms, &err)) return fail(&err);
    }

    /// deleteAlarm deletes the alarm, if one is set.
    pub fn deleteAlarm(st: Storage) Error!void {
        _ = st;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_delete_alarm(&err)) return fail(&err);
    }
};

/// Transaction is a transaction begun with Storage.beginTransaction.
pub const Transaction = struct {
    handle: c.durable_state_transaction_t,

    /// commit makes its writes part of the enclosing transaction, or
    /// durable for the outermost.
    pub fn commit(tx: Transaction) Error!void {
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_transaction_commit(tx.handle, &err)) return fail(&err);
    }

    /// rollback undoes its writes.
    pub fn rollback(tx: Transaction) Error!void {
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_transaction_rollback(tx.handle, &err)) return fail(&err);
    }

    /// deinit releases it (rolling it back if neither commit nor rollback
    /// ended it).
    pub fn deinit(tx: Transaction) void {
        c.durable_state_transaction_drop(tx.handle);
    }
};

/// Sql runs SQL on a SQLite-backed object's database (ctx.storage.sql);
/// its calls fail with error.Refused on a KV-backed class.
pub const Sql = struct {
    /// exec runs one or more statements separated by semicolons and returns
    /// a cursor over the last one's rows; only the last may have params
    /// (for ? and ?NNN). The statements before a failing one stay done.
    pub fn exec(q: Sql, query: []const u8, params: []const SqlValue) Error!Cursor {
        _ = q;
        try in.checkUtf8("durable: sql", query);
        const ps = try gpa.alloc(c.durable_types_sql_value_t, params.len);
        defer gpa.free(ps);
        for (params, ps) |p, *w| w.* = try sqlToWit(p);
        var h: c.durable_state_cursor_t = undefined;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_sql_exec(wit(query), witList(c.durable_state_list_sql_value_t, ps), &h, &err)) return fail(&err);
        return .{ .handle = h };
    }

    /// databaseSize returns the database's size in bytes.
    pub fn databaseSize(q: Sql) Error!u64 {
        _ = q;
        var n: u64 = 0;
        var err: c.durable_types_error_t = undefined;
        if (!c.durable_state_database_size(&n, &err)) return fail(&err);
        return n;
    }
};

fn sqlToWit(v: SqlValue) Error!c.durable_types_sql_value_t {
    var w: c.durable_types_sql_value_t = .{};
    switch (v) {
        .null => w.tag = c.DURABLE_TYPES_SQL_VALUE_NULL,
        .integer => |i| {
            w.tag = c.DURABLE_TYPES_SQL_VALUE_INTEGER;
            w.val.integer = i;
        },
        .real => |r| {
            w.tag = c.DURABLE_TYPES_SQL_VALUE_REAL;
            w.val.real = r;
        },
        .text => |t| {
            try in.checkUtf8("durable: sql text", t);
            w.tag = c.DURABLE_TYPES_SQL_VALUE_TEXT;
            w.val.text = wit(t);
        },
        .blob => |b| {
            w.tag = c.DURABLE_TYPES_SQL_VALUE_BLOB;
            w.val.blob = witBytes(b);
        },
    }
    return w;
}

fn sqlFromWit(allocator: Allocator, w: *const c.durable_types_sql_value_t) Error!SqlValue {
    return switch (w.tag) {
        c.DURABLE_TYPES_SQL_VALUE_INTEGER => .{ .integer = w.val.integer },
        c.DURABLE_TYPES_SQL_VALUE_REAL => .{ .real = w.val.real },
        c.DURABLE_TYPES_SQL_VALUE_TEXT => .{ .text = try allocator.dupe(u8, str(w.val.text)) },
        c.DURABLE_TYPES_SQL_VALUE_BLOB => .{ .blob = try allocator.dupe(u8, bytesOf(w.val.blob)) },
        else => .null,
    };
}

/// Cursor reads the rows of Sql.exec's last statement
/// (SqlStorageCursor), in batches from the host. Release it with deinit.
pub const Cursor = struct {
    handle: c.durable_state_cursor_t,
    batch: c.durable_state_list_list_sql_value_t = .{ .ptr = null, .len = 0 },
    at: usize = 0,
    done: bool = false,

    /// batch_rows is how many rows one host call brings.
    pub const batch_rows = 256;

    /// columnNames returns the column names in order (they may repeat),
    /// in allocator's memory.
    pub fn columnNames(cur: *Cursor, allocator: Allocator) Error![][]u8 {
        var l = c.durable_state_cursor_column_names(cur.handle);
        defer c.durable_state_list_string_free(&l);
        const ns = if (l.len == 0) &[_]c.bindery_string_t{} else l.ptr[0..l.len];
        const out = try allocator.alloc([]u8, ns.len);
        for (ns, out) |n, *o| o.* = try allocator.dupe(u8, str(n));
        return out;
    }

    /// next returns the next row's values, one per column, in allocator's
    /// memory; null after the last row.
    pub fn next(cur: *Cursor, allocator: Allocator) Error!?[]SqlValue {
        if (cur.at >= cur.batch.len) {
            cur.release();
            if (cur.done) return null;
            cur.batch = c.durable_state_cursor_next(cur.handle, batch_rows);
            if (cur.batch.len == 0) {
                cur.done = true;
                return null;
            }
        }
        const row = cur.batch.ptr[cur.at];
        cur.at += 1;
        const vs = if (row.len == 0) &[_]c.durable_types_sql_value_t{} else row.ptr[0..row.len];
        const out = try allocator.alloc(SqlValue, vs.len);
        for (vs, out) |*v, *o| o.* = try sqlFromWit(allocator, v);
        return out;
    }

    /// one returns the only row; error.Sql when there is none or more than
    /// one.
    pub fn one(cur: *Cursor, allocator: Allocator) Error![]SqlValue {
        const row = try cur.next(allocator) orelse
            return failWith(error.Sql, "Expected exactly one result from SQL query, but got no results.");
        if (try cur.next(allocator) != null) return failWith(error.Sql, "Expected exactly one result from SQL query, but got multiple results.");
        return row;
    }

    /// rowsRead returns the rows the statements read so far.
    pub fn rowsRead(cur: *Cursor) u64 {
        return c.durable_state_cursor_rows_read(cur.handle);
    }

    /// rowsWritten returns the rows the statements wrote so far.
    pub fn rowsWritten(cur: *Cursor) u64 {
        return c.durable_state_cursor_rows_written(cur.handle);
    }

    /// deinit releases the cursor.
    pub fn deinit(cur: *Cursor) void {
        cur.release();
        c.durable_state_cursor_drop(cur.handle);
    }

    fn release(cur: *Cursor) void {
        if (cur.batch.len > 0) c.durable_state_list_list_sql_value_free(&cur.batch);
        cur.batch = .{ .ptr = null, .len = 0 };
        cur.at = 0;
    }
};

// ---- classes -------------------------------------------------------------------

/// Live is an object in memory.
const Live = struct {
    state: State,
    class: *const Class,
    ptr: *anyopaque,
    /// init has returned (an event nested inside init finds it not ready).
    ready: bool = false,
    /// Evicted while an event was in progress (an abort in a nested
    /// event): freed when the last one leaves.
    evicted: bool = false,
    key: []u8,
};

/// Class is what the SDK knows of a class type, made at compile time.
const Class = struct {
    name: []const u8,
    create: *const fn (*State) anyerror!*anyopaque,
    destroy: *const fn (*anyopaque) void,
    fetch: ?*const fn (*anyopaque, c.http_types_request_t, c.io_streams_input_stream_t, c.http_types_response_outparam_t) void,
    call: *const fn (*anyopaque, *State, []const u8, []const Value) anyerror![]u8,
    alarm: ?*const fn (*anyopaque, AlarmInfo) anyerror!void,
    message: ?*const fn (*anyopaque, WebSocket, Message) anyerror!void,
    close: ?*const fn (*anyopaque, WebSocket, u16, []const u8, bool) anyerror!void,
    failed: ?*const fn (*anyopaque, WebSocket, []const u8) anyerror!void,
};

/// handler_names are the decls that are not RPC methods.
const handler_names = [_][]const u8{ "init", "deinit", "fetch", "alarm", "webSocketMessage", "webSocketClose", "webSocketError" };

fn isRpc(comptime T: type, comptime name: []const u8) bool {
    for (handler_names) |h| if (std.mem.eql(u8, h, name)) return false;
    if (name[0] == '_') return false;
    const F = @TypeOf(@field(T, name));
    const info = @typeInfo(F);
    if (info != .@"fn") return false;
    const ps = info.@"fn".param_types;
    return ps.len > 0 and (ps[0] == *T or ps[0] == *const T);
}

fn classOf(comptime name: []const u8, comptime T: type) Class {
    const G = struct {
        fn create(state: *State) anyerror!*anyopaque {
            const p = try gpa.create(T);
            errdefer gpa.destroy(p);
            const r = T.init(state);
            p.* = if (@typeInfo(@TypeOf(r)) == .error_union) try r else r;
            return p;
        }
        fn destroy(p: *anyopaque) void {
            const self: *T = @ptrCast(@alignCast(p));
            if (@hasDecl(T, "deinit")) self.deinit();
            gpa.destroy(self);
        }
        fn fetch(p: *anyopaque, head: c.http_types_request_t, body: c.io_streams_input_stream_t, out: c.http_types_response_outparam_t) void {
            const self: *T = @ptrCast(@alignCast(p));
            in.serveOne(T.fetch, .{self}, head, body, out);
        }
        fn call(p: *anyopaque, state: *State, method: []const u8, args: []const Value) anyerror![]u8 {
            const self: *T = @ptrCast(@alignCast(p));
            inline for (@typeInfo(T).@"struct".decl_names) |decl| {
                if (comptime isRpc(T, decl)) {
                    if (std.mem.eql(u8, method, decl)) return invoke(T, decl, self, state, args);
                }
            }
            return state.throw(.TypeError, "The RPC receiver does not implement the method \"{s}\".", .{method});
        }
        fn alarm(p: *anyopaque, info: AlarmInfo) anyerror!void {
            return T.alarm(@ptrCast(@alignCast(p)), info);
        }
        fn message(p: *anyopaque, ws: WebSocket, m: Message) anyerror!void {
            return T.webSocketMessage(@ptrCast(@alignCast(p)), ws, m);
        }
        fn close(p: *anyopaque, ws: WebSocket, code: u16, reason: []const u8, clean: bool) anyerror!void {
            return T.webSocketClose(@ptrCast(@alignCast(p)), ws, code, reason, clean);
        }
        fn failed(p: *anyopaque, ws: WebSocket, reason: []const u8) anyerror!void {
            return T.webSocketError(@ptrCast(@alignCast(p)), ws, reason);
        }
    };
    if (!@hasDecl(T, "init")) @compileError("durable class " ++ name ++ ": " ++ @typeName(T) ++ " has no pub fn init(state: *bindery.durable.State)");
    return .{
        .name = name,
        .create = G.create,
        .destroy = G.destroy,
        .fetch = if (@hasDecl(T, "fetch")) G.fetch else null,
        .call = G.call,
        .alarm = if (@hasDecl(T, "alarm")) G.alarm else null,
        .message = if (@hasDecl(T, "webSocketMessage")) G.message else null,
        .close = if (@hasDecl(T, "webSocketClose")) G.close else null,
        .failed = if (@hasDecl(T, "webSocketError")) G.failed else null,
    };
}

/// invoke calls the RPC method T.name with args converted to its
/// parameters and returns its encoded result.
fn invoke(comptime T: type, comptime name: []const u8, self: *T, state: *State, args: []const Value) anyerror![]u8 {
    const f = @field(T, name);
    const params = @typeInfo(@TypeOf(f)).@"fn".param_types;
    const a = state.arena();
    var call_args: std.meta.ArgsTuple(@TypeOf(f)) = undefined;
    call_args[0] = self;
    var next: usize = 0;
    inline for (params[1..], 1..) |p, i| {
        const P = p orelse @compileError("durable: the RPC method " ++ name ++ " has a parameter of generic type");
        if (P == Allocator) {
            call_args[i] = a;
        } else if (P == *State) {
            call_args[i] = state;
        } else if (next < args.len) {
            var diag: structured.Diagnostics = .{};
            call_args[i] = structured.read(P, a, args[next], &diag) catch |err| switch (err) {
                error.Mismatch => return state.throw(.TypeError, "{s}: argument {d}{s}: {s}", .{ name, next + 1, diag.path(), diag.reason }),
                else => return err,
            };
            next += 1;
        } else if (P == Value) {
            call_args[i] = .undefined;
        } else if (@typeInfo(P) == .optional) {
            call_args[i] = null;
        } else {
            return state.throw(.TypeError, "{s}: missing argument {d}", .{ name, next + 1 });
        }
    }
    if (next < args.len) return state.throw(.TypeError, "{s} takes {d} arguments, got {d}", .{ name, next, args.len });
    const r = @call(.auto, f, call_args);
    const v = if (@typeInfo(@TypeOf(r)) == .error_union) try r else r;
    var diag: structured.Diagnostics = .{};
    return structured.encode(gpa, v, &diag) catch |err| switch (err) {
        error.OutOfMemory => return err,
        error.Unencodable => return state.throw(.Error, "{s}: the result cannot be encoded: {f}", .{ name, diag }),
    };
}

/// defineClasses exports the object events for the classes of classes (a
/// struct literal: each field's name is a class name, its value the type,
/// `.{ .Counter = Counter }`). build.sh's entry.zig calls it with the
/// root file's `durable_objects`.
pub fn defineClasses(comptime classes: anytype) void {
    const names = @typeInfo(@TypeOf(classes)).@"struct".field_names;
    const table = comptime blk: {
        var t: [names.len]Class = undefined;
        for (names, 0..) |name, i| t[i] = classOf(name, @field(classes, name));
        break :blk t;
    };
    const E = Exports(&table);
    @export(&E.describe, .{ .name = "exports_durable_object_describe" });
    @export(&E.fetch, .{ .name = "exports_durable_object_fetch" });
    @export(&E.call, .{ .name = "exports_durable_object_call" });
    @export(&E.alarm, .{ .name = "exports_durable_object_alarm" });
    @export(&E.message, .{ .name = "exports_durable_object_web_socket_message" });
    @export(&E.close, .{ .name = "exports_durable_object_web_socket_close" });
    @export(&E.failed, .{ .name = "exports_durable_object_web_socket_error" });
    @export(&E.evict, .{ .name = "exports_durable_object_evict" });
}

/// objects are the live objects, by class and id.
var objects: std.StringHashMapUnmanaged(*Live) = .empty;

/// Exports are the object events (generated-durable/durable_object.h
/// declares them; durable_object.c exports them to the host).
fn Exports(comptime table: []const Class) type {
    return struct {
        fn describe() callconv(.c) c.durable_object_module_info_t {
            // The bindings free the result: it is malloc'd.
            const names: [*]c.bindery_string_t = @ptrCast(@alignCast(std.c.malloc(@sizeOf(c.bindery_string_t) * table.len) orelse @panic("out of memory")));
            for (table, 0..) |cl, i| {
                const p: [*]u8 = @ptrCast(std.c.malloc(@max(cl.name.len, 1)) orelse @panic("out of memory"));
                @memcpy(p[0..cl.name.len], cl.name);
                names[i] = .{ .ptr = p, .len = cl.name.len };
            }
            // Each event's state is in its frame and arena: events may nest.
            return .{ .classes = .{ .ptr = names, .len = table.len }, .reentrant = true };
        }

        /// begin begins the event ev on the object of info, made (init)
        /// on its first event, as part of that event. The caller ends ev
        /// (ev.end) and, when begin succeeded, leaves the object (leave).
        fn begin(info: *const c.durable_types_object_info_t, ev: *Event) Error!*Live {
            in.clearLastError(); // an error of an earlier event is not this one's
            const class = str(info.class_name);
            const id = str(info.id);
            var kb: [320]u8 = undefined;
            const k = std.fmt.bufPrint(&kb, "{s}\x00{s}", .{ class, id }) catch
                return failWith(error.InvalidArgument, "durable: class name too long");
            if (objects.get(k)) |l| {
                if (!l.ready) return failFmt(error.Failed, "durable: object {s} of class {s} is still in its init", .{ id, class });
                ev.prev = l.state.event;
                l.state.event = ev;
                return l;
            }
            const cl = for (table) |*t| {
                if (std.mem.eql(u8, t.name, class)) break t;
            } else return failFmt(error.Failed, "durable: the Worker defines no class {s} (add it to durable_objects)", .{class});
            const l = try gpa.create(Live);
            errdefer gpa.destroy(l);
            const key = try gpa.dupe(u8, k);
            errdefer gpa.free(key);
            const name: ?[]u8 = if (info.name.is_some) try gpa.dupe(u8, str(info.name.val)) else null;
            errdefer if (name) |n| gpa.free(n);
            l.* = .{
                .state = .{ .id = .{ .hex = key[class.len + 1 ..], .name = name }, .class_name = key[0..class.len], .event = ev },
                .class = cl,
                .ptr = undefined,
                .key = key,
            };
            // In the table before init: an event nested in init's host
            // calls finds it not ready instead of making it twice.
            try objects.put(gpa, key, l);
            errdefer _ = objects.remove(key);
            l.ptr = cl.create(&l.state) catch |err| {
                if (err != error.Thrown) note("durable: {s} init returned error.{s} ({s})", .{ class, @errorName(err), bindery.lastError() });
                return if (err == error.Thrown) error.Thrown else error.Failed;
            };
            l.ready = true;
            return l;
        }

        /// leave ends ev's part on l: the object's event in progress is
        /// again the one ev was nested in.
        fn leave(l: *Live, ev: *Event) void {
            l.state.event = ev.prev;
            if (l.evicted and l.state.event == null) destroy(l);
        }

        /// drop takes l out of the table, and out of memory once no event
        /// of it is in progress.
        fn drop(l: *Live) void {
            _ = objects.remove(l.key);
            l.evicted = true;
            if (l.state.event == null) destroy(l);
        }

        fn destroy(l: *Live) void {
            if (l.ready) l.class.destroy(l.ptr);
            if (l.state.id.name) |n| gpa.free(n);
            gpa.free(l.key);
            gpa.destroy(l);
        }

        /// setThrown writes what err threw to out, in malloc'd memory.
        fn setThrown(ev: *const Event, err: anyerror, out: *c.durable_types_thrown_t) void {
            var name: []const u8 = "Error";
            var msg: []const u8 = undefined;
            var buf: [1024]u8 = undefined;
            if (ev.thrown != null and err == error.Thrown) {
                name = @tagName(ev.thrown.?.name);
                msg = ev.thrown.?.message;
            } else if (bindery.lastError().len > 0) {
                msg = std.fmt.bufPrint(&buf, "error.{s}: {s}", .{ @errorName(err), bindery.lastError() }) catch bindery.lastError();
            } else {
                msg = std.fmt.bufPrint(&buf, "error.{s}", .{@errorName(err)}) catch "error";
            }
            const ename = std.meta.stringToEnum(structured.ErrorName, name) orelse .Error;
            const value = structured.encode(gpa, Value{ .err = .{ .name = ename, .message = msg } }, null) catch null;
            out.* = .{
                .name = wit(gpa.dupe(u8, name) catch ""),
                .message = wit(gpa.dupe(u8, msg) catch ""),
                .value = if (value) |v| .{ .is_some = true, .val = witBytes(v) } else .{ .is_some = false },
            };
        }

        fn fetch(info_: c.durable_types_object_info_t, head: c.http_types_request_t, body: c.io_streams_input_stream_t, out: c.http_types_response_outparam_t) callconv(.c) void {
            var info = info_;
            defer c.durable_types_object_info_free(&info);
            var ev: Event = .{ .arena = .init(gpa) };
            defer ev.end();
            const l = begin(&info, &ev) catch |err| {
                if (err == error.Thrown) note("{s}: {s}", .{ @tagName(ev.thrown.?.name), ev.thrown.?.message });
                failRequest(head, body, out);
                return;
            };
            defer leave(l, &ev);
            const f = l.class.fetch orelse {
                note("durable: class {s} has no fetch handler", .{l.class.name});
                failRequest(head, body, out);
                return;
            };
            f(l.ptr, head, body, out);
        }

        /// failRequest fails a fetch event with lastError as the reason.
        fn failRequest(head: c.http_types_request_t, body: c.io_streams_input_stream_t, out: c.http_types_response_outparam_t) void {
            const H = struct {
                fn fail(_: *bindery.Request, res: *bindery.Response) !void {
                    res.fail(bindery.lastError());
                }
            };
            in.serveOne(H.fail, .{}, head, body, out);
        }

        fn call(info_: c.durable_types_object_info_t, method_: c.bindery_string_t, args_: c.bindery_list_u8_t, ret: *c.bindery_list_u8_t, thrown: *c.durable_types_thrown_t) callconv(.c) bool {
            var info = info_;
            var method = method_;
            var args = args_;
            defer {
                c.durable_types_object_info_free(&info);
                c.bindery_string_free(&method);
                c.bindery_list_u8_free(&args);
            }
            var ev: Event = .{ .arena = .init(gpa) };
            defer ev.end();
            // The result is written last: an event nested in this one's
            // host calls reuses the bindings' return area.
            const res = run(&info, &ev, str(method), bytesOf(args)) catch |err| {
                setThrown(&ev, err, thrown);
                return false;
            };
            ret.* = witBytes(res);
            return true;
        }

        fn run(info: *const c.durable_types_object_info_t, ev: *Event, method: []const u8, args: []const u8) anyerror![]u8 {
            const l = try begin(info, ev);
            defer leave(l, ev);
            const v = decodeValue(ev.arena.allocator(), "the arguments", args) catch
                return l.state.throw(.TypeError, "{s}: the arguments are not an encoded array: {s}", .{ method, bindery.lastError() });
            if (v != .array) return l.state.throw(.TypeError, "{s}: the arguments are not an array", .{method});
            return l.class.call(l.ptr, &l.state, method, v.array);
        }

        fn alarm(info_: c.durable_types_object_info_t, ai: c.durable_object_alarm_info_t, thrown: *c.durable_types_thrown_t) callconv(.c) bool {
            var info = info_;
            defer c.durable_types_object_info_free(&info);
            var ev: Event = .{ .arena = .init(gpa) };
            defer ev.end();
            runAlarm(&info, &ev, .{ .retry_count = ai.retry_count, .is_retry = ai.is_retry }) catch |err| {
                setThrown(&ev, err, thrown);
                return false;
            };
            return true;
        }

        fn runAlarm(info: *const c.durable_types_object_info_t, ev: *Event, ai: AlarmInfo) anyerror!void {
            const l = try begin(info, ev);
            defer leave(l, ev);
            const f = l.class.alarm orelse
                return failFmt(error.Failed, "durable: class {s} has no alarm handler", .{l.class.name});
            return f(l.ptr, ai);
        }

        /// socketEvent runs a web socket event: h becomes a WebSocket of
        /// the event, and the class's handler (if it has one) gets it.
        fn socketEvent(info_: c.durable_types_object_info_t, h: c.durable_state_web_socket_t, thrown: *c.durable_types_thrown_t, comptime handler: []const u8, extra: anytype) bool {
            var info = info_;
            defer c.durable_types_object_info_free(&info);
            var ev: Event = .{ .arena = .init(gpa) };
            defer ev.end();
            ev.sockets.append(gpa, h) catch {
                c.durable_state_web_socket_drop(h);
                setThrown(&ev, error.OutOfMemory, thrown);
                return false;
            };
            runSocket(&info, &ev, .{ .handle = h }, handler, extra) catch |err| {
                setThrown(&ev, err, thrown);
                return false;
            };
            return true;
        }

        fn runSocket(info: *const c.durable_types_object_info_t, ev: *Event, ws: WebSocket, comptime handler: []const u8, extra: anytype) anyerror!void {
            const l = try begin(info, ev);
            defer leave(l, ev);
            const f = @field(l.class, handler) orelse return;
            return @call(.auto, f, .{ l.ptr, ws } ++ extra);
        }

        fn message(info: c.durable_types_object_info_t, h: c.durable_state_web_socket_t, m_: c.durable_types_message_t, thrown: *c.durable_types_thrown_t) callconv(.c) bool {
            var m = m_;
            defer c.durable_types_message_free(&m);
            const msg: Message = if (m.tag == c.DURABLE_TYPES_MESSAGE_TEXT) .{ .text = str(m.val.text) } else .{ .binary = bytesOf(m.val.binary) };
            return socketEvent(info, h, thrown, "message", .{msg});
        }

        fn close(info: c.durable_types_object_info_t, h: c.durable_state_web_socket_t, code: u16, reason_: c.bindery_string_t, clean: bool, thrown: *c.durable_types_thrown_t) callconv(.c) bool {
            var reason = reason_;
            defer c.bindery_string_free(&reason);
            return socketEvent(info, h, thrown, "close", .{ code, str(reason), clean });
        }

        fn failed(info: c.durable_types_object_info_t, h: c.durable_state_web_socket_t, reason_: c.bindery_string_t, thrown: *c.durable_types_thrown_t) callconv(.c) bool {
            var reason = reason_;
            defer c.bindery_string_free(&reason);
            return socketEvent(info, h, thrown, "failed", .{str(reason)});
        }

        fn evict(info_: c.durable_types_object_info_t) callconv(.c) void {
            var info = info_;
            defer c.durable_types_object_info_free(&info);
            var kb: [320]u8 = undefined;
            const k = std.fmt.bufPrint(&kb, "{s}\x00{s}", .{ str(info.class_name), str(info.id) }) catch return;
            if (objects.get(k)) |l| drop(l);
        }
    };
}
