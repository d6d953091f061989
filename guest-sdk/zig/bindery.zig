//! Bindery's Zig SDK: write a Bindery Worker in Zig.
//!
//!     const bindery = @import("bindery");
//!
//!     pub fn fetch(req: *bindery.Request, res: *bindery.Response) !void {
//!         _ = req;
//!         try res.text(200, "hello from Zig\n");
//!     }
//!
//! The Worker's file declares `pub fn fetch(req: *Request, res: *Response)
//! !void`, which the SDK calls for every request. Build with
//! guest-sdk/zig/build.sh (Zig 0.17, wasm32-wasi reactor), whose entry.zig
//! exports it with `bindery.serve(fetch)`; see docs/sdk-zig.md.
//!
//! The bindings underneath are the C bindings generated from wit/ into
//! guest-sdk/c/generated/, compiled by `zig cc` and imported through
//! `zig translate-c` as the module "c" (build.sh does both), so the
//! Canonical ABI glue is generated code, and every layout is checked by the
//! generated _Static_asserts.
//!
//! # Memory
//!
//! Slices the SDK hands out without taking an allocator belong to the SDK:
//! request fields until `fetch` returns, vars for the life of the instance.
//! Functions that take an `std.mem.Allocator` return memory the caller owns
//! and frees with that allocator (`allocator.free(v)`, `obj.deinit(gpa)`).
//! `req.arena` is an arena freed when `fetch` returns: the simplest choice
//! inside a handler. Arguments are never kept.
//!
//! # Errors
//!
//! Fallible calls return `Error!T`; absence (a missing key or object) is
//! `null`, not an error. After an error, `lastError()` returns the host's
//! message, which names the key and the limit (e.g. KV's 512-byte keys).
//!
//! # Concurrency
//!
//! A Worker instance serves one request at a time; nothing here is
//! thread-safe, and nothing needs to be.
const std = @import("std");

/// The C bindings generated from wit/ (guest-sdk/c/generated/), as Zig
/// declarations. Use them for what the SDK does not wrap (KV
/// getWithMetadata/getMany, R2 list and multipart uploads).
pub const c = @import("c");

const Allocator = std.mem.Allocator;

/// gpa is the allocator behind the SDK's own state: libc's malloc, which
/// is also what cabi_realloc uses for everything the host hands in.
const gpa = std.heap.c_allocator;

/// buffer_size is how much of a response body is buffered before the SDK
/// starts streaming: a response that fits goes out in one host call.
pub const buffer_size = 64 * 1024;

/// read_size is the most one read asks the host for.
pub const read_size = 64 * 1024;

// ---- errors ----------------------------------------------------------------

/// Error is every failure a Bindery call can return; lastError() has the
/// host's message.
pub const Error = error{
    /// The config grants no binding of that name.
    NoSuchBinding,
    /// An invalid key or argument (empty, too long, out of range, bad digest).
    InvalidArgument,
    /// A value, object or metadata is over its limit.
    TooLarge,
    /// An R2 only-if condition failed.
    PreconditionFailed,
    /// The client or the stream has gone away.
    Closed,
    /// The response was already sent.
    AlreadySent,
    /// Anything else; see lastError().
    Failed,
    /// The Worker's memory is exhausted.
    OutOfMemory,
};

var last_error: std.ArrayList(u8) = .empty;

/// lastError returns the message of the last failed call ("" if none),
/// valid until the next failing call.
pub fn lastError() []const u8 {
    return last_error.items;
}

/// fail records msg as the last error and returns err.
fn fail(err: Error, msg: []const u8) Error {
    last_error.clearRetainingCapacity();
    last_error.appendSlice(gpa, msg) catch {};
    return err;
}

fn failFmt(err: Error, comptime format: []const u8, args: anytype) Error {
    last_error.clearRetainingCapacity();
    last_error.print(gpa, format, args) catch {};
    return err;
}

/// str views a WIT string the host returned (no copy).
fn str(s: c.bindery_string_t) []u8 {
    if (s.len == 0) return &.{};
    return s.ptr[0..s.len];
}

/// wit views a Zig slice as a WIT string or list<u8> argument (no copy).
fn wit(s: []const u8) c.bindery_string_t {
    return .{ .ptr = @constCast(s.ptr), .len = s.len };
}

fn witBytes(s: []const u8) c.bindery_list_u8_t {
    return .{ .ptr = @constCast(s.ptr), .len = s.len };
}

