//! The Durable Objects section (conformance/durable_test.go): the
//! Worker's routes under /do/ and the class Conformance.
const std = @import("std");
const bindery = @import("bindery");

const durable = bindery.durable;
const Value = durable.Value;
const Request = bindery.Request;
const Response = bindery.Response;

/// Conformance is the class Conformance.
pub const Conformance = struct {
    state: *durable.State,
    /// Fetch events seen while in memory.
    fetches: u32 = 0,

    pub fn init(state: *durable.State) Conformance {
        return .{ .state = state };
    }

    /// fetch answers a request sent with stub.fetch, or accepts a web socket.
    pub fn fetch(self: *Conformance, req: *Request, res: *Response) !void {
        if (req.header("upgrade")) |u| if (std.ascii.eqlIgnoreCase(u, "websocket")) {
            _ = try self.state.acceptWebSocket(res, &.{"conf"});
            return;
        };
        self.fetches += 1;
        const body = try req.body.readAll(req.arena, 1 << 20);
        const id = self.state.id;
        try res.header("content-type", "application/json");
        var bw = res.writer(&.{});
        try std.json.Stringify.value(.{
            .name = id.name,
            .id = id.hex,
            .method = req.method,
            .body = body,
            .fetches = self.fetches,
        }, .{}, &bw.interface);
    }

    pub fn add(_: *Conformance, a: f64, b: f64) f64 {
        return a + b;
    }

    pub fn echo(_: *Conformance, v: Value) Value {
        return v;
    }

    /// incr adds one to the stored count and returns it.
    pub fn incr(self: *Conformance) !i64 {
        const st = self.state.storage;
        const n = (try st.getAs(i64, self.state.arena(), "count") orelse 0) + 1;
        try st.put("count", n);
        return n;
    }

    /// storage exercises the key-value API.
    pub fn storage(self: *Conformance, a: std.mem.Allocator) !Value {
        const st = self.state.storage;
        try st.putMany(.{ .k1 = 1, .k2 = "two", .k3 = .{ 1, 2 } });
        const deleted = try st.delete("k1");
        const again = try st.delete("k1");
        const all = try st.list(a, .{ .prefix = "k" });
        const last = try st.list(a, .{ .reverse = true, .limit = 1 });
        const k2 = try st.getAs([]const u8, a, "k2") orelse "";
        const missing = try st.get(a, "nope") == null;
        return object(a, .{
            .deleted = deleted,
            .deletedAgain = again,
            .keys = try keys(a, all),
            .last = try keys(a, last),
            .k2 = k2,
            .missing = missing,
        });
    }

    /// txn checks a rolled-back and a committed transaction.
    pub fn txn(self: *Conformance, a: std.mem.Allocator) !Value {
        const st = self.state.storage;
        try st.put("t", 1);
        const Body = struct {
            fn failing(s: durable.Storage) !void {
                try s.put("t", 2);
                return error.RollBackPlease;
            }
            fn committing(s: durable.Storage) !void {
                try s.put("t", 3);
            }
        };
        if (st.transaction(st, Body.failing)) {
            return self.state.throw(.Error, "the failing transaction committed", .{});
        } else |err| if (err != error.RollBackPlease) return err;
        const after_rollback = try st.getAs(i64, a, "t");
        try st.transaction(st, Body.committing);
        return object(a, .{ .afterRollback = after_rollback, .afterCommit = try st.getAs(i64, a, "t") });
    }

    /// sql checks sql.exec.
    pub fn sql(self: *Conformance, a: std.mem.Allocator) !Value {
        const q = self.state.storage.sql;
        var create = try q.exec("CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT)", &.{});
        create.deinit();
        var ins = try q.exec("INSERT INTO r (v) VALUES (?)", &.{.{ .text = "x" }});
        const written = ins.rowsWritten();
        ins.deinit();
        var cur = try q.exec("SELECT id, v FROM r ORDER BY id", &.{});
        defer cur.deinit();
        const columns = try cur.columnNames(a);
        var rows: std.ArrayList(Value) = .empty;
        while (try cur.next(a)) |row| {
            const vs = try a.alloc(Value, row.len);
            for (row, vs) |v, *o| o.* = switch (v) {
                .null => .null,
                .integer => |i| .{ .number = @floatFromInt(i) },
                .real => |r| .{ .number = r },
                .text => |t| .{ .string = t },
                .blob => |b| .{ .bytes = b },
            };
            try rows.append(a, .{ .array = vs });
        }
        const sql_error = if (q.exec("SELECT * FROM nope", &.{})) |c| blk: {
            var cc = c;
            cc.deinit();
            break :blk "";
        } else |_| try a.dupe(u8, bindery.lastError());
        return object(a, .{ .columns = columns, .rows = rows.items, .written = written, .@"error" = sql_error });
    }

    /// boom throws a TypeError.
    pub fn boom(self: *Conformance, msg: []const u8) !void {
        return self.state.throw(.TypeError, "boom: {s}", .{msg});
    }

    /// setAlarm sets the alarm to 100 ms from now and says whether it is set.
    pub fn setAlarm(self: *Conformance) !bool {
        const st = self.state.storage;
        try st.setAlarm(durable.now() + 100);
        return try st.getAlarm() != null;
    }

    /// alarm records the attempt.
    pub fn alarm(self: *Conformance, info: durable.AlarmInfo) !void {
        try self.state.storage.put("alarm", .{ .retryCount = info.retry_count });
    }

    /// alarmed returns what alarm stored, or null.
    pub fn alarmed(self: *Conformance) !Value {
        return try self.state.storage.get(self.state.arena(), "alarm") orelse .null;
    }

    /// webSocketMessage answers "ping" with "pong <sockets>", and echoes the rest.
    pub fn webSocketMessage(self: *Conformance, ws: durable.WebSocket, msg: durable.Message) !void {
        switch (msg) {
            .binary => |b| try ws.sendBinary(b),
            .text => |t| if (std.mem.eql(u8, t, "ping")) {
                const n = (try self.state.getWebSockets("conf")).len;
                try ws.send(try std.fmt.allocPrint(self.state.arena(), "pong {d}", .{n}));
            } else try ws.send(t),
        }
    }
};

