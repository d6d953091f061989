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
//! !void`, which the SDK calls for every request, and, when it consumes a
//! queue or has cron triggers, `pub fn queue(batch: *queue.Batch) !void`
//! and `pub fn scheduled(controller: *ScheduledController) !void`. Build with
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
//! Strings cross to the host only as valid UTF-8 (the host would end the
//! request and discard the instance on anything else): a key, binding
//! name, header name, metadata or option, SQL text, D1 text value or
//! bookmark that is not valid UTF-8 (a path decoded from %FF, a header
//! value copied into R2 metadata) is refused
//! with error.InvalidArgument before any host call, and vars finds no
//! variable by such a name.
//!
//! # Failing a request
//!
//! An error that fetch returns fails the request through the host: the
//! host logs it once (the error's name, lastError() and the error return
//! trace when the build has one) and answers 500 without it, or, when the
//! response had started streaming, cuts the connection, so that the client
//! sees a truncated body, never one that looks complete. res.fail(reason)
//! does the same with a reason of the Worker's own. The instance stays in
//! service; a trap (@trap(), unreachable, a panic, a stack overflow) costs
//! it.
//!
//! # Concurrency
//!
//! A Worker instance serves one request at a time; nothing here is
//! thread-safe, and nothing needs to be.
const std = @import("std");

/// sdk is this file, for internal's aliases.
const sdk = @This();

/// The C bindings generated from wit/ (guest-sdk/c/generated/), as Zig
/// declarations. Use them for what the SDK does not wrap (KV
/// getWithMetadata/getMany).
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

/// structured is the structured-value encoding that Durable Objects'
/// storage values, RPC arguments and results, socket attachments and
/// thrown values use (structured.zig: `Value`, `encode`, `decode`).
pub const structured = @import("structured.zig");

/// durable is Durable Objects (durable.zig): namespaces, ids and stubs for
/// any Worker; classes, their State and storage for a Worker that defines
/// them (`pub const durable_objects`).
pub const durable = @import("durable.zig");

/// queue is Queues (queue.zig): producer bindings for any Worker; batches
/// and messages for a Worker that consumes a queue (`pub fn queue(batch:
/// *bindery.queue.Batch) !void` in its root file).
pub const queue = @import("queue.zig");

/// scheduled is cron triggers (scheduled.zig): a Worker with cron triggers
/// declares `pub fn scheduled(controller: *bindery.ScheduledController)
/// !void` in its root file.
pub const scheduled = @import("scheduled.zig");

/// ScheduledController is a cron trigger's event (scheduled.Controller).
pub const ScheduledController = scheduled.Controller;

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
    /// An R2 multipart upload was completed, aborted or never existed.
    NoSuchUpload,
    /// An R2 part to complete is missing, has another etag, is out of
    /// order, or is too small (every part but the last at least 5 MiB, all
    /// the same size).
    InvalidPart,
    /// An R2 range starts past the end of the object.
    InvalidRange,
    /// SQLite refused or failed a D1 statement (a syntax error, a missing
    /// table, a constraint).
    Sql,
    /// A D1 limit: 100 parameters, a 100 KB statement, a 2 MB value or
    /// row, 100 columns, the query time, the database size.
    LimitExceeded,
    /// A D1 statement would reach outside the database (ATTACH, VACUUM, a
    /// PRAGMA outside D1's list) or control transactions (BEGIN, COMMIT).
    /// For Durable Objects: SQL on a KV-backed class, a statement the
    /// authorizer refuses, a state call outside an object's event, a call
    /// to another object while a transaction is open.
    Refused,
    /// A Durable Object's method threw (durable.Stub.call; the Thrown
    /// diagnostics have the error's name and message).
    Thrown,
    /// A Durable Object's event failed without an answer: a trap, its
    /// deadline, an abort, the object reset.
    ObjectFailed,
    /// A Durable Object transaction was used out of order (committed or
    /// rolled back twice, or with one begun inside it still open).
    Transaction,
};

var last_error: std.ArrayList(u8) = .empty;

/// lastError returns the message of the last failed call ("" if none),
/// valid until the next failing call.
pub fn lastError() []const u8 {
    return last_error.items;
}

/// failWith records msg as the last error and returns err.
fn failWith(err: Error, msg: []const u8) Error {
    last_error.clearRetainingCapacity();
    last_error.appendSlice(gpa, msg) catch {};
    return err;
}

fn failFmt(err: Error, comptime format: []const u8, args: anytype) Error {
    last_error.clearRetainingCapacity();
    last_error.print(gpa, format, args) catch {};
    return err;
}

/// checkUtf8 refuses s (what names it, e.g. "kv: key") with
/// error.InvalidArgument when it is not valid UTF-8: strings reach the host
/// only as valid UTF-8 (the Canonical ABI's rule; the host traps on
/// anything else, which ends the request and discards the instance).
fn checkUtf8(what: []const u8, s: []const u8) Error!void {
    if (std.unicode.utf8ValidateSlice(s)) return;
    return failFmt(error.InvalidArgument, "{s} \"{f}\" is not valid UTF-8", .{ what, std.zig.fmtString(s[0..@min(s.len, 64)]) });
}

/// checkUtf8Opt is checkUtf8 for an optional string.
fn checkUtf8Opt(what: []const u8, s: ?[]const u8) Error!void {
    if (s) |v| try checkUtf8(what, v);
}

/// checkUtf8All is checkUtf8 for each of ss.
fn checkUtf8All(what: []const u8, ss: []const []const u8) Error!void {
    for (ss) |s| try checkUtf8(what, s);
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
    return failWith(err, str(e.val.internal));
}

fn r2Fail(e: *c.r2_bucket_error_t) Error {
    defer c.r2_bucket_error_free(e);
    const err: Error = switch (e.tag) {
        c.R2_BUCKET_ERROR_NO_SUCH_BUCKET => error.NoSuchBinding,
        c.R2_BUCKET_ERROR_INVALID_KEY,
        c.R2_BUCKET_ERROR_INVALID_ARGUMENT,
        c.R2_BUCKET_ERROR_BAD_DIGEST,
        => error.InvalidArgument,
        c.R2_BUCKET_ERROR_INVALID_RANGE => error.InvalidRange,
        c.R2_BUCKET_ERROR_METADATA_TOO_LARGE, c.R2_BUCKET_ERROR_ENTITY_TOO_LARGE => error.TooLarge,
        c.R2_BUCKET_ERROR_NO_SUCH_UPLOAD => error.NoSuchUpload,
        c.R2_BUCKET_ERROR_INVALID_PART,
        c.R2_BUCKET_ERROR_INVALID_PART_ORDER,
        c.R2_BUCKET_ERROR_ENTITY_TOO_SMALL,
        => error.InvalidPart,
        else => error.Failed,
    };
    return failWith(err, str(e.val.internal));
}

fn d1Fail(e: *c.d1_database_error_t) Error {
    defer c.d1_database_error_free(e);
    const err: Error = switch (e.tag) {
        c.D1_DATABASE_ERROR_NO_SUCH_DATABASE => error.NoSuchBinding,
        c.D1_DATABASE_ERROR_SQL => error.Sql,
        c.D1_DATABASE_ERROR_LIMIT => error.LimitExceeded,
        c.D1_DATABASE_ERROR_REFUSED => error.Refused,
        c.D1_DATABASE_ERROR_INVALID_ARGUMENT => error.InvalidArgument,
        else => error.Failed,
    };
    // Every case carries its message as the same string member.
    return failWith(err, str(e.val.internal));
}

fn streamFail(e: *c.io_streams_stream_error_t) Error {
    if (e.tag == c.IO_STREAMS_STREAM_ERROR_CLOSED) return failWith(error.Closed, "stream closed");
    defer c.io_streams_stream_error_free(e);
    return failWith(error.Failed, str(e.val.failed));
}