fn kvFail(e: *c.kv_store_error_t) Error {
    defer c.kv_store_error_free(e);
    const err: Error = switch (e.tag) {
        c.KV_STORE_ERROR_NO_SUCH_NAMESPACE => error.NoSuchBinding,
        c.KV_STORE_ERROR_INVALID_KEY, c.KV_STORE_ERROR_INVALID_ARGUMENT => error.InvalidArgument,
        c.KV_STORE_ERROR_TOO_LARGE => error.TooLarge,
        else => error.Failed,
    };
    // Every case carries its message as the same string member.
    return fail(err, str(e.val.internal));
}

fn r2Fail(e: *c.r2_bucket_error_t) Error {
    defer c.r2_bucket_error_free(e);
    const err: Error = switch (e.tag) {
        c.R2_BUCKET_ERROR_NO_SUCH_BUCKET => error.NoSuchBinding,
        c.R2_BUCKET_ERROR_INVALID_KEY,
        c.R2_BUCKET_ERROR_INVALID_ARGUMENT,
        c.R2_BUCKET_ERROR_INVALID_RANGE,
        c.R2_BUCKET_ERROR_BAD_DIGEST,
        => error.InvalidArgument,
        c.R2_BUCKET_ERROR_METADATA_TOO_LARGE, c.R2_BUCKET_ERROR_ENTITY_TOO_LARGE => error.TooLarge,
        else => error.Failed,
    };
    return fail(err, str(e.val.internal));
}

fn streamFail(e: *c.io_streams_stream_error_t) Error {
    if (e.tag == c.IO_STREAMS_STREAM_ERROR_CLOSED) return fail(error.Closed, "stream closed");
    defer c.io_streams_stream_error_free(e);
    return fail(error.Failed, str(e.val.failed));
}

fn httpFail(e: *c.http_types_error_t) Error {
    switch (e.tag) {
        c.HTTP_TYPES_ERROR_ALREADY_SENT => return fail(error.AlreadySent, "response already sent"),
        c.HTTP_TYPES_ERROR_INVALID_STATUS => return failFmt(error.InvalidArgument, "invalid status {d}", .{e.val.invalid_status}),
        c.HTTP_TYPES_ERROR_INVALID_HEADER => {
            defer c.http_types_error_free(e);
            return fail(error.InvalidArgument, str(e.val.invalid_header));
        },
        else => return fail(error.Closed, "client closed the connection"),
    }
}

// ---- streams ---------------------------------------------------------------

/// InputStream is a host byte stream the Worker reads: the request body,
/// or an R2 object's body.
pub const InputStream = struct {
    handle: c.io_streams_input_stream_t,
    /// The stream has ended.
    done: bool = false,
    /// The handle has moved to the host (an R2 put) or been closed.
    gone: bool = false,

    /// read reads up to buf.len bytes into buf and returns how many,
    /// blocking until at least one is there; 0 at the end of the stream.
    pub fn read(self: *InputStream, buf: []u8) Error!usize {
        if (self.done or self.gone or buf.len == 0) return 0;
        var chunk: c.bindery_list_u8_t = undefined;
        var err: c.io_streams_stream_error_t = undefined;
        const n: u32 = @intCast(@min(buf.len, read_size));
        if (!c.io_streams_input_stream_read(self.handle, n, &chunk, &err)) {
            if (err.tag == c.IO_STREAMS_STREAM_ERROR_CLOSED) {
                self.done = true;
                return 0;
            }
            return streamFail(&err);
        }
        defer c.bindery_list_u8_free(&chunk);
        const got = chunk.ptr[0..chunk.len];
        @memcpy(buf[0..got.len], got);
        return got.len;
    }

    /// readAll reads the rest of the stream into memory the caller owns;
    /// more than limit bytes is error.TooLarge.
    pub fn readAll(self: *InputStream, allocator: Allocator, limit: usize) Error![]u8 {
        var out: std.ArrayList(u8) = .empty;
        errdefer out.deinit(allocator);
        while (true) {
            try out.ensureUnusedCapacity(allocator, read_size);
            const n = try self.read(out.unusedCapacitySlice());
            if (n == 0) break;
            out.items.len += n;
            if (out.items.len > limit) return failFmt(error.TooLarge, "body over {d} bytes", .{limit});
        }
        return out.toOwnedSlice(allocator);
    }

    /// close releases the stream. The SDK closes the request body itself;
    /// close the bodies r2.Bucket.get returns (ObjectBody.deinit does).
    pub fn close(self: *InputStream) void {
        if (!self.gone) c.io_streams_input_stream_drop(self.handle);
        self.gone = true;
    }

    /// give hands the handle to the host (an own<input-stream> argument).
    fn give(self: *InputStream) Error!c.io_streams_input_stream_t {
        if (self.gone) return fail(error.Failed, "the stream is used up");
        self.gone = true;
        return self.handle;
    }
};

// ---- the request -----------------------------------------------------------

