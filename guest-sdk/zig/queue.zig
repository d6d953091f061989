//! Queues (Cloudflare Queues): a producer binding sends messages, and the
//! Worker that consumes a queue gets them in batches in its queue handler.
//!
//!     const bindery = @import("bindery");
//!
//!     // Producer: the binding of the config's [[queues.producers]].
//!     const q = try bindery.queue.open("JOBS");
//!     try q.send(.{ .user = "ada", .n = 1 }, .{}); // a structured value ("v8")
//!     try q.sendText("hello", .{ .delay_seconds = 30 });
//!
//!     // Consumer: declare it in the Worker's root file.
//!     pub fn queue(batch: *bindery.queue.Batch) !void {
//!         for (batch.messages) |*m| {
//!             if (m.content_type == .v8) _ = try m.value(batch.arena, null);
//!             m.ack();
//!         }
//!     }
//!
//! build.sh compiles the queue handler's export (the C glue in
//! guest-sdk/c/generated-queue-consumer) only into a Worker whose root
//! file declares `pub fn queue`, so a Worker without one does not export
//! it. After a batch, each message is acked if `ack` was called on it,
//! retried if `retry` was; every other one is retried when `retryAll` or
//! `fail` was called or the handler returned an error, else acked.
const std = @import("std");
const bindery = @import("bindery.zig");
const structured = @import("structured.zig");
const qb = @import("queue_batch.zig");

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

pub const ContentType = qb.ContentType;
pub const RetryOptions = qb.RetryOptions;
pub const Batch = qb.Batch;
pub const Message = qb.Message;
pub const Decision = qb.Decision;

/// SendOptions are the optional parts of a send.
pub const SendOptions = struct {
    /// Seconds before the message may be delivered (at most 86400); null
    /// means the producer's delivery_delay (for a batch: the batch's
    /// delay first).
    delay_seconds: ?u32 = null,
};

/// SendRequest is one message of sendBatch (or of sendRequest).
pub const SendRequest = struct {
    /// The body: text and json are UTF-8, v8 a structured-value encoding
    /// (structured.encode).
    body: []const u8,
    content_type: ContentType,
    /// The message's own delay, else the batch's.
    delay_seconds: ?u32 = null,
};

fn queueFail(e: *c.queue_producer_error_t) Error {
    defer c.queue_producer_error_free(e);
    const err: Error = switch (e.tag) {
        c.QUEUE_PRODUCER_ERROR_NO_SUCH_QUEUE => error.NoSuchBinding,
        c.QUEUE_PRODUCER_ERROR_TOO_LARGE => error.TooLarge,
        c.QUEUE_PRODUCER_ERROR_INVALID_ARGUMENT => error.InvalidArgument,
        else => error.Failed,
    };
    // Every case carries its message as the same string member.
    return failWith(err, str(e.val.internal));
}

const opened = in.Opened(c.queue_producer_queue_t);

/// open returns the queue bound to binding (e.g. "JOBS"); handles are
/// cached for the life of the instance.
pub fn open(binding: []const u8) Error!Queue {
    if (opened.find(binding)) |h| return .{ .handle = h };
    try in.checkUtf8("queue: binding name", binding);
    var h: c.queue_producer_queue_t = undefined;
    var err: c.queue_producer_error_t = undefined;
    if (!c.queue_producer_queue_open(wit(binding), &h, &err)) return queueFail(&err);
    try opened.remember(binding, h);
    return .{ .handle = h };
}

/// checkRequest refuses what the host could not take or a consumer could
/// not read: text or JSON that is not UTF-8, a v8 body that is not a
/// structured value.
fn checkRequest(what: []const u8, m: SendRequest) Error!void {
    switch (m.content_type) {
        .text, .json => try in.checkUtf8(what, m.body),
        .bytes => {},
        .v8 => {
            var arena: std.heap.ArenaAllocator = .init(gpa);
            defer arena.deinit();
            var diag: structured.Diagnostics = .{};
            _ = structured.decode(arena.allocator(), m.body, &diag) catch |e| switch (e) {
                error.OutOfMemory => return error.OutOfMemory,
                else => return failFmt(error.InvalidArgument, "{s} is not a structured value: {f}", .{ what, diag }),
            };
        },
    }
}