fn httpFail(e: *c.http_types_error_t) Error {
    switch (e.tag) {
        c.HTTP_TYPES_ERROR_ALREADY_SENT => return failWith(error.AlreadySent, "response already sent"),
        c.HTTP_TYPES_ERROR_INVALID_STATUS => return failFmt(error.InvalidArgument, "invalid status {d}", .{e.val.invalid_status}),
        c.HTTP_TYPES_ERROR_INVALID_HEADER => {
            defer c.http_types_error_free(e);
            return failWith(error.InvalidArgument, str(e.val.invalid_header));
        },
        else => return failWith(error.Closed, "client closed the connection"),
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
        if (self.gone) return failWith(error.Failed, "the stream is used up");
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
    /// Nothing more can be sent.
    failed: bool = false,
    /// The request failed (fail, or an error from fetch).
    ended: bool = false,
    /// out went to the host (durable.FetchResponse.send forwarded a web
    /// socket upgrade): it is not dropped.
    out_moved: bool = false,
    arena: Allocator,

    /// max_reason bounds what a failed request sends to the host's log.
    pub const max_reason = 16 * 1024;

    /// fail ends the request as failed (an error the Worker cannot
    /// answer): the host logs reason once, with the request, and answers
    /// 500 — the client never sees reason — or, when the response has
    /// started streaming (more than 64 KiB written, a flush or a splice),
    /// cuts the connection, so that the client sees a truncated body rather
    /// than one that looks complete. reason is cut to max_reason bytes and
    /// bytes that are not UTF-8 become U+FFFD; "" fails without a log
    /// record. Nothing is sent after it (writes return error.Closed); the
    /// instance stays in service. Returning an error from fetch does the
    /// same with the error's name as the reason.
    pub fn fail(self: *Response, reason: []const u8) void {
        if (self.ended) return;
        self.ended = true;
        self.failed = true;
        self.buf.clearRetainingCapacity();
        var out: std.ArrayList(u8) = .empty;
        defer out.deinit(gpa);
        var rest = reason;
        while (rest.len > 0 and out.items.len < max_reason) {
            const n = std.unicode.utf8ByteSequenceLength(rest[0]) catch 0;
            if (n == 0 or n > rest.len or !std.unicode.utf8ValidateSlice(rest[0..n])) {
                out.appendSlice(gpa, "\u{FFFD}") catch break;
                rest = rest[1..];
            } else {
                out.appendSlice(gpa, rest[0..n]) catch break;
                rest = rest[n..];
            }
        }
        c.http_types_response_outparam_fail(self.out, wit(out.items));
    }

    /// setStatus sets the status (default 200) before anything is sent.
    pub fn setStatus(self: *Response, status: u16) void {
        if (self.stream == null) self.status = status;
    }

    /// header adds a header field before anything is sent.
    pub fn header(self: *Response, name: []const u8, value: []const u8) Error!void {
        if (self.stream != null or self.ended) return failWith(error.AlreadySent, "response already sent");
        try checkUtf8("header name", name);
        // The host wants lower-case names.
        const k = try std.ascii.allocLowerString(self.arena, name);
        const v = try self.arena.dupe(u8, value);
        try self.fields.append(self.arena, .{ .f0 = wit(k), .f1 = witBytes(v) });
    }

    /// write appends to the body. The first 64 KiB are buffered, then the
    /// head goes out and the body streams.
    pub fn write(self: *Response, bytes: []const u8) Error!void {
        if (self.failed) return failWith(error.Closed, "response failed");
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
        if (self.failed) return failWith(error.Closed, "response failed");
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
        if (self.failed) return failWith(error.Closed, "response failed");
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

    /// hostAnswered records that the host answered through out (a web
    /// socket accepted or forwarded): nothing more is sent, and out is not
    /// dropped when moved.
    fn hostAnswered(self: *Response, moved: bool) void {
        self.failed = true;
        self.ended = true;
        self.out_moved = moved;
    }

    /// finish sends what fetch has not sent and ends the response.
    fn finish(self: *Response) void {
        if (self.stream) |s| {
            // After fail the host has ended the body, unfinished.
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
        if (!self.out_moved) c.http_types_response_outparam_drop(self.out);
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
            serveOne(fetch, .{}, head, body, out);
        }
    };
    @export(&H.handle, .{ .name = "exports_http_handler_handle" });
}

/// serveOne serves one request with fetch, called with args and then the
/// request and response: the body of the export (generated/http_handler.h
/// declares it; http_handler.c exports it to the host as
/// bindery:http/handler@0.1.0#handle), and of a Durable Object's fetch.
fn serveOne(comptime fetch: anytype, args: anytype, head: c.http_types_request_t, body: c.io_streams_input_stream_t, out: c.http_types_response_outparam_t) void {
    var h = head;
    defer c.http_types_request_free(&h);
    last_error.clearRetainingCapacity(); // an error of an earlier request is not this one's
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
    @call(.auto, fetch, args ++ .{ &req, &res }) catch |err| {
        // An error fetch did not handle fails the request (a 500, or an
        // aborted stream), logged once by the host with what we know of it.
        res.fail(errorReason(arena, &req, err, @errorReturnTrace()));
    };
}

/// errorReason says why fetch failed, for the host's log: the request,
/// the error's name, the message of the last failed SDK call, and the
/// error return trace's addresses when the build keeps one (Debug and
/// ReleaseSafe; build.sh builds ReleaseSmall, which does not).
fn errorReason(arena: Allocator, req: *const Request, err: anyerror, trace: ?*std.builtin.StackTrace) []const u8 {
    var w: std.ArrayList(u8) = .empty;
    w.print(arena, "fetch {s} {s} returned error.{s}", .{ req.method, req.path, @errorName(err) }) catch return @errorName(err);
    if (lastError().len > 0) w.print(arena, " (last SDK error: {s})", .{lastError()}) catch {};
    if (trace) |t| {
        const n = @min(t.index, t.instruction_addresses.len);
        if (n > 0) w.appendSlice(arena, "\nerror return trace:") catch {};
        for (t.instruction_addresses[0..n]) |a| w.print(arena, " 0x{x}", .{a}) catch {};
    }
    return w.items;
}

/// internal is what the SDK's other files (durable.zig) use of this one;
/// it is not API.
pub const internal = struct {
    pub const Opened = sdk.Opened;
    pub const failWith = sdk.failWith;
    pub const failFmt = sdk.failFmt;
    pub const checkUtf8 = sdk.checkUtf8;
    pub const checkUtf8All = sdk.checkUtf8All;
    pub const str = sdk.str;
    pub const wit = sdk.wit;
    pub const witBytes = sdk.witBytes;
    pub const serveOne = sdk.serveOne;

    /// clearLastError forgets the last error: a new event's errors are its own.
    pub fn clearLastError() void {
        last_error.clearRetainingCapacity();
    }

    /// hostAnswered: see Response.hostAnswered.
    pub fn hostAnswered(res: *Response, moved: bool) void {
        res.hostAnswered(moved);
    }
};

// ---- bindings, opened once per instance -------------------------------------

/// Opened caches binding handles by name for the life of the instance.
fn Opened(comptime Handle: type) type {
    return struct {
        const Entry = struct { name: []u8, handle: Handle };
        var entries: std.ArrayList(Entry) = .empty;

        pub fn find(name: []const u8) ?Handle {
            for (entries.items) |e| if (std.mem.eql(u8, e.name, name)) return e.handle;
            return null;
        }

        pub fn remember(name: []const u8, h: Handle) Error!void {
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
        try checkUtf8("kv: binding name", binding);
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
            try checkUtf8("kv: key", key);
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
            try checkUtf8("kv: key", key);
            try checkUtf8Opt("kv: metadata", opts.metadata);
            var o: c.kv_store_put_options_t = .{};
            if (opts.expiration) |e| o.expiration = .{ .is_some = true, .val = e };
            if (opts.expiration_ttl) |t| o.expiration_ttl = .{ .is_some = true, .val = t };
            if (opts.metadata) |m| o.metadata = .{ .is_some = true, .val = wit(m) };
            var err: c.kv_store_error_t = undefined;
            if (!c.kv_store_namespace_put(ns.handle, wit(key), witBytes(value), o, &err)) return kvFail(&err);
        }

        /// delete deletes key; a missing key is not an error.
        pub fn delete(ns: Namespace, key: []const u8) Error!void {
            try checkUtf8("kv: key", key);
            var err: c.kv_store_error_t = undefined;
            if (!c.kv_store_namespace_delete(ns.handle, wit(key), &err)) return kvFail(&err);
        }

        /// list returns up to limit key names starting with prefix, in byte
        /// order (one page: at most 1000), in memory the caller owns: free
        /// it with freeNames.
        pub fn list(ns: Namespace, allocator: Allocator, prefix: []const u8, limit: u32) Error![][]u8 {
            try checkUtf8("kv: list prefix", prefix);
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
        // A name that is not valid UTF-8 could not cross to the host: no variable.
        if (!std.unicode.utf8ValidateSlice(name)) return null;
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

/// r2 is R2-style object storage: a bucket per binding in the Worker's
/// config. It mirrors the Workers R2 API (docs/r2.md) in Zig's idiom:
/// head, get, put, delete, list and multipart uploads, with httpMetadata,
/// customMetadata, checksums, onlyIf and ranges. Options are read during
/// the call and never kept.
pub const r2 = struct {
    const opened = Opened(c.r2_bucket_bucket_t);

    /// HttpMetadata is the HTTP headers stored with an object. In an
    /// Object the strings are the Object's (deinit frees them).
    pub const HttpMetadata = struct {
        content_type: ?[]const u8 = null,
        content_language: ?[]const u8 = null,
        content_disposition: ?[]const u8 = null,
        content_encoding: ?[]const u8 = null,
        cache_control: ?[]const u8 = null,
        /// Expires, in milliseconds since the Unix epoch.
        cache_expiry: ?u64 = null,

        fn toWit(m: HttpMetadata) c.r2_bucket_http_metadata_t {
            return .{
                .content_type = optStr(m.content_type),
                .content_language = optStr(m.content_language),
                .content_disposition = optStr(m.content_disposition),
                .content_encoding = optStr(m.content_encoding),
                .cache_control = optStr(m.cache_control),
                .cache_expiry = opt(m.cache_expiry),
            };
        }

        fn from(allocator: Allocator, h: *const c.r2_bucket_http_metadata_t) Allocator.Error!HttpMetadata {
            var m: HttpMetadata = .{ .cache_expiry = if (h.cache_expiry.is_some) h.cache_expiry.val else null };
            errdefer m.deinit(allocator);
            m.content_type = try dupeOpt(allocator, h.content_type);
            m.content_language = try dupeOpt(allocator, h.content_language);
            m.content_disposition = try dupeOpt(allocator, h.content_disposition);
            m.content_encoding = try dupeOpt(allocator, h.content_encoding);
            m.cache_control = try dupeOpt(allocator, h.cache_control);
            return m;
        }

        fn deinit(m: *HttpMetadata, allocator: Allocator) void {
            inline for (.{ "content_type", "content_language", "content_disposition", "content_encoding", "cache_control" }) |f| {
                if (@field(m, f)) |v| allocator.free(v);
                @field(m, f) = null;
            }
        }
    };

    /// Pair is one custom metadata entry.
    pub const Pair = struct {
        key: []const u8,
        value: []const u8,
    };

    /// Checksums are digests of an object's bytes.
    pub const Checksums = struct {
        md5: ?[16]u8 = null,
        sha1: ?[20]u8 = null,
        sha256: ?[32]u8 = null,
        sha384: ?[48]u8 = null,
        sha512: ?[64]u8 = null,

        const fields = .{ "md5", "sha1", "sha256", "sha384", "sha512" };

        /// toWit views the sums (which must outlive the call) as WIT options.
        fn toWit(self: *const Checksums) c.r2_bucket_checksums_t {
            var w: c.r2_bucket_checksums_t = .{};
            inline for (fields) |f| {
                if (@field(self, f)) |*sum| @field(w, f) = .{ .is_some = true, .val = witBytes(sum) };
            }
            return w;
        }

        fn from(w: *const c.r2_bucket_checksums_t) Checksums {
            var self: Checksums = .{};
            inline for (fields) |f| {
                const o = @field(w, f);
                if (o.is_some) {
                    var sum: @typeInfo(@TypeOf(@field(self, f))).optional.child = @splat(0);
                    const n = @min(sum.len, o.val.len);
                    if (n > 0) @memcpy(sum[0..n], o.val.ptr[0..n]);
                    @field(self, f) = sum;
                }
            }
            return self;
        }
    };

    /// Range is a part of an object: suffix alone (the last bytes), or
    /// offset and optionally length (to the end when null).
    pub const Range = struct {
        offset: ?u64 = null,
        length: ?u64 = null,
        suffix: ?u64 = null,
    };

    /// Conditional is R2's onlyIf, evaluated in HTTP's order (etag_matches,
    /// else uploaded_before; then etag_does_not_match, else
    /// uploaded_after). Etags are unquoted; "*" matches any object.
    pub const Conditional = struct {
        etag_matches: []const []const u8 = &.{},
        etag_does_not_match: []const []const u8 = &.{},
        /// Milliseconds since the Unix epoch.
        uploaded_before: ?u64 = null,
        uploaded_after: ?u64 = null,
        seconds_granularity: bool = false,
    };

    /// Object is an object's metadata, in memory the caller owns: free it
    /// with deinit.
    pub const Object = struct {
        key: []u8,
        version: []u8,
        /// The hex md5 without quotes (multipart: md5-of-md5s "-" parts).
        etag: []u8,
        size: u64,
        /// Upload time, milliseconds since the Unix epoch.
        uploaded: u64,
        http_metadata: HttpMetadata,
        /// Sorted by key.
        custom_metadata: []Pair,
        checksums: Checksums,
        storage_class: []u8,
        /// For a ranged get: the bytes the body holds.
        range: ?Range,

        fn from(allocator: Allocator, o: *const c.r2_bucket_object_t) Allocator.Error!Object {
            var self: Object = .{
                .key = &.{},
                .version = &.{},
                .etag = &.{},
                .size = o.size,
                .uploaded = o.uploaded,
                .http_metadata = .{},
                .custom_metadata = &.{},
                .checksums = Checksums.from(&o.checksums),
                .storage_class = &.{},
                .range = null,
            };
            errdefer self.deinit(allocator);
            self.key = try allocator.dupe(u8, str(o.key));
            self.version = try allocator.dupe(u8, str(o.version));
            self.etag = try allocator.dupe(u8, str(o.etag));
            self.storage_class = try allocator.dupe(u8, str(o.storage_class));
            self.http_metadata = try HttpMetadata.from(allocator, &o.http_metadata);
            const pairs = if (o.custom_metadata.len == 0) &[_]c.r2_bucket_tuple2_string_string_t{} else o.custom_metadata.ptr[0..o.custom_metadata.len];
            const cm = try allocator.alloc(Pair, pairs.len);
            var n: usize = 0;
            errdefer {
                for (cm[0..n]) |p| {
                    allocator.free(p.key);
                    allocator.free(p.value);
                }
                allocator.free(cm);
            }
            while (n < pairs.len) : (n += 1) {
                const k = try allocator.dupe(u8, str(pairs[n].f0));
                errdefer allocator.free(k);
                cm[n] = .{ .key = k, .value = try allocator.dupe(u8, str(pairs[n].f1)) };
            }
            self.custom_metadata = cm;
            if (o.range.is_some) {
                const r = o.range.val;
                self.range = .{
                    .offset = if (r.offset.is_some) r.offset.val else null,
                    .length = if (r.length.is_some) r.length.val else null,
                    .suffix = if (r.suffix.is_some) r.suffix.val else null,
                };
            }
            return self;
        }

        /// customMetadata returns the custom metadata value of key, or null.
        pub fn customMetadata(self: *const Object, key: []const u8) ?[]const u8 {
            for (self.custom_metadata) |p| if (std.mem.eql(u8, p.key, key)) return p.value;
            return null;
        }

        /// deinit frees the object's strings.
        pub fn deinit(self: *Object, allocator: Allocator) void {
            allocator.free(self.key);
            allocator.free(self.version);
            allocator.free(self.etag);
            allocator.free(self.storage_class);
            self.http_metadata.deinit(allocator);
            for (self.custom_metadata) |p| {
                allocator.free(p.key);
                allocator.free(p.value);
            }
            allocator.free(self.custom_metadata);
            self.* = undefined;
        }
    };

    /// ObjectBody is an object and its body: read body, or pass it to
    /// res.splice; deinit closes it.
    pub const ObjectBody = struct {
        object: Object,
        /// Null when only_if failed (R2's onlyIf): answer 304 or 412.
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

        /// toWit lowers the body; a stream's handle moves to the host.
        fn toWit(body: Body) Error!c.r2_bucket_body_t {
            var v: c.r2_bucket_body_t = .{};
            switch (body) {
                .bytes => |bytes| {
                    v.tag = c.R2_BUCKET_BODY_BYTES;
                    v.val.bytes = witBytes(bytes);
                },
                .stream => |s| {
                    v.tag = c.R2_BUCKET_BODY_STREAM;
                    v.val.stream = try s.give();
                },
            }
            return v;
        }
    };

    /// PutOptions are the optional parts of a put.
    pub const PutOptions = struct {
        http_metadata: ?HttpMetadata = null,
        custom_metadata: []const Pair = &.{},
        /// Checksums the bytes must have (md5 and at most one SHA): a
        /// mismatch is error.InvalidArgument ("bad digest") and stores nothing.
        checksums: Checksums = .{},
        /// Failing is error.PreconditionFailed and stores nothing.
        only_if: ?Conditional = null,
        storage_class: ?[]const u8 = null,
    };

    /// GetOptions are the optional parts of a get.
    pub const GetOptions = struct {
        /// Failing returns the object without a body.
        only_if: ?Conditional = null,
        range: ?Range = null,
    };

    /// ListOptions are the options of a list.
    pub const ListOptions = struct {
        /// 1 to 1000; null: 1000.
        limit: ?u32 = null,
        prefix: ?[]const u8 = null,
        /// From the previous page (Objects.cursor).
        cursor: ?[]const u8 = null,
        delimiter: ?[]const u8 = null,
        start_after: ?[]const u8 = null,
        /// Workers' include: fill these fields of the listed objects.
        include: struct { http_metadata: bool = false, custom_metadata: bool = false } = .{},
    };

    /// Objects is one page of a list, in memory the caller owns: free it
    /// with deinit. Loop while truncated, passing cursor.
    pub const Objects = struct {
        objects: []Object,
        truncated: bool,
        cursor: ?[]u8,
        delimited_prefixes: [][]u8,

        /// deinit frees the page.
        pub fn deinit(self: *Objects, allocator: Allocator) void {
            for (self.objects) |*o| o.deinit(allocator);
            allocator.free(self.objects);
            if (self.cursor) |cur| allocator.free(cur);
            for (self.delimited_prefixes) |p| allocator.free(p);
            allocator.free(self.delimited_prefixes);
            self.* = undefined;
        }
    };

    /// MultipartOptions apply to the object a multipart upload makes.
    pub const MultipartOptions = struct {
        http_metadata: ?HttpMetadata = null,
        custom_metadata: []const Pair = &.{},
        storage_class: ?[]const u8 = null,
    };

    /// UploadedPart is a stored part. From uploadPart its etag is the
    /// caller's (deinit); to complete, any slice will do.
    pub const UploadedPart = struct {
        part_number: u32,
        etag: []const u8,

        /// deinit frees the etag of a part uploadPart returned.
        pub fn deinit(self: *UploadedPart, allocator: Allocator) void {
            allocator.free(self.etag);
            self.* = undefined;
        }

        fn from(allocator: Allocator, p: *c.r2_bucket_uploaded_part_t) Allocator.Error!UploadedPart {
            defer c.r2_bucket_uploaded_part_free(p);
            return .{ .part_number = p.part_number, .etag = try allocator.dupe(u8, str(p.etag)) };
        }
    };

    /// open returns the bucket bound to binding (e.g. "FILES"); handles are
    /// cached for the life of the instance.
    pub fn open(binding: []const u8) Error!Bucket {
        if (opened.find(binding)) |h| return .{ .handle = h };
        try checkUtf8("r2: binding name", binding);
        var h: c.r2_bucket_bucket_t = undefined;
        var err: c.r2_bucket_error_t = undefined;
        if (!c.r2_bucket_bucket_open(wit(binding), &h, &err)) return r2Fail(&err);
        try opened.remember(binding, h);
        return .{ .handle = h };
    }

    fn opt(v: ?u64) c.r2_bucket_option_u64_t {
        return if (v) |x| .{ .is_some = true, .val = x } else .{};
    }

    fn optStr(v: ?[]const u8) c.r2_bucket_option_string_t {
        return if (v) |x| .{ .is_some = true, .val = wit(x) } else .{};
    }

    fn dupeOpt(allocator: Allocator, v: c.r2_bucket_option_string_t) Allocator.Error!?[]const u8 {
        return if (v.is_some) try allocator.dupe(u8, str(v.val)) else null;
    }

    /// witStrings views strings as a WIT list in memory from gpa (free it
    /// with gpa.free(list.ptr[0..list.len]) when len > 0).
    fn witStrings(v: []const []const u8) Error!c.r2_bucket_list_string_t {
        if (v.len == 0) return .{};
        const a = try gpa.alloc(c.bindery_string_t, v.len);
        for (v, a) |s, *w| w.* = wit(s);
        return .{ .ptr = a.ptr, .len = a.len };
    }

    fn witPairs(v: []const Pair) Error!c.r2_bucket_list_tuple2_string_string_t {
        if (v.len == 0) return .{};
        const a = try gpa.alloc(c.r2_bucket_tuple2_string_string_t, v.len);
        for (v, a) |p, *w| w.* = .{ .f0 = wit(p.key), .f1 = wit(p.value) };
        return .{ .ptr = a.ptr, .len = a.len };
    }

    fn freeList(list: anytype) void {
        if (list.len > 0) gpa.free(list.ptr[0..list.len]);
    }

    fn witConditional(cond: ?Conditional) Error!c.r2_bucket_option_conditional_t {
        const cd = cond orelse return .{};
        const matches = try witStrings(cd.etag_matches);
        errdefer freeList(matches);
        return .{ .is_some = true, .val = .{
            .etag_matches = matches,
            .etag_does_not_match = try witStrings(cd.etag_does_not_match),
            .uploaded_before = opt(cd.uploaded_before),
            .uploaded_after = opt(cd.uploaded_after),
            .seconds_granularity = cd.seconds_granularity,
        } };
    }

    fn freeConditional(cond: c.r2_bucket_option_conditional_t) void {
        if (!cond.is_some) return;
        freeList(cond.val.etag_matches);
        freeList(cond.val.etag_does_not_match);
    }

    fn checkHttp(m: ?HttpMetadata) Error!void {
        const h = m orelse return;
        try checkUtf8Opt("r2: content type", h.content_type);
        try checkUtf8Opt("r2: content language", h.content_language);
        try checkUtf8Opt("r2: content disposition", h.content_disposition);
        try checkUtf8Opt("r2: content encoding", h.content_encoding);
        try checkUtf8Opt("r2: cache control", h.cache_control);
    }

    fn checkPairs(ps: []const Pair) Error!void {
        for (ps) |p| {
            try checkUtf8("r2: custom metadata key", p.key);
            try checkUtf8("r2: custom metadata value", p.value);
        }
    }

    fn checkConditional(cond: ?Conditional) Error!void {
        const cd = cond orelse return;
        try checkUtf8All("r2: etag", cd.etag_matches);
        try checkUtf8All("r2: etag", cd.etag_does_not_match);
    }

    /// checkPut refuses put options with a string that could not cross to
    /// the host (header values copied from a request may be any bytes).
    fn checkPut(opts: *const PutOptions) Error!void {
        try checkHttp(opts.http_metadata);
        try checkPairs(opts.custom_metadata);
        try checkConditional(opts.only_if);
        try checkUtf8Opt("r2: storage class", opts.storage_class);
    }

    /// WitPut is PutOptions lowered for one call: free it with deinit.
    const WitPut = struct {
        o: c.r2_bucket_put_options_t,

        fn init(opts: *const PutOptions) Error!WitPut {
            try checkPut(opts);
            var o: c.r2_bucket_put_options_t = .{};
            if (opts.http_metadata) |m| o.http_metadata = .{ .is_some = true, .val = m.toWit() };
            o.checksums = opts.checksums.toWit();
            o.storage_class = optStr(opts.storage_class);
            o.custom_metadata = try witPairs(opts.custom_metadata);
            errdefer freeList(o.custom_metadata);
            o.only_if = try witConditional(opts.only_if);
            return .{ .o = o };
        }

        fn deinit(self: *WitPut) void {
            freeList(self.o.custom_metadata);
            freeConditional(self.o.only_if);
        }
    };

    /// Bucket is an open R2 binding.
    pub const Bucket = struct {
        handle: c.r2_bucket_bucket_t,

        /// head returns key's metadata, or null.
        pub fn head(b: Bucket, allocator: Allocator, key: []const u8) Error!?Object {
            try checkUtf8("r2: key", key);
            var res: c.r2_bucket_option_object_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_head(b.handle, wit(key), &res, &err)) return r2Fail(&err);
            if (!res.is_some) return null;
            defer c.r2_bucket_object_free(&res.val);
            return try Object.from(allocator, &res.val);
        }

        /// get returns key's metadata and body, or null. When opts.only_if
        /// fails, the body is null.
        pub fn get(b: Bucket, allocator: Allocator, key: []const u8, opts: GetOptions) Error!?ObjectBody {
            try checkUtf8("r2: key", key);
            try checkConditional(opts.only_if);
            var o: c.r2_bucket_get_options_t = .{};
            if (opts.range) |r| {
                o.range = .{ .is_some = true, .val = if (r.suffix) |n|
                    .{ .suffix = opt(n) }
                else
                    .{ .offset = opt(r.offset orelse 0), .length = opt(r.length) } };
            }
            o.only_if = try witConditional(opts.only_if);
            defer freeConditional(o.only_if);
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
        /// metadata; error.PreconditionFailed when opts.only_if fails. A
        /// stream body is used up (and closed) either way.
        pub fn put(b: Bucket, allocator: Allocator, key: []const u8, body: Body, opts: PutOptions) Error!Object {
            const v = try body.toWit();
            checkUtf8("r2: key", key) catch |e| {
                if (v.tag == c.R2_BUCKET_BODY_STREAM) c.io_streams_input_stream_drop(v.val.stream);
                return e;
            };
            var o = WitPut.init(&opts) catch |e| {
                if (v.tag == c.R2_BUCKET_BODY_STREAM) c.io_streams_input_stream_drop(v.val.stream);
                return e;
            };
            defer o.deinit();
            var res: c.r2_bucket_option_object_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_put(b.handle, wit(key), v, o.o, &res, &err)) return r2Fail(&err);
            if (!res.is_some) return failWith(error.PreconditionFailed, "precondition failed");
            defer c.r2_bucket_object_free(&res.val);
            return try Object.from(allocator, &res.val);
        }

        /// writer starts a put whose bytes the Worker writes piece by piece.
        pub fn writer(b: Bucket, key: []const u8, opts: PutOptions) Error!ObjectWriter {
            try checkUtf8("r2: key", key);
            var o = try WitPut.init(&opts);
            defer o.deinit();
            var w: c.r2_bucket_object_writer_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_put_writer(b.handle, wit(key), o.o, &w, &err)) return r2Fail(&err);
            return .{ .handle = w };
        }

        /// delete deletes key; a missing key is not an error.
        pub fn delete(b: Bucket, key: []const u8) Error!void {
            return b.deleteMany(&.{key});
        }

        /// deleteMany deletes up to 1000 keys in one call; missing keys are
        /// not an error.
        pub fn deleteMany(b: Bucket, keys: []const []const u8) Error!void {
            try checkUtf8All("r2: key", keys);
            const ks = try witStrings(keys);
            defer freeList(ks);
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_delete(b.handle, ks, &err)) return r2Fail(&err);
        }

        /// list returns one page of objects in key order.
        pub fn list(b: Bucket, allocator: Allocator, opts: ListOptions) Error!Objects {
            try checkUtf8Opt("r2: list prefix", opts.prefix);
            try checkUtf8Opt("r2: list cursor", opts.cursor);
            try checkUtf8Opt("r2: list delimiter", opts.delimiter);
            try checkUtf8Opt("r2: list start_after", opts.start_after);
            const o: c.r2_bucket_list_options_t = .{
                .limit = if (opts.limit) |l| .{ .is_some = true, .val = l } else .{},
                .prefix = optStr(opts.prefix),
                .cursor = optStr(opts.cursor),
                .delimiter = optStr(opts.delimiter),
                .start_after = optStr(opts.start_after),
                .include_http_metadata = opts.include.http_metadata,
                .include_custom_metadata = opts.include.custom_metadata,
            };
            var r: c.r2_bucket_list_result_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_list_objects(b.handle, o, &r, &err)) return r2Fail(&err);
            defer c.r2_bucket_list_result_free(&r);
            const wobjs = if (r.objects.len == 0) &[_]c.r2_bucket_object_t{} else r.objects.ptr[0..r.objects.len];
            const wprefixes = if (r.delimited_prefixes.len == 0) &[_]c.bindery_string_t{} else r.delimited_prefixes.ptr[0..r.delimited_prefixes.len];
            var out: Objects = .{ .objects = &.{}, .truncated = r.truncated, .cursor = null, .delimited_prefixes = &.{} };
            const objs = try allocator.alloc(Object, wobjs.len);
            var n: usize = 0;
            errdefer {
                for (objs[0..n]) |*obj| obj.deinit(allocator);
                allocator.free(objs);
            }
            while (n < wobjs.len) : (n += 1) objs[n] = try Object.from(allocator, &wobjs[n]);
            const prefixes = try allocator.alloc([]u8, wprefixes.len);
            var m: usize = 0;
            errdefer {
                for (prefixes[0..m]) |p| allocator.free(p);
                allocator.free(prefixes);
            }
            while (m < wprefixes.len) : (m += 1) prefixes[m] = try allocator.dupe(u8, str(wprefixes[m]));
            if (r.cursor.is_some) out.cursor = try allocator.dupe(u8, str(r.cursor.val));
            out.objects = objs;
            out.delimited_prefixes = prefixes;
            return out;
        }

        /// createMultipartUpload starts a multipart upload of key.
        pub fn createMultipartUpload(b: Bucket, allocator: Allocator, key: []const u8, opts: MultipartOptions) Error!MultipartUpload {
            try checkUtf8("r2: key", key);
            try checkHttp(opts.http_metadata);
            try checkPairs(opts.custom_metadata);
            try checkUtf8Opt("r2: storage class", opts.storage_class);
            var o: c.r2_bucket_multipart_options_t = .{};
            if (opts.http_metadata) |m| o.http_metadata = .{ .is_some = true, .val = m.toWit() };
            o.storage_class = optStr(opts.storage_class);
            o.custom_metadata = try witPairs(opts.custom_metadata);
            defer freeList(o.custom_metadata);
            var h: c.r2_bucket_multipart_upload_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_bucket_create_multipart_upload(b.handle, wit(key), o, &h, &err)) return r2Fail(&err);
            errdefer c.r2_bucket_multipart_upload_drop(h);
            var id = c.r2_bucket_multipart_upload_upload_id(h);
            defer c.bindery_string_free(&id);
            return MultipartUpload.init(allocator, h, key, str(id));
        }

        /// resumeMultipartUpload continues an upload by its id, e.g. in a
        /// later request. It does not check that the upload exists: its
        /// calls return error.NoSuchUpload if not.
        pub fn resumeMultipartUpload(b: Bucket, allocator: Allocator, key: []const u8, upload_id: []const u8) Error!MultipartUpload {
            try checkUtf8("r2: key", key);
            try checkUtf8("r2: upload id", upload_id);
            const h = c.r2_bucket_bucket_resume_multipart_upload(b.handle, wit(key), wit(upload_id));
            errdefer c.r2_bucket_multipart_upload_drop(h);
            return MultipartUpload.init(allocator, h, key, upload_id);
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
            if (!res.is_some) return failWith(error.PreconditionFailed, "precondition failed");
            defer c.r2_bucket_object_free(&res.val);
            return try Object.from(allocator, &res.val);
        }

        /// abort drops the writer: without finish, the put is abandoned.
        pub fn abort(w: *ObjectWriter) void {
            if (!w.done) c.r2_bucket_object_writer_drop(w.handle);
            w.done = true;
        }
    };

    /// MultipartUpload is an incomplete multipart upload. Keep upload_id to
    /// resume it in a later request; deinit releases the handle (the upload
    /// itself stays until complete or abort).
    pub const MultipartUpload = struct {
        handle: c.r2_bucket_multipart_upload_t,
        key: []u8,
        upload_id: []u8,

        fn init(allocator: Allocator, h: c.r2_bucket_multipart_upload_t, key: []const u8, id: []const u8) Error!MultipartUpload {
            const k = try allocator.dupe(u8, key);
            errdefer allocator.free(k);
            return .{ .handle = h, .key = k, .upload_id = try allocator.dupe(u8, id) };
        }

        /// uploadPart stores part n (1 to 10000) from bytes or a stream
        /// (e.g. &req.body, moved inside the host), replacing an earlier one.
        pub fn uploadPart(u: *const MultipartUpload, allocator: Allocator, n: u32, body: Body) Error!UploadedPart {
            if (n < 1 or n > 10000) {
                if (body == .stream) body.stream.close();
                return failFmt(error.InvalidArgument, "part number {d} is not 1 to 10000", .{n});
            }
            const v = try body.toWit();
            var p: c.r2_bucket_uploaded_part_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_multipart_upload_upload_part(u.handle, n, v, &p, &err)) return r2Fail(&err);
            return try UploadedPart.from(allocator, &p);
        }

        /// partWriter starts part n, whose bytes the Worker writes piece by piece.
        pub fn partWriter(u: *const MultipartUpload, n: u32) Error!PartWriter {
            var w: c.r2_bucket_part_writer_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_multipart_upload_part_writer(u.handle, n, &w, &err)) return r2Fail(&err);
            return .{ .handle = w };
        }

        /// complete joins the parts (in ascending order of part number)
        /// into the object and returns its metadata.
        pub fn complete(u: *const MultipartUpload, allocator: Allocator, parts: []const UploadedPart) Error!Object {
            for (parts) |p| checkUtf8("r2: part etag", p.etag) catch return error.InvalidPart;
            const ps = try gpa.alloc(c.r2_bucket_uploaded_part_t, parts.len);
            defer gpa.free(ps);
            for (parts, ps) |p, *w| w.* = .{ .part_number = p.part_number, .etag = wit(p.etag) };
            var o: c.r2_bucket_object_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_multipart_upload_complete(u.handle, .{ .ptr = if (ps.len == 0) null else ps.ptr, .len = ps.len }, &o, &err)) return r2Fail(&err);
            defer c.r2_bucket_object_free(&o);
            return try Object.from(allocator, &o);
        }

        /// abort discards the upload and its parts.
        pub fn abort(u: *const MultipartUpload) Error!void {
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_multipart_upload_abort(u.handle, &err)) return r2Fail(&err);
        }

        /// deinit releases the handle and frees key and upload_id.
        pub fn deinit(u: *MultipartUpload, allocator: Allocator) void {
            c.r2_bucket_multipart_upload_drop(u.handle);
            allocator.free(u.key);
            allocator.free(u.upload_id);
            u.* = undefined;
        }
    };

    /// PartWriter is a part upload in progress: write, then finish (or abort).
    pub const PartWriter = struct {
        handle: c.r2_bucket_part_writer_t,
        done: bool = false,

        /// write appends bytes to the part.
        pub fn write(w: *PartWriter, bytes: []const u8) Error!void {
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_part_writer_write(w.handle, witBytes(bytes), &err)) return r2Fail(&err);
        }

        /// finish stores the part.
        pub fn finish(w: *PartWriter, allocator: Allocator) Error!UploadedPart {
            defer w.abort();
            var p: c.r2_bucket_uploaded_part_t = undefined;
            var err: c.r2_bucket_error_t = undefined;
            if (!c.r2_bucket_part_writer_finish(w.handle, &p, &err)) return r2Fail(&err);
            return try UploadedPart.from(allocator, &p);
        }

        /// abort drops the writer: without finish, the part is abandoned.
        pub fn abort(w: *PartWriter) void {
            if (!w.done) c.r2_bucket_part_writer_drop(w.handle);
            w.done = true;
        }
    };
};