/// Header is one request header field: a lower-case name and its bytes.
pub const Header = struct {
    name: []const u8,
    value: []const u8,
};

/// Request is the incoming request. Its slices are valid until fetch returns.
pub const Request = struct {
    /// The method, e.g. "GET".
    method: []const u8,
    /// The absolute URL, e.g. "http://host/kv/a?x=1".
    url: []const u8,
    /// The URL's path, still %-escaped, e.g. "/kv/a".
    path: []const u8,
    /// The URL's query without '?', or "".
    query: []const u8,
    /// The body: read it with body.read / body.readAll, or hand it to
    /// res.splice or an R2 put.
    body: InputStream,
    /// An arena freed when fetch returns.
    arena: Allocator,
    fields: []const c.http_types_tuple2_string_list_u8_t,

    /// header returns the first value of the header name (any case), or null.
    pub fn header(self: *const Request, name: []const u8) ?[]const u8 {
        for (self.fields) |f| {
            if (std.ascii.eqlIgnoreCase(str(f.f0), name)) return str(.{ .ptr = f.f1.ptr, .len = f.f1.len });
        }
        return null;
    }

    /// headers returns the header fields in their order on the wire.
    pub fn headers(self: *const Request) HeaderIterator {
        return .{ .fields = self.fields };
    }

    /// is reports whether the request is method on exactly path.
    pub fn is(self: *const Request, method: []const u8, path: []const u8) bool {
        return std.mem.eql(u8, self.method, method) and std.mem.eql(u8, self.path, path);
    }

    /// suffix returns the rest of the path after prefix, or null.
    pub fn suffix(self: *const Request, prefix: []const u8) ?[]const u8 {
        if (!std.mem.startsWith(u8, self.path, prefix)) return null;
        return self.path[prefix.len..];
    }
};

/// HeaderIterator walks a request's header fields.
pub const HeaderIterator = struct {
    fields: []const c.http_types_tuple2_string_list_u8_t,
    i: usize = 0,

    /// next returns the next field, or null after the last.
    pub fn next(it: *HeaderIterator) ?Header {
        if (it.i >= it.fields.len) return null;
        const f = it.fields[it.i];
        it.i += 1;
        return .{ .name = str(f.f0), .value = str(.{ .ptr = f.f1.ptr, .len = f.f1.len }) };
    }
};

/// splitURL returns the path and query of an absolute URL ("http://h/p?q").
pub fn splitURL(url: []const u8) struct { path: []const u8, query: []const u8 } {
    var rest = url;
    if (std.mem.indexOf(u8, url, "://")) |i| {
        const after = url[i + 3 ..];
        const j = std.mem.indexOfAny(u8, after, "/?") orelse after.len;
        rest = after[j..];
    }
    const q = std.mem.indexOfScalar(u8, rest, '?');
    const path = rest[0 .. q orelse rest.len];
    return .{
        .path = if (path.len == 0) "/" else path,
        .query = if (q) |k| rest[k + 1 ..] else "",
    };
}

// ---- the response ----------------------------------------------------------

