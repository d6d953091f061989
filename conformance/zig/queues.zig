//! The Queues and cron triggers section of the Zig conformance Worker
//! (conformance/queues_test.go): the producer routes, and the queue and
//! scheduled handlers that main.zig declares.
const std = @import("std");
const bindery = @import("bindery");

const Request = bindery.Request;
const Response = bindery.Response;
const Allocator = std.mem.Allocator;
const structured = bindery.structured;

/// route serves /queue/... and /cron/...; it answers 404 for anything else.
pub fn route(req: *Request, res: *Response) !void {
    if (req.is("POST", "/queue/send")) {
        try send(req, res);
    } else if (req.is("POST", "/queue/batch")) {
        try batchSend(req, res);
    } else if (req.is("GET", "/queue/limits")) {
        try limits(req, res);
    } else if (std.mem.eql(u8, req.method, "GET") and req.suffix("/queue/seen/") != null) {
        try kvJson(req, res, "seen:", try unescape(req.arena, req.suffix("/queue/seen/").?, false));
    } else if (std.mem.eql(u8, req.method, "GET") and req.suffix("/queue/dead/") != null) {
        try kvJson(req, res, "dead:", try unescape(req.arena, req.suffix("/queue/dead/").?, false));
    } else if (req.is("GET", "/cron/last")) {
        try kvJson(req, res, "cron:", try param(req, "cron") orelse "");
    } else {
        try res.text(404, "not found");
    }
}

/// answer answers {"ok":true}, or the SDK's error message.
fn answer(res: *Response, result: bindery.Error!void) !void {
    try res.header("content-type", "application/json");
    if (result) |_| {
        try res.text(200, "{\"ok\":true}");
    } else |_| {
        try res.print("{{\"error\":{f}}}", .{std.json.fmt(bindery.lastError(), .{})});
    }
}

/// unescape %-decodes s (and '+' as a space when plus).
fn unescape(a: Allocator, s: []const u8, plus: bool) ![]u8 {
    const out = try a.dupe(u8, s);
    if (plus) std.mem.replaceScalar(u8, out, '+', ' ');
    return std.Uri.percentDecodeInPlace(out);
}

/// param returns the decoded query parameter name, or null.
fn param(req: *Request, name: []const u8) !?[]u8 {
    var it = std.mem.splitScalar(u8, req.query, '&');
    while (it.next()) |kv| {
        const eq = std.mem.indexOfScalar(u8, kv, '=') orelse continue;
        if (std.mem.eql(u8, kv[0..eq], name)) return try unescape(req.arena, kv[eq + 1 ..], true);
    }
    return null;
}

fn send(req: *Request, res: *Response) !void {
    const q = bindery.queue.open("QUEUE") catch |err| return answer(res, err);
    const t = try param(req, "type") orelse "text";
    if (std.mem.eql(u8, t, "v8")) {
        const key = try param(req, "key") orelse "";
        return answer(res, q.send(.{ .key = key, .n = 1.5, .b = structured.Bytes{ .data = &.{ 0x00, 0x01, 0xff } } }, .{}));
    }
    const body = try req.body.readAll(req.arena, 1 << 20);
    if (std.mem.eql(u8, t, "text")) {
        try answer(res, q.sendText(body, .{}));
    } else if (std.mem.eql(u8, t, "bytes")) {
        try answer(res, q.sendBytes(body, .{}));
    } else if (std.mem.eql(u8, t, "json")) {
        try answer(res, q.sendJson(body, .{}));
    } else {
        try res.text(400, "unknown type");
    }
}

fn batchSend(req: *Request, res: *Response) !void {
    const body = try req.body.readAll(req.arena, 1 << 20);
    const texts = try std.json.parseFromSliceLeaky([]const []const u8, req.arena, body, .{});
    const msgs = try req.arena.alloc(bindery.queue.SendRequest, texts.len);
    for (texts, msgs) |t, *m| m.* = .{ .body = t, .content_type = .text };
    const q = bindery.queue.open("QUEUE") catch |err| return answer(res, err);
    try answer(res, q.sendBatch(msgs, .{}));
}

/// limitError is the error message of result, or null when it succeeded.
fn limitError(result: bindery.Error!void) ?[]const u8 {
    result catch return bindery.lastError();
    return null;
}

fn limits(req: *Request, res: *Response) !void {
    const a = req.arena;
    const q = try bindery.queue.open("QUEUE");
    const large = try a.alloc(u8, 131072);
    @memset(large, 'x');
    const l = try a.dupe(u8, limitError(q.sendText(large, .{})) orelse "null");
    const many = try a.alloc(bindery.queue.SendRequest, 101);
    @memset(many, .{ .body = "x", .content_type = .text });
    const m = try a.dupe(u8, limitError(q.sendBatch(many, .{})) orelse "null");
    const d = try a.dupe(u8, limitError(q.sendText("x", .{ .delay_seconds = 86401 })) orelse "null");
    try res.header("content-type", "application/json");
    try res.print("{{\"large\":{f},\"many\":{f},\"delay\":{f}}}", .{ std.json.fmt(l, .{}), std.json.fmt(m, .{}), std.json.fmt(d, .{}) });
}

/// kvJson answers the KV value of prefix ++ name as stored, or null.
fn kvJson(req: *Request, res: *Response, prefix: []const u8, name: []const u8) !void {
    const store = try bindery.kv.open("STORE");
    const key = try std.mem.concat(req.arena, u8, &.{ prefix, name });
    try res.header("content-type", "application/json");
    const v = try store.get(req.arena, key) orelse return res.text(200, "null");
    try res.write(v);
}

/// Decoded is one message as the section reads it.
const Decoded = struct {
    key: []const u8 = "",
    mode: ?[]const u8 = null,
    /// R: the body rendered as JSON.
    body: []const u8 = "null",
};