fn witRequest(m: SendRequest) c.queue_producer_send_request_t {
    return .{
        .body = witBytes(m.body),
        .content_type = @intFromEnum(m.content_type),
        .delay_seconds = if (m.delay_seconds) |d| .{ .is_some = true, .val = d } else .{ .is_some = false, .val = 0 },
    };
}

/// Queue is an open queue producer binding (Cloudflare's env.QUEUE).
/// Sends return once the message is durable; limits are errors with the
/// host's message in lastError(): error.TooLarge (a message over 128 KB,
/// a batch over 100 messages or 256 KB), error.InvalidArgument (a delay
/// over 86400 seconds).
pub const Queue = struct {
    handle: c.queue_producer_queue_t,

    /// send sends value as a structured value (content type v8, the
    /// default of Cloudflare's send): a structured.Value or any Zig value
    /// structured.encode takes (a struct is an object, `[]const u8` text,
    /// structured.Bytes bytes).
    pub fn send(q: Queue, value: anytype, opts: SendOptions) Error!void {
        var diag: structured.Diagnostics = .{};
        const body = structured.encode(gpa, value, &diag) catch |e| switch (e) {
            error.OutOfMemory => return error.OutOfMemory,
            else => return failFmt(error.InvalidArgument, "queue: the value cannot be sent: {f}", .{diag}),
        };
        defer gpa.free(body);
        return q.sendRequest(.{ .body = body, .content_type = .v8, .delay_seconds = opts.delay_seconds });
    }

    /// sendText sends UTF-8 text (content type text).
    pub fn sendText(q: Queue, text: []const u8, opts: SendOptions) Error!void {
        return q.sendRequest(.{ .body = text, .content_type = .text, .delay_seconds = opts.delay_seconds });
    }

    /// sendBytes sends bytes (content type bytes).
    pub fn sendBytes(q: Queue, bytes: []const u8, opts: SendOptions) Error!void {
        return q.sendRequest(.{ .body = bytes, .content_type = .bytes, .delay_seconds = opts.delay_seconds });
    }

    /// sendJson sends JSON text as is (content type json): the consumer
    /// parses it. (std.json.Stringify makes JSON of a Zig value.)
    pub fn sendJson(q: Queue, json: []const u8, opts: SendOptions) Error!void {
        return q.sendRequest(.{ .body = json, .content_type = .json, .delay_seconds = opts.delay_seconds });
    }

    /// sendRequest sends one message described as sendBatch's are.
    pub fn sendRequest(q: Queue, m: SendRequest) Error!void {
        try checkRequest("queue: message body", m);
        var err: c.queue_producer_error_t = undefined;
        if (!c.queue_producer_queue_send(q.handle, witRequest(m), &err)) return queueFail(&err);
    }

    /// sendBatch sends messages at once, all or none; opts' delay applies
    /// to each message that has none of its own.
    pub fn sendBatch(q: Queue, messages: []const SendRequest, opts: SendOptions) Error!void {
        const reqs = try gpa.alloc(c.queue_producer_send_request_t, messages.len);
        defer gpa.free(reqs);
        for (messages, reqs, 0..) |m, *r, i| {
            var what: [48]u8 = undefined;
            try checkRequest(std.fmt.bufPrint(&what, "queue: message {d}'s body", .{i}) catch "queue: a message's body", m);
            r.* = witRequest(m);
        }
        const delay: c.queue_producer_option_u32_t = if (opts.delay_seconds) |d| .{ .is_some = true, .val = d } else .{ .is_some = false, .val = 0 };
        var err: c.queue_producer_error_t = undefined;
        if (!c.queue_producer_queue_send_batch(q.handle, .{ .ptr = reqs.ptr, .len = reqs.len }, delay, &err)) return queueFail(&err);
    }
};