/// object encodes a struct as a Value (an object with its fields in order).
fn object(a: std.mem.Allocator, v: anytype) !Value {
    const b = try bindery.structured.encode(a, v, null);
    return bindery.structured.decode(a, b, null);
}

fn keys(a: std.mem.Allocator, es: []const durable.Entry) ![]const []const u8 {
    const out = try a.alloc([]const u8, es.len);
    for (es, out) |e, *k| k.* = e.key;
    return out;
}

/// route serves /do/...: the Worker's side.
pub fn route(req: *Request, res: *Response) !void {
    const a = req.arena;
    const ns = try durable.open("OBJECTS");
    if (req.is("GET", "/do/ids")) {
        const named = try ns.idFromName(a, "a");
        const again = try ns.idFromName(a, "a");
        const other = try ns.idFromName(a, "b");
        const unique = try ns.newUniqueId(a, null);
        const parsed = try ns.idFromString(a, named.hex);
        const invalid: []const u8 = if (ns.idFromString(a, "not-an-id")) |_| "" else |_| bindery.lastError();
        return json(res, .{
            .named = named.hex,
            .same = named.eql(again),
            .other = !named.eql(other),
            .unique = unique.hex,
            .parsed = parsed.eql(named),
            .invalid = invalid,
        });
    }
    const rest = req.suffix("/do/") orelse return res.text(404, "not found");
    const slash = std.mem.indexOfScalar(u8, rest, '/') orelse return res.text(404, "not found");
    const name = rest[0..slash];
    const op = rest[slash + 1 ..];
    const stub = try ns.getByName(name);
    defer stub.deinit();
    if (std.mem.eql(u8, op, "fetch") or std.mem.eql(u8, op, "ws")) {
        var r = try stub.fetch(req);
        try r.send(res);
    } else if (std.mem.eql(u8, op, "rpc")) {
        const sum = try stub.call(a, "add", .{ 2, 3.5 }, null);
        const echo = try stub.call(a, "echo", .{.{
            .s = "héllo",
            .n = 1.5,
            .i = -7,
            .t = true,
            .z = null,
            .l = .{ 1, 2, 3 },
            .b = Value{ .bytes = &.{ 0, 1, 0xff } },
            .big = @as(u64, 1) << 60,
        }}, null);
        try res.header("content-type", "application/json");
        try res.print("{{\"sum\":", .{});
        try writeJson(res, sum);
        try res.print(",\"echo\":", .{});
        try writeJson(res, echo);
        try res.write("}");
    } else if (std.mem.eql(u8, op, "throw")) {
        var thrown: durable.Thrown = .{};
        if (stub.call(a, "boom", .{name}, &thrown)) |_| {
            return res.text(500, "boom returned");
        } else |err| if (err != error.Thrown) return err;
        return json(res, .{ .name = thrown.name, .message = thrown.message });
    } else if (std.mem.eql(u8, op, "missing")) {
        if (stub.call(a, "noSuchMethod", .{}, null)) |_| {
            return res.text(500, "noSuchMethod returned");
        } else |_| {}
        return json(res, .{ .@"error" = bindery.lastError() });
    } else {
        const method = if (std.mem.eql(u8, op, "alarm")) "setAlarm" else op;
        for ([_][]const u8{ "storage", "txn", "sql", "incr", "alarmed", "setAlarm" }) |m| {
            if (std.mem.eql(u8, m, method)) break;
        } else return res.text(404, "not found");
        const v = stub.call(a, method, .{}, null) catch |err|
            return res.text(500, try std.fmt.allocPrint(a, "{s}: {s}", .{ @errorName(err), bindery.lastError() }));
        try res.header("content-type", "application/json");
        try writeJson(res, v);
    }
}

fn json(res: *Response, v: anytype) !void {
    try res.header("content-type", "application/json");
    var bw = res.writer(&.{});
    try std.json.Stringify.value(v, .{}, &bw.interface);
}

/// writeJson renders a structured value as the suite's JSON: an object's
/// keys in order, bytes as hex, a bigint as its decimal text (up to 128
/// bits), undefined as null.
fn writeJson(res: *Response, v: Value) !void {
    switch (v) {
        .undefined, .null => try res.write("null"),
        .bool => |b| try res.write(if (b) "true" else "false"),
        .number => |n| try res.print("{d}", .{n}),
        .string => |s| try res.print("{f}", .{std.json.fmt(s, .{})}),
        .bytes => |b| try res.print("\"{x}\"", .{b}),
        .bigint => |b| {
            var m: u128 = 0;
            for (b.magnitude) |byte| m = m << 8 | byte;
            try res.print("\"{s}{d}\"", .{ if (b.negative) "-" else "", m });
        },
        .array, .set => |xs| {
            try res.write("[");
            for (xs, 0..) |x, i| {
                if (i > 0) try res.write(",");
                try writeJson(res, x);
            }
            try res.write("]");
        },
        .object => |ps| {
            try res.write("{");
            for (ps, 0..) |p, i| {
                try res.print("{s}{f}:", .{ if (i > 0) "," else "", std.json.fmt(p.key, .{}) });
                try writeJson(res, p.value);
            }
            try res.write("}");
        },
        else => try res.print("\"{t}\"", .{v}),
    }
}