fn hex(a: Allocator, b: []const u8) ![]u8 {
    return std.fmt.allocPrint(a, "{x}", .{b});
}

/// svJson renders a structured value as JSON, bytes as lowercase hex.
fn svJson(a: Allocator, out: *std.ArrayList(u8), v: structured.Value) !void {
    switch (v) {
        .undefined, .null => try out.appendSlice(a, "null"),
        .bool => |b| try out.appendSlice(a, if (b) "true" else "false"),
        .number, .date => |n| try out.print(a, "{f}", .{std.json.fmt(n, .{})}),
        .string => |s| try out.print(a, "{f}", .{std.json.fmt(s, .{})}),
        .bytes => |b| try out.print(a, "\"{x}\"", .{b}),
        .typed_array => |t| try out.print(a, "\"{x}\"", .{t.bytes}),
        .bigint => |b| try out.print(a, "\"{x}\"", .{b.magnitude}),
        .array, .set => |xs| {
            try out.append(a, '[');
            for (xs, 0..) |x, i| {
                if (i > 0) try out.append(a, ',');
                try svJson(a, out, x);
            }
            try out.append(a, ']');
        },
        .object => |ps| {
            try out.append(a, '{');
            for (ps, 0..) |p, i| {
                if (i > 0) try out.append(a, ',');
                try out.print(a, "{f}:", .{std.json.fmt(p.key, .{})});
                try svJson(a, out, p.value);
            }
            try out.append(a, '}');
        },
        .map => |es| {
            try out.append(a, '[');
            for (es, 0..) |e, i| {
                if (i > 0) try out.append(a, ',');
                try out.append(a, '[');
                try svJson(a, out, e.key);
                try out.append(a, ',');
                try svJson(a, out, e.value);
                try out.append(a, ']');
            }
            try out.append(a, ']');
        },
        .err => |e| try out.print(a, "{f}", .{std.json.fmt(e.message, .{})}),
    }
}

fn decode(a: Allocator, m: *const bindery.queue.Message) !Decoded {
    switch (m.content_type) {
        .text => return .{ .key = m.body, .body = try std.fmt.allocPrint(a, "{f}", .{std.json.fmt(m.body, .{})}) },
        .bytes => {
            const h = try hex(a, m.body);
            return .{ .key = h, .body = try std.fmt.allocPrint(a, "\"{s}\"", .{h}) };
        },
        .json => {
            var d: Decoded = .{ .body = m.body };
            const v = try std.json.parseFromSliceLeaky(std.json.Value, a, m.body, .{});
            if (v == .object) {
                if (v.object.get("key")) |k| if (k == .string) {
                    d.key = k.string;
                };
                if (v.object.get("mode")) |k| if (k == .string) {
                    d.mode = k.string;
                };
            }
            return d;
        },
        .v8 => {
            const v = try m.value(a, null);
            var out: std.ArrayList(u8) = .empty;
            try svJson(a, &out, v);
            var d: Decoded = .{ .body = out.items };
            if (v.get("key")) |k| if (k == .string) {
                d.key = k.string;
            };
            if (v.get("mode")) |k| if (k == .string) {
                d.mode = k.string;
            };
            return d;
        },
    }
}

/// consume is the Worker's queue handler (main.zig's `queue`).
pub fn consume(batch: *bindery.queue.Batch) !void {
    const a = batch.arena;
    const store = try bindery.kv.open("STORE");
    const dlq = std.mem.eql(u8, batch.queue, "conf-dlq");
    var boom: ?[]const u8 = null;
    for (batch.messages) |*m| {
        const d = try decode(a, m);
        const q = std.json.fmt(batch.queue, .{});
        const record = if (dlq)
            try std.fmt.allocPrint(a, "{{\"queue\":{f},\"attempts\":{d},\"body\":{s}}}", .{ q, m.attempts, d.body })
        else
            try std.fmt.allocPrint(a, "{{\"queue\":{f},\"id\":{f},\"timestamp\":{d},\"attempts\":{d},\"batchSize\":{d},\"body\":{s}}}", .{
                q, std.json.fmt(m.id, .{}), m.timestamp, m.attempts, batch.messages.len, d.body,
            });
        try store.put(try std.mem.concat(a, u8, &.{ if (dlq) "dead:" else "seen:", d.key }), record);
        if (dlq) continue;
        const mode = d.mode orelse continue;
        if (std.mem.eql(u8, mode, "ack")) {
            m.ack();
        } else if (std.mem.eql(u8, mode, "retry")) {
            m.retry(.{});
        } else if (std.mem.eql(u8, mode, "ack-then-retry")) {
            m.ack();
            m.retry(.{});
        } else if (std.mem.eql(u8, mode, "retry-all")) {
            batch.retryAll(.{});
        } else if (std.mem.eql(u8, mode, "ack-all-then-retry-all")) {
            batch.ackAll();
            batch.retryAll(.{});
        } else if (std.mem.eql(u8, mode, "throw") and boom == null) {
            boom = d.key;
        }
    }
    if (boom) |k| batch.fail(try std.fmt.allocPrint(a, "boom {s}", .{k}));
}

/// tick is the Worker's scheduled handler (main.zig's `scheduled`).
pub fn tick(controller: *bindery.ScheduledController) !void {
    const a = controller.arena;
    const store = try bindery.kv.open("STORE");
    const record = try std.fmt.allocPrint(a, "{{\"cron\":{f},\"scheduledTime\":{d}}}", .{ std.json.fmt(controller.cron, .{}), controller.scheduled_time });
    try store.put(try std.mem.concat(a, u8, &.{ "cron:", controller.cron }), record);
    if (std.mem.eql(u8, controller.cron, "59 23 31 12 *")) controller.fail("cron boom");
}