/// Response is where fetch writes its one response. Whatever it has not
/// sent when fetch returns is sent then (status 200 by default).
pub const Response = struct {
    out: c.http_types_response_outparam_t,
    status: u16 = 200,
    fields: std.ArrayList(c.http_types_tuple2_string_list_u8_t) = .empty,
    buf: std.ArrayList(u8) = .empty,
    /// The head is out; the body streams through stream.
    stream: ?c.io_streams_output_stream_t = null,
    failed: bool = false,
    arena: Allocator,

    /// setStatus sets the status (default 200) before anything is sent.
    pub fn setStatus(self: *Response, status: u16) void {
        if (self.stream == null) self.status = status;
    }

    /// header adds a header field before anything is sent.
    pub fn header(self: *Response, name: []const u8, value: []const u8) Error!void {
        if (self.stream != null) return fail(error.AlreadySent, "response already sent");
        // The host wants lower-case names.
        const k = try std.ascii.allocLowerString(self.arena, name);
        const v = try self.arena.dupe(u8, value);
        try self.fields.append(self.arena, .{ .f0 = wit(k), .f1 = witBytes(v) });
    }

    /// write appends to the body. The first 64 KiB are buffered, then the
    /// head goes out and the body streams.
    pub fn write(self: *Response, bytes: []const u8) Error!void {
        if (self.failed) return fail(error.Closed, "response failed");
        if (self.stream == null and self.buf.items.len + bytes.len <= buffer_size) {
            try self.buf.appendSlice(gpa, bytes);
            return;
        }
        try self.start();
        var p = bytes;
        while (p.len > 0) {
            const n = @min(p.len, buffer_size);
            try self.send(p[0..n]);
            p = p[n..];
        }
    }

    /// print writes formatted text (std.fmt) to the body.
    pub fn print(self: *Response, comptime format: []const u8, args: anytype) Error!void {
        var bw = self.writer(&.{});
        bw.interface.print(format, args) catch return bw.err orelse error.Failed;
    }

    /// writer returns a std.Io.Writer onto the body, for code that writes
    /// to one (std.json.Stringify, print):
    ///
    ///     var bw = res.writer(&.{}); // the response buffers already
    ///     try std.json.Stringify.value(v, .{}, &bw.interface);
    ///
    /// With a non-empty buffer, flush bw.interface before fetch returns.
    /// After error.WriteFailed, bw.err is the Bindery error.
    pub fn writer(self: *Response, buffer: []u8) BodyWriter {
        return .{ .res = self, .interface = .{ .vtable = &.{ .drain = BodyWriter.drain }, .buffer = buffer } };
    }

    /// text sets the status, Content-Type text/plain and writes s.
    pub fn text(self: *Response, status: u16, s: []const u8) Error!void {
        self.setStatus(status);
        try self.header("content-type", "text/plain; charset=utf-8");
        try self.write(s);
    }

    /// json is text with Content-Type application/json.
    pub fn json(self: *Response, status: u16, s: []const u8) Error!void {
        self.setStatus(status);
        try self.header("content-type", "application/json");
        try self.write(s);
    }

    /// flush sends the head and everything written so far now.
    pub fn flush(self: *Response) Error!void {
        try self.start();
        var err: c.io_streams_stream_error_t = undefined;
        if (!c.io_streams_output_stream_flush(self.stream.?, &err)) {
            self.failed = true;
            return streamFail(&err);
        }
    }

    /// splice sends the rest of body as the response body inside the host:
    /// the bytes never enter the Worker's memory. It returns how many moved.
    /// The caller still closes body (the request body closes by itself).
    pub fn splice(self: *Response, body: *InputStream) Error!u64 {
        if (self.failed) return fail(error.Closed, "response failed");
        try self.start();
        if (body.done or body.gone) return 0;
        const all: u64 = 1 << 62;
        var n: u64 = 0;
        var err: c.io_streams_stream_error_t = undefined;
        if (!c.io_streams_output_stream_splice(self.stream.?, body.handle, all, &n, &err)) {
            body.done = true;
            if (err.tag == c.IO_STREAMS_STREAM_ERROR_CLOSED) return 0;
            self.failed = true;
            return streamFail(&err);
        }
        body.done = n < all;
        return n;
    }

    /// start sends the head and what is buffered; the rest streams.
    fn start(self: *Response) Error!void {
        if (self.stream != null) return;
        if (self.failed) return fail(error.Closed, "response failed");
        var s: c.io_streams_output_stream_t = undefined;
        var err: c.http_types_error_t = undefined;
        if (!c.http_types_response_outparam_send(self.out, self.status, self.witFields(), &s, &err)) {
            self.failed = true;
            return httpFail(&err);
        }
        self.stream = s;
        if (self.buf.items.len > 0) {
            defer self.buf.clearRetainingCapacity();
            try self.send(self.buf.items);
        }
    }

    fn send(self: *Response, bytes: []const u8) Error!void {
        var err: c.io_streams_stream_error_t = undefined;
        if (!c.io_streams_output_stream_write(self.stream.?, witBytes(bytes), &err)) {
            self.failed = true;
            return streamFail(&err);
        }
    }

    fn witFields(self: *Response) c.http_types_fields_t {
        return .{ .ptr = self.fields.items.ptr, .len = self.fields.items.len };
    }

    /// finish sends what fetch has not sent and ends the response.
    fn finish(self: *Response) void {
        if (self.stream) |s| {
            if (self.buf.items.len > 0 and !self.failed) self.send(self.buf.items) catch {};
            c.io_streams_output_stream_drop(s); // ends the body
        } else if (!self.failed) {
            var err: c.http_types_error_t = undefined;
            if (!c.http_types_response_outparam_send_full(self.out, self.status, self.witFields(), witBytes(self.buf.items), &err)) {
                const failed: Error!void = httpFail(&err);
                failed catch {}; // recorded for lastError; nobody is left to tell
            }
        }
        self.buf.deinit(gpa);
        c.http_types_response_outparam_drop(self.out);
    }
};