// ---- D1 --------------------------------------------------------------------

/// d1 is Cloudflare D1: a SQL database (SQLite) per binding in the
/// Worker's config. It mirrors the Workers D1 API (docs/d1.md) in Zig's
/// idiom:
///
///     const db = try bindery.d1.open("DB");
///     const row = try db.prepare("SELECT id, title FROM todos WHERE id = ?")
///         .bind(&.{.{ .integer = 1 }})
///         .first(req.arena) orelse return res.text(404, "no such todo");
///     // row.get("title").?.text
///
/// Integers are i64 throughout, so values beyond 2^53 cross whole.
/// Results that own memory take an allocator and have deinit (or
/// freeResults / freeRows); parameters are read during the call and never
/// kept. Failures are bindery.Error: Sql, LimitExceeded, Refused,
/// InvalidArgument (a named parameter, a bad bookmark), NoSuchBinding.
pub const d1 = struct {
    const opened = Opened(c.d1_database_database_t);

    /// Value is a SQL value as SQLite stores it.
    pub const Value = union(enum) {
        null,
        /// Every 64 bits.
        integer: i64,
        real: f64,
        /// UTF-8 text.
        text: []const u8,
        blob: []const u8,

        /// toWit views v as a WIT value (no copy).
        fn toWit(v: Value) c.d1_database_value_t {
            var w: c.d1_database_value_t = .{};
            switch (v) {
                .null => w.tag = c.D1_DATABASE_VALUE_NULL,
                .integer => |i| {
                    w.tag = c.D1_DATABASE_VALUE_INTEGER;
                    w.val.integer = i;
                },
                .real => |r| {
                    w.tag = c.D1_DATABASE_VALUE_REAL;
                    w.val.real = r;
                },
                .text => |t| {
                    w.tag = c.D1_DATABASE_VALUE_TEXT;
                    w.val.text = wit(t);
                },
                .blob => |b| {
                    w.tag = c.D1_DATABASE_VALUE_BLOB;
                    w.val.blob = witBytes(b);
                },
            }
            return w;
        }

        /// from copies the WIT value w into allocator's memory.
        fn from(allocator: Allocator, w: *const c.d1_database_value_t) Allocator.Error!Value {
            return switch (w.tag) {
                c.D1_DATABASE_VALUE_INTEGER => .{ .integer = w.val.integer },
                c.D1_DATABASE_VALUE_REAL => .{ .real = w.val.real },
                c.D1_DATABASE_VALUE_TEXT => .{ .text = try allocator.dupe(u8, str(w.val.text)) },
                c.D1_DATABASE_VALUE_BLOB => .{ .blob = try allocator.dupe(u8, str(.{ .ptr = w.val.blob.ptr, .len = w.val.blob.len })) },
                else => .null,
            };
        }

        /// dupe copies v's bytes into allocator's memory.
        pub fn dupe(v: Value, allocator: Allocator) Allocator.Error!Value {
            return switch (v) {
                .text => |t| .{ .text = try allocator.dupe(u8, t) },
                .blob => |b| .{ .blob = try allocator.dupe(u8, b) },
                else => v,
            };
        }

        /// deinit frees the bytes of a value the SDK returned.
        pub fn deinit(v: Value, allocator: Allocator) void {
            switch (v) {
                .text, .blob => |b| allocator.free(b),
                else => {},
            }
        }
    };

    /// Meta is D1's result meta, with D1's names.
    pub const Meta = struct {
        /// Milliseconds the statement ran.
        duration: f64,
        rows_read: u64,
        rows_written: u64,
        /// The rowid of the last row inserted, 0 if none.
        last_row_id: i64,
        /// Rows the statement changed.
        changes: u64,
        /// Whether the statement changed the database.
        changed_db: bool,
        /// The database size in bytes after the statement.
        size_after: u64,
    };

    /// Result is the result of one statement (D1's D1Result; a failed
    /// statement is an error, so success is implied), in memory the caller
    /// owns: free it with deinit.
    pub const Result = struct {
        /// The column names in order (they may repeat, as SQLite allows).
        columns: [][]u8,
        /// Each row's values, in column order.
        rows: [][]Value,
        meta: Meta,

        fn from(allocator: Allocator, q: *const c.d1_database_query_result_t) Allocator.Error!Result {
            const m = q.meta;
            var r: Result = .{ .columns = &.{}, .rows = &.{}, .meta = .{
                .duration = m.duration,
                .rows_read = m.rows_read,
                .rows_written = m.rows_written,
                .last_row_id = m.last_row_id,
                .changes = m.changes,
                .changed_db = m.changed_db,
                .size_after = m.size_after,
            } };
            const wcols = if (q.columns.len == 0) &[_]c.bindery_string_t{} else q.columns.ptr[0..q.columns.len];
            const wrows = if (q.rows.len == 0) &[_]c.d1_database_list_value_t{} else q.rows.ptr[0..q.rows.len];
            const cols = try allocator.alloc([]u8, wcols.len);
            var n: usize = 0;
            errdefer {
                for (cols[0..n]) |col| allocator.free(col);
                allocator.free(cols);
            }
            while (n < wcols.len) : (n += 1) cols[n] = try allocator.dupe(u8, str(wcols[n]));
            const rows = try allocator.alloc([]Value, wrows.len);
            var i: usize = 0;
            errdefer {
                for (rows[0..i]) |row| freeValues(allocator, row);
                allocator.free(rows);
            }
            while (i < wrows.len) : (i += 1) {
                const wr = if (wrows[i].len == 0) &[_]c.d1_database_value_t{} else wrows[i].ptr[0..wrows[i].len];
                const row = try allocator.alloc(Value, wr.len);
                var j: usize = 0;
                errdefer {
                    for (row[0..j]) |v| v.deinit(allocator);
                    allocator.free(row);
                }
                while (j < wr.len) : (j += 1) row[j] = try Value.from(allocator, &wr[j]);
                rows[i] = row;
            }
            r.columns = cols;
            r.rows = rows;
            return r;
        }

        /// column returns the index of the first column named name, or null.
        pub fn column(r: *const Result, name: []const u8) ?usize {
            return columnIndex(r.columns, name);
        }

        /// get returns the value of column name in row i, or null when
        /// there is no such row or column.
        pub fn get(r: *const Result, i: usize, name: []const u8) ?Value {
            if (i >= r.rows.len) return null;
            const k = r.column(name) orelse return null;
            return if (k < r.rows[i].len) r.rows[i][k] else null;
        }

        /// deinit frees the columns and rows.
        pub fn deinit(r: *Result, allocator: Allocator) void {
            for (r.columns) |col| allocator.free(col);
            allocator.free(r.columns);
            for (r.rows) |row| freeValues(allocator, row);
            allocator.free(r.rows);
            r.* = undefined;
        }
    };

    /// Row is one row with its column names (D1's first()), in memory the
    /// caller owns: free it with deinit.
    pub const Row = struct {
        columns: [][]u8,
        values: []Value,

        /// get returns the value of the column name, or null when the row
        /// has no such column.
        pub fn get(row: *const Row, name: []const u8) ?Value {
            const k = columnIndex(row.columns, name) orelse return null;
            return if (k < row.values.len) row.values[k] else null;
        }

        /// deinit frees the row.
        pub fn deinit(row: *Row, allocator: Allocator) void {
            for (row.columns) |col| allocator.free(col);
            allocator.free(row.columns);
            freeValues(allocator, row.values);
            row.* = undefined;
        }
    };

    /// ExecResult is what exec did.
    pub const ExecResult = struct {
        /// The statements it ran.
        count: u32,
        /// Their total milliseconds.
        duration: f64,
    };

    /// RawOptions are raw's options.
    pub const RawOptions = struct {
        /// Put the column names (as text values) before the rows.
        column_names: bool = false,
    };

    fn columnIndex(columns: []const []const u8, name: []const u8) ?usize {
        for (columns, 0..) |col, i| if (std.mem.eql(u8, col, name)) return i;
        return null;
    }

    fn freeValues(allocator: Allocator, values: []Value) void {
        for (values) |v| v.deinit(allocator);
        allocator.free(values);
    }

    /// freeRows frees what Statement.raw returned.
    pub fn freeRows(allocator: Allocator, rows: [][]Value) void {
        for (rows) |row| freeValues(allocator, row);
        allocator.free(rows);
    }

    /// freeResults frees what batch returned.
    pub fn freeResults(allocator: Allocator, results: []Result) void {
        for (results) |*r| r.deinit(allocator);
        allocator.free(results);
    }

    /// open returns the database bound to binding (e.g. "DB"); handles are
    /// cached for the life of the instance.
    pub fn open(binding: []const u8) Error!Database {
        if (opened.find(binding)) |h| return .{ .handle = h };
        try checkUtf8("d1: binding name", binding);
        var h: c.d1_database_database_t = undefined;
        var err: c.d1_database_error_t = undefined;
        if (!c.d1_database_database_open(wit(binding), &h, &err)) return d1Fail(&err);
        try opened.remember(binding, h);
        return .{ .handle = h };
    }

    /// Target is where a statement runs: the database or a session.
    const Target = union(enum) {
        database: c.d1_database_database_t,
        session: c.d1_database_session_t,
    };

    /// checkStatement refuses SQL or text parameters that are not UTF-8.
    fn checkStatement(sql: []const u8, params: []const Value) Error!void {
        try checkUtf8("d1: SQL", sql);
        for (params, 1..) |p, i| switch (p) {
            .text => |t| if (!std.unicode.utf8ValidateSlice(t)) {
                return failFmt(error.InvalidArgument, "d1: text parameter {d} \"{f}\" is not valid UTF-8", .{ i, std.zig.fmtString(t[0..@min(t.len, 64)]) });
            },
            else => {},
        };
    }

    /// Statement is a prepared statement (D1's D1PreparedStatement): bind
    /// parameters, then all, run, first or raw. It borrows sql and the
    /// parameters, which must outlive it.
    pub const Statement = struct {
        target: Target,
        sql: []const u8,
        params: []const Value = &.{},

        /// bind returns the statement with params for `?` and `?NNN` (D1
        /// numbers `?` from 1; named parameters are error.InvalidArgument):
        ///
        ///     stmt.bind(&.{ .{ .text = "ada" }, .{ .integer = 36 }, .null })
        pub fn bind(s: Statement, params: []const Value) Statement {
            var b = s;
            b.params = params;
            return b;
        }

        /// all runs the statement and returns every row (D1's all()).
        pub fn all(s: Statement, allocator: Allocator) Error!Result {
            try checkStatement(s.sql, s.params);
            const vs = try gpa.alloc(c.d1_database_value_t, s.params.len);
            defer gpa.free(vs);
            for (s.params, vs) |p, *w| w.* = p.toWit();
            const stmt: c.d1_database_statement_t = .{
                .sql = wit(s.sql),
                .params_ = .{ .ptr = if (vs.len == 0) null else vs.ptr, .len = vs.len },
            };
            var q: c.d1_database_query_result_t = undefined;
            var err: c.d1_database_error_t = undefined;
            const ok = switch (s.target) {
                .database => |h| c.d1_database_database_query(h, stmt, &q, &err),
                .session => |h| c.d1_database_session_query(h, stmt, &q, &err),
            };
            if (!ok) return d1Fail(&err);
            defer c.d1_database_query_result_free(&q);
            return try Result.from(allocator, &q);
        }

        /// run is all (D1's run(): the same D1Result).
        pub fn run(s: Statement, allocator: Allocator) Error!Result {
            return s.all(allocator);
        }

        /// first returns the first row, or null when there is none (D1's
        /// first()).
        pub fn first(s: Statement, allocator: Allocator) Error!?Row {
            var r = try s.all(allocator);
            if (r.rows.len == 0) {
                r.deinit(allocator);
                return null;
            }
            for (r.rows[1..]) |row| freeValues(allocator, row);
            const row: Row = .{ .columns = r.columns, .values = r.rows[0] };
            allocator.free(r.rows);
            return row;
        }

        /// firstValue returns column of the first row, or null when there
        /// is no row (D1's first(column)); a row without that column is
        /// error.InvalidArgument, "D1_COLUMN_NOTFOUND: Column not found
        /// (column)", as in D1.
        pub fn firstValue(s: Statement, allocator: Allocator, column: []const u8) Error!?Value {
            var r = try s.all(allocator);
            defer r.deinit(allocator);
            if (r.rows.len == 0) return null;
            const k = r.column(column) orelse
                return failFmt(error.InvalidArgument, "D1_COLUMN_NOTFOUND: Column not found ({s})", .{column});
            return try r.rows[0][k].dupe(allocator);
        }

        /// raw returns the rows as arrays of values (D1's raw()), the
        /// column names first as text values with .column_names; free them
        /// with freeRows.
        pub fn raw(s: Statement, allocator: Allocator, opts: RawOptions) Error![][]Value {
            var r = try s.all(allocator);
            if (!opts.column_names) {
                for (r.columns) |col| allocator.free(col);
                allocator.free(r.columns);
                return r.rows;
            }
            defer r.deinit(allocator);
            const rows = try allocator.alloc([]Value, r.rows.len + 1);
            const names = allocator.alloc(Value, r.columns.len) catch |e| {
                allocator.free(rows);
                return e;
            };
            // The names and the rows move into rows; r keeps nothing.
            for (r.columns, names) |col, *v| v.* = .{ .text = col };
            allocator.free(r.columns);
            rows[0] = names;
            @memcpy(rows[1..], r.rows);
            allocator.free(r.rows);
            r.columns = &.{};
            r.rows = &.{};
            return rows;
        }
    };

    /// runBatch runs stmts in one transaction on target.
    fn runBatch(target: Target, allocator: Allocator, stmts: []const Statement) Error![]Result {
        var nparams: usize = 0;
        for (stmts) |s| {
            try checkStatement(s.sql, s.params);
            nparams += s.params.len;
        }
        const ws = try gpa.alloc(c.d1_database_statement_t, stmts.len);
        defer gpa.free(ws);
        const vs = try gpa.alloc(c.d1_database_value_t, nparams);
        defer gpa.free(vs);
        var k: usize = 0;
        for (stmts, ws) |s, *w| {
            const ps = vs[k .. k + s.params.len];
            for (s.params, ps) |p, *v| v.* = p.toWit();
            k += s.params.len;
            w.* = .{ .sql = wit(s.sql), .params_ = .{ .ptr = if (ps.len == 0) null else ps.ptr, .len = ps.len } };
        }
        const list: c.d1_database_list_statement_t = .{ .ptr = if (ws.len == 0) null else ws.ptr, .len = ws.len };
        var qs: c.d1_database_list_query_result_t = undefined;
        var err: c.d1_database_error_t = undefined;
        const ok = switch (target) {
            .database => |h| c.d1_database_database_batch(h, list, &qs, &err),
            .session => |h| c.d1_database_session_batch(h, list, &qs, &err),
        };
        if (!ok) return d1Fail(&err);
        defer c.d1_database_list_query_result_free(&qs);
        const wq = if (qs.len == 0) &[_]c.d1_database_query_result_t{} else qs.ptr[0..qs.len];
        const out = try allocator.alloc(Result, wq.len);
        var n: usize = 0;
        errdefer {
            for (out[0..n]) |*r| r.deinit(allocator);
            allocator.free(out);
        }
        while (n < wq.len) : (n += 1) out[n] = try Result.from(allocator, &wq[n]);
        return out;
    }

    /// Database is an open D1 binding (D1's D1Database).
    pub const Database = struct {
        handle: c.d1_database_database_t,

        /// prepare returns a statement of sql (D1's prepare).
        pub fn prepare(db: Database, sql: []const u8) Statement {
            return .{ .target = .{ .database = db.handle }, .sql = sql };
        }

        /// batch runs the statements in one transaction (D1's batch): all
        /// take effect, or on the first error none does and the error
        /// names the statement. Free the results with freeResults.
        pub fn batch(db: Database, allocator: Allocator, stmts: []const Statement) Error![]Result {
            return runBatch(.{ .database = db.handle }, allocator, stmts);
        }

        /// exec runs one or more unbound statements separated by
        /// semicolons, in order, stopping at the first error (the ones
        /// before it stay done).
        pub fn exec(db: Database, sql: []const u8) Error!ExecResult {
            try checkUtf8("d1: SQL", sql);
            var r: c.d1_database_exec_result_t = undefined;
            var err: c.d1_database_error_t = undefined;
            if (!c.d1_database_database_exec(db.handle, wit(sql), &r, &err)) return d1Fail(&err);
            return .{ .count = r.count, .duration = r.duration };
        }

        /// withSession starts a session (D1's withSession): null or
        /// "first-unconstrained" reads from any replica, "first-primary"
        /// from the primary, and a bookmark from a replica at least that
        /// new. deinit ends it.
        pub fn withSession(db: Database, constraint_or_bookmark: ?[]const u8) Error!Session {
            try checkUtf8Opt("d1: session constraint or bookmark", constraint_or_bookmark);
            const o: c.d1_database_option_string_t = if (constraint_or_bookmark) |b| .{ .is_some = true, .val = wit(b) } else .{};
            var h: c.d1_database_session_t = undefined;
            var err: c.d1_database_error_t = undefined;
            if (!c.d1_database_database_with_session(db.handle, o, &h, &err)) return d1Fail(&err);
            return .{ .handle = h };
        }
    };

    /// Session is a D1 session (D1's D1DatabaseSession): its reads are
    /// never older than its bookmark.
    pub const Session = struct {
        handle: c.d1_database_session_t,

        /// prepare returns a statement of sql that runs in the session.
        pub fn prepare(s: Session, sql: []const u8) Statement {
            return .{ .target = .{ .session = s.handle }, .sql = sql };
        }

        /// batch is Database.batch in the session.
        pub fn batch(s: Session, allocator: Allocator, stmts: []const Statement) Error![]Result {
            return runBatch(.{ .session = s.handle }, allocator, stmts);
        }

        /// bookmark returns the bookmark of the latest commit the session
        /// has seen (D1's getBookmark()), or null before its first query.
        pub fn bookmark(s: Session, allocator: Allocator) Allocator.Error!?[]u8 {
            var b = c.d1_database_session_bookmark(s.handle);
            defer c.d1_database_option_string_free(&b);
            if (!b.is_some) return null;
            return try allocator.dupe(u8, str(b.val));
        }

        /// deinit ends the session.
        pub fn deinit(s: *Session) void {
            c.d1_database_session_drop(s.handle);
            s.* = undefined;
        }
    };
};