/// logWarning logs a console warning, as workerd's logWarning.
fn logWarning(msg: []const u8) void {
    c.log_console_log(c.LOG_CONSOLE_LEVEL_WARN, wit(msg));
}

/// serve makes handler (fn (*Batch) !void) the Worker's queue handler: it
/// exports the handler the generated bindings call. build.sh's entry.zig
/// calls it with the `queue` of your root file.
pub fn serve(comptime handler: anytype) void {
    const H = struct {
        fn handle(name: c.bindery_string_t, list: c.queue_consumer_list_message_t) callconv(.c) c.queue_consumer_outcome_t {
            var n = name;
            var l = list;
            defer c.bindery_string_free(&n);
            defer c.queue_consumer_list_message_free(&l);
            in.clearLastError();
            var arena_state = std.heap.ArenaAllocator.init(gpa);
            defer arena_state.deinit();
            const arena = arena_state.allocator();
            const wire = if (l.len == 0) &[_]c.queue_consumer_message_t{} else l.ptr[0..l.len];
            var batch: Batch = .{ .queue = str(n), .messages = &.{}, .arena = arena, .logWarning = logWarning };
            const msgs = arena.alloc(Message, wire.len) catch @panic("out of memory");
            for (wire, msgs) |w, *m| m.* = .{
                .id = str(w.id),
                .timestamp = w.timestamp,
                .body = if (w.body.len == 0) &.{} else w.body.ptr[0..w.body.len],
                .content_type = @enumFromInt(w.content_type),
                .attempts = w.attempts,
                .batch = &batch,
            };
            batch.messages = msgs;
            handler(&batch) catch |err| {
                var buf: [1024]u8 = undefined;
                batch.fail(if (bindery.lastError().len > 0)
                    std.fmt.bufPrint(&buf, "queue handler returned error.{s} (last SDK error: {s})", .{ @errorName(err), bindery.lastError() }) catch @errorName(err)
                else
                    std.fmt.bufPrint(&buf, "queue handler returned error.{s}", .{@errorName(err)}) catch @errorName(err));
            };
            return outcome(&batch);
        }
    };
    @export(&H.handle, .{ .name = "exports_queue_consumer_queue" });
}

/// outcome is the host's record of what the handler asked for, in
/// malloc'd memory: the bindings free it after the host has read it.
fn outcome(b: *const Batch) c.queue_consumer_outcome_t {
    var acked: usize = 0;
    var retried: usize = 0;
    for (b.messages) |m| switch (m.decision) {
        .ack => acked += 1,
        .retry => retried += 1,
        .none => {},
    };
    var o: c.queue_consumer_outcome_t = std.mem.zeroes(c.queue_consumer_outcome_t);
    if (acked > 0) o.acked.ptr = (gpa.alloc(u32, acked) catch @panic("out of memory")).ptr;
    if (retried > 0) o.retried.ptr = (gpa.alloc(c.queue_consumer_retry_request_t, retried) catch @panic("out of memory")).ptr;
    for (b.messages, 0..) |m, i| switch (m.decision) {
        .ack => {
            o.acked.ptr[o.acked.len] = @intCast(i);
            o.acked.len += 1;
        },
        .retry => {
            o.retried.ptr[o.retried.len] = .{
                .index = @intCast(i),
                .delay_seconds = if (m.retry_delay) |d| .{ .is_some = true, .val = d } else .{ .is_some = false, .val = 0 },
            };
            o.retried.len += 1;
        },
        .none => {},
    };
    o.ack_all = b.ack_all;
    o.retry_all = b.retry_all;
    if (b.retry_all_delay) |d| o.retry_all_delay = .{ .is_some = true, .val = d };
    if (b.failure) |f| {
        // The host logs the text: make it UTF-8.
        const text = std.fmt.allocPrint(gpa, "{f}", .{std.unicode.fmtUtf8(f)}) catch @panic("out of memory");
        o.@"error" = .{ .is_some = true, .val = wit(text) };
    }
    return o;
}