/// BodyWriter is a std.Io.Writer (its interface field) onto a response body.
pub const BodyWriter = struct {
    res: *Response,
    /// Why the last write failed with error.WriteFailed.
    err: ?Error = null,
    interface: std.Io.Writer,

    fn drain(w: *std.Io.Writer, data: []const []const u8, splat: usize) std.Io.Writer.Error!usize {
        const self: *BodyWriter = @alignCast(@fieldParentPtr("interface", w));
        self.put(w.buffer[0..w.end]) catch return error.WriteFailed;
        w.end = 0;
        var n: usize = 0;
        for (data[0 .. data.len - 1]) |d| {
            self.put(d) catch return error.WriteFailed;
            n += d.len;
        }
        const last = data[data.len - 1];
        for (0..splat) |_| {
            self.put(last) catch return error.WriteFailed;
            n += last.len;
        }
        return n;
    }

    fn put(self: *BodyWriter, bytes: []const u8) Error!void {
        if (bytes.len == 0) return;
        self.res.write(bytes) catch |err| {
            self.err = err;
            return err;
        };
    }
};

// ---- serving ---------------------------------------------------------------

/// serve makes fetch the Worker's fetch handler: it exports the handler
/// the generated bindings call. build.sh's entry.zig calls it with the
/// fetch of your root file; if you build another way, write
/// `comptime { bindery.serve(fetch); }` once in your root file.
pub fn serve(comptime fetch: anytype) void {
    const H = struct {
        fn handle(head: c.http_types_request_t, body: c.io_streams_input_stream_t, out: c.http_types_response_outparam_t) callconv(.c) void {
            serveOne(fetch, head, body, out);
        }
    };
    @export(&H.handle, .{ .name = "exports_http_handler_handle" });
}

/// serveOne serves one request with fetch: the body of the export
/// (generated/http_handler.h declares it; http_handler.c exports it to the
/// host as bindery:http/handler@0.1.0#handle).
fn serveOne(comptime fetch: anytype, head: c.http_types_request_t, body: c.io_streams_input_stream_t, out: c.http_types_response_outparam_t) void {
    var h = head;
    defer c.http_types_request_free(&h);
    var arena_state = std.heap.ArenaAllocator.init(gpa);
    defer arena_state.deinit();
    const arena = arena_state.allocator();
    const url = str(head.url);
    const parts = splitURL(url);
    var req: Request = .{
        .method = str(head.method),
        .url = url,
        .path = parts.path,
        .query = parts.query,
        .body = .{ .handle = body },
        .arena = arena,
        .fields = if (head.headers.len == 0) &.{} else head.headers.ptr[0..head.headers.len],
    };
    defer req.body.close();
    var res: Response = .{ .out = out, .arena = arena };
    defer res.finish();
    fetch(&req, &res) catch |err| {
        // An error fetch did not handle: a 500 naming it, if nothing is out yet.
        if (res.stream == null and !res.failed) {
            res.fields.clearRetainingCapacity();
            res.buf.clearRetainingCapacity();
            const msg = lastError();
            const s = if (msg.len > 0)
                std.fmt.allocPrint(arena, "{s}: {s}\n", .{ @errorName(err), msg }) catch @errorName(err)
            else
                std.fmt.allocPrint(arena, "{s}\n", .{@errorName(err)}) catch @errorName(err);
            res.text(500, s) catch {};
        }
    };
}

// ---- bindings, opened once per instance -------------------------------------

/// Opened caches binding handles by name for the life of the instance.
fn Opened(comptime Handle: type) type {
    return struct {
        const Entry = struct { name: []u8, handle: Handle };
        var entries: std.ArrayList(Entry) = .empty;

        fn find(name: []const u8) ?Handle {
            for (entries.items) |e| if (std.mem.eql(u8, e.name, name)) return e.handle;
            return null;
        }

        fn remember(name: []const u8, h: Handle) Error!void {
            const n = try gpa.dupe(u8, name);
            errdefer gpa.free(n);
            try entries.append(gpa, .{ .name = n, .handle = h });
        }
    };
}

// ---- KV --------------------------------------------------------------------

/// kv is Workers KV: a namespace per binding in the Worker's config.
pub const kv = struct {
    const opened = Opened(c.kv_store_namespace_t);

    /// PutOptions are the optional parts of a put.
    pub const PutOptions = struct {
        /// Absolute expiry, seconds since the Unix epoch.
        expiration: ?u64 = null,
        /// Expiry in seconds from now (at least 60).
        expiration_ttl: ?u64 = null,
        /// Metadata as JSON text.
        metadata: ?[]const u8 = null,
    };

    /// open returns the namespace bound to binding (e.g. "STORE"); handles
    /// are cached for the life of the instance.
    pub fn open(binding: []const u8) Error!Namespace {
        if (opened.find(binding)) |h| return .{ .handle = h };
        var h: c.kv_store_namespace_t = undefined;
        var err: c.kv_store_error_t = undefined;
        if (!c.kv_store_namespace_open(wit(binding), &h, &err)) return kvFail(&err);
        try opened.remember(binding, h);
        return .{ .handle = h };
    }

    /// Namespace is an open KV binding.
    pub const Namespace = struct {
        handle: c.kv_store_namespace_t,

        /// get returns the value of key (the caller's, from allocator), or null.
        pub fn get(ns: Namespace, allocator: Allocator, key: []const u8) Error!?[]u8 {
            var v: c.kv_store_option_list_u8_t = undefined;
            var err: c.kv_store_error_t = undefined;
            if (!c.kv_store_namespace_get(ns.handle, wit(key), &v, &err)) return kvFail(&err);
            if (!v.is_some) return null;
            defer c.kv_store_option_list_u8_free(&v);
            if (v.val.len == 0) return try allocator.alloc(u8, 0);
            return try allocator.dupe(u8, v.val.ptr[0..v.val.len]);
        }

        /// put stores value under key.
        pub fn put(ns: Namespace, key: []const u8, value: []const u8) Error!void {
            return ns.putWith(key, value, .{});
        }

        /// putWith is put with options (expiration, TTL, metadata).
        pub fn putWith(ns: Namespace, key: []const u8, value: []const u8, opts: PutOptions) Error!void {
            var o: c.kv_store_put_options_t = .{};
            if (opts.expiration) |e| o.expiration = .{ .is_some = true, .val = e };
            if (opts.expiration_ttl) |t| o.expiration_ttl = .{ .is_some = true, .val = t };
            if (opts.metadata) |m| o.metadata = .{ .is_some = true, .val = wit(m) };
            var err: c.kv_store_error_t = undefined;
            if (!c.kv_store_namespace_put(ns.handle, wit(key), witBytes(value), o, &err)) return kvFail(&err);
        }

        /// delete deletes key; a missing key is not an error.
        pub fn delete(ns: Namespace, key: []const u8) Error!void {
            var err: c.kv_store_error_t = undefined;
            if (!c.kv_store_namespace_delete(ns.handle, wit(key), &err)) return kvFail(&err);
        }

        /// list returns up to limit key names starting with prefix, in byte
        /// order (one page: at most 1000), in memory the caller owns: free
        /// it with freeNames.
        pub fn list(ns: Namespace, allocator: Allocator, prefix: []const u8, limit: u32) Error![][]u8 {
            var o: c.kv_store_list_options_t = .{};
            if (prefix.len > 0) o.prefix = .{ .is_some = true, .val = wit(prefix) };
            if (limit > 0) o.limit = .{ .is_some = true, .val = limit };
            var r: c.kv_store_list_result_t = undefined;
            var err: c.kv_store_error_t = undefined;
            if (!c.kv_store_namespace_list_keys(ns.handle, o, &r, &err)) return kvFail(&err);
            defer c.kv_store_list_result_free(&r);
            const keys = if (r.keys.len == 0) &[_]c.kv_store_key_info_t{} else r.keys.ptr[0..r.keys.len];
            const names = try allocator.alloc([]u8, keys.len);
            var i: usize = 0;
            errdefer {
                for (names[0..i]) |n| allocator.free(n);
                allocator.free(names);
            }
            while (i < keys.len) : (i += 1) names[i] = try allocator.dupe(u8, str(keys[i].name));
            return names;
        }
    };

    /// freeNames frees what Namespace.list returned.
    pub fn freeNames(allocator: Allocator, names: [][]u8) void {
        for (names) |n| allocator.free(n);
        allocator.free(names);
    }
};

// ---- vars and secrets ------------------------------------------------------

/// vars are the Worker's variables and secrets ([vars], .dev.vars, --var).
pub const vars = struct {
    /// Value is one variable: its kind and its text.
    pub const Value = union(enum) {
        /// A text variable.
        text: []const u8,
        /// A JSON variable, as JSON text.
        json: []const u8,
        /// A secret.
        secret: []const u8,

        /// string returns the text whatever the kind.
        pub fn string(v: Value) []const u8 {
            return switch (v) {
                inline else => |s| s,
            };
        }
    };

    const Entry = struct { name: []u8, value: ?Value };
    // Vars do not change during an instance's life: each is looked up once.
    var cache: std.ArrayList(Entry) = .empty;

    /// lookup returns the variable name, or null. The slice is the SDK's,
    /// valid for the life of the instance. It panics when the Worker is
    /// out of memory (as the host's own allocations in the Worker do).
    pub fn lookup(name: []const u8) ?Value {
        for (cache.items) |e| if (std.mem.eql(u8, e.name, name)) return e.value;
        var got = c.config_vars_get(wit(name));
        var v: ?Value = null;
        if (got.is_some) {
            // Every case is a string in the same place; the entry keeps it.
            const s = str(got.val.val.text);
            v = switch (got.val.tag) {
                c.CONFIG_VARS_VALUE_JSON => .{ .json = s },
                c.CONFIG_VARS_VALUE_SECRET => .{ .secret = s },
                else => .{ .text = s },
            };
        }
        const n = gpa.dupe(u8, name) catch @panic("out of memory");
        cache.append(gpa, .{ .name = n, .value = v }) catch {
            gpa.free(n);
            c.config_vars_option_value_free(&got);
            @panic("out of memory");
        };
        return v;
    }

    /// get returns the variable or secret name (a JSON variable as its
    /// JSON text), or null.
    pub fn get(name: []const u8) ?[]const u8 {
        const v = lookup(name) orelse return null;
        return v.string();
    }

    /// secret returns the secret name, or null (also for a plain variable).
    pub fn secret(name: []const u8) ?[]const u8 {
        const v = lookup(name) orelse return null;
        return switch (v) {
            .secret => |s| s,
            else => null,
        };
    }
};

// ---- R2 --------------------------------------------------------------------

/// r2 is R2-style object storage: a bucket per binding in the Worker's config.
pub const r2 = struct {
    const opened = Opened(c.r2_bucket_bucket_t);

    /// Object is an object's metadata, in memory the caller owns: free it
    /// with deinit.
    pub const Object = struct {
        key: []u8,
        /// The hex md5 without quotes (multipart: md5-of-md5s "-" parts).
        etag: []u8,
        size: u64,
        /// Upload time, milliseconds since the Unix epoch.
        uploaded: u64,
        /// Null when not set.
        content_type: ?[]u8,

        fn from(allocator: Allocator, o: *const c.r2_bucket_object_t) Allocator.Error!Object {
            const key = try allocator.dupe(u8, str(o.key));
            errdefer allocator.free(key);
            const etag = try allocator.dupe(u8, str(o.etag));
            errdefer allocator.free(etag);
            const ct = o.http_metadata.content_type;
            return .{
                .key = key,
                .etag = etag,
                .size = o.size,
                .uploaded = o.uploaded,
                .content_type = if (ct.is_some) try allocator.dupe(u8, str(ct.val)) else null,
            };
        }

        /// deinit frees the object's strings.
        pub fn deinit(self: *Object, allocator: Allocator) void {
            allocator.free(self.key);
            allocator.free(self.etag);
            if (self.content_type) |ct| allocator.free(ct);
            self.* = undefined;
        }
    };

    /// ObjectBody is an object and its body: read body, or pass it to
    /// res.splice; deinit closes it.
    pub const ObjectBody = struct {
        object: Object,
        /// Null when a precondition failed (R2's onlyIf).
        body: ?InputStream,

        /// deinit frees the object and closes the body.
        pub fn deinit(self: *ObjectBody, allocator: Allocator) void {
            self.object.deinit(allocator);
            if (self.body) |*b| b.close();
        }
    };

    /// Body is what a put stores: bytes, or a stream the host reads to its
    /// end without passing it through the Worker (e.g. &req.body).
    pub const Body = union(enum) {
        bytes: []const u8,
        stream: *InputStream,
    };

    /// Range is a part of an object: suffix alone (the last bytes), or
    /// offset and optionally length.
    pub const Range = struct {
        offset: ?u64 = null,
        length: ?u64 = null,
        suffix: ?u64 = null,
    };

    /// PutOptions are the optional parts of a put.
    pub const PutOptions = struct {
        content_type: ?[]const u8 = null,
        /// The md5 the bytes must have (error.InvalidArgument if not).
        md5: ?[16]u8 = null,
    };

    /// GetOptions are the optional parts of a get.
    pub const GetOptions = struct {
        range: ?Range = null,
    };

    /// open returns the bucket bound to binding (e.g. "FILES"); handles are
    /// cached for the life of the instance.
    pub fn open(binding: []const u8) Error!Bucket {
        if (opened.find(binding)) |h| return .{ .handle = h };
        var h: c.r2_bucket_bucket_t = undefined;
        var err: c.r2_bucket_error_t = undefined;
        if (!c.r2_bucket_bucket_open(wit(binding), &h, &err)) return r2Fail(&err);
        try opened.remember(binding, h);
        return .{ .handle = h };
    }

    fn opt(v: ?u64) c.r2_bucket_option_u64_t {
        return if (v) |x| .{ .is_some = true, .val = x } else .{};
    }

    /// Bucket is an open R2 binding.
    pub const Bucket = struct {
        handle: c.r2_bucket_bucket_t,

        /// head returns key's metadata, or null.
        pub fn head(b: Bucket, allocator: Allocator, key: []const u8) Error!?Object {
            var res: c.r2_bucket_option_object_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_head(b.handle, wit(key), &res, &err)) return r2Fail(&err);
            if (!res.is_some) return null;
            defer c.r2_bucket_object_free(&res.val);
            return try Object.from(allocator, &res.val);
        }

        /// get returns key's metadata and body, or null.
        pub fn get(b: Bucket, allocator: Allocator, key: []const u8, opts: GetOptions) Error!?ObjectBody {
            var o: c.r2_bucket_get_options_t = .{};
            if (opts.range) |r| o.range = .{ .is_some = true, .val = .{ .offset = opt(r.offset), .length = opt(r.length), .suffix = opt(r.suffix) } };
            var res: c.r2_bucket_option_object_body_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_get(b.handle, wit(key), o, &res, &err)) return r2Fail(&err);
            if (!res.is_some) return null;
            var body: ?InputStream = if (res.val.body.is_some) .{ .handle = res.val.body.val } else null;
            errdefer if (body) |*s| s.close();
            defer c.r2_bucket_object_free(&res.val.object);
            return .{ .object = try Object.from(allocator, &res.val.object), .body = body };
        }

        /// put stores body under key and returns the stored object's
        /// metadata. A stream body is used up (and closed) either way.
        pub fn put(b: Bucket, allocator: Allocator, key: []const u8, body: Body, opts: PutOptions) Error!Object {
            var v: c.r2_bucket_body_t = .{};
            switch (body) {
                .bytes => |bytes| {
                    v.tag = c.R2_BUCKET_BODY_BYTES;
                    v.val.bytes = witBytes(bytes);
                },
                .stream => |s| {
                    // own<input-stream>: the handle moves to the host.
                    v.tag = c.R2_BUCKET_BODY_STREAM;
                    v.val.stream = try s.give();
                },
            }
            var o: c.r2_bucket_put_options_t = .{};
            if (opts.content_type) |ct| o.http_metadata = .{ .is_some = true, .val = .{ .content_type = .{ .is_some = true, .val = wit(ct) } } };
            var md5 = opts.md5;
            if (md5) |*m| o.checksums.md5 = .{ .is_some = true, .val = witBytes(m) };
            var res: c.r2_bucket_option_object_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_put(b.handle, wit(key), v, o, &res, &err)) return r2Fail(&err);
            if (!res.is_some) return fail(error.PreconditionFailed, "precondition failed");
            defer c.r2_bucket_object_free(&res.val);
            return try Object.from(allocator, &res.val);
        }

        /// writer starts a put whose bytes the Worker writes piece by piece.
        pub fn writer(b: Bucket, key: []const u8, opts: PutOptions) Error!ObjectWriter {
            var o: c.r2_bucket_put_options_t = .{};
            if (opts.content_type) |ct| o.http_metadata = .{ .is_some = true, .val = .{ .content_type = .{ .is_some = true, .val = wit(ct) } } };
            var md5 = opts.md5;
            if (md5) |*m| o.checksums.md5 = .{ .is_some = true, .val = witBytes(m) };
            var w: c.r2_bucket_object_writer_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_put_writer(b.handle, wit(key), o, &w, &err)) return r2Fail(&err);
            return .{ .handle = w };
        }

        /// delete deletes key; a missing key is not an error.
        pub fn delete(b: Bucket, key: []const u8) Error!void {
            var k = wit(key);
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_delete(b.handle, .{ .ptr = &k, .len = 1 }, &err)) return r2Fail(&err);
        }
    };

    /// ObjectWriter is a put in progress: write, then finish (or abort).
    pub const ObjectWriter = struct {
        handle: c.r2_bucket_object_writer_t,
        done: bool = false,

        /// write appends bytes to the object.
        pub fn write(w: *ObjectWriter, bytes: []const u8) Error!void {
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_object_writer_write(w.handle, witBytes(bytes), &err)) return r2Fail(&err);
        }

        /// finish stores the object and returns its metadata.
        pub fn finish(w: *ObjectWriter, allocator: Allocator) Error!Object {
            defer w.abort();
            var res: c.r2_bucket_option_object_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_object_writer_finish(w.handle, &res, &err)) return r2Fail(&err);
            if (!res.is_some) return fail(error.PreconditionFailed, "precondition failed");
            defer c.r2_bucket_object_free(&res.val);
            return try Object.from(allocator, &res.val);
        }

        /// abort drops the writer: without finish, the put is abandoned.
        pub fn abort(w: *ObjectWriter) void {
            if (!w.done) c.r2_bucket_object_writer_drop(w.handle);
            w.done = true;
        }
    };
};
