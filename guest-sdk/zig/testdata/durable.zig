//! A Worker that exercises the parts of the Zig SDK's Durable Objects the
//! conformance Worker does not; conformance/zig_test.go's TestZigDurable
//! drives it (namespace OBJECTS of class Counter, SQLite-backed, and
//! BROKEN of class Broken, whose init fails).
//!
//! GET /<op>/<name>[/<arg>] calls the RPC method op of the Counter called
//! name and answers what came back as text: the result's JSON, or
//! "error.<Name>: <lastError>" (with the thrown name for error.Thrown).
//! GET /ws/<name> passes a web socket upgrade to the object, which accepts
//! it hibernatable; GET /wsmem/<name> too, accepted in memory.
const std = @import("std");
const bindery = @import("bindery");

const durable = bindery.durable;
const Value = durable.Value;
const Allocator = std.mem.Allocator;

pub const durable_objects = .{ .Counter = Counter, .Broken = Broken };

/// Counter counts in memory and in storage.
const Counter = struct {
    state: *durable.State,
    /// In memory only: gone after an eviction.
    mem: i64 = 0,
    /// Set by init inside blockConcurrencyWhile from storage.
    loaded: i64 = -1,

    pub fn init(state: *durable.State) !Counter {
        var self: Counter = .{ .state = state };
        try state.blockConcurrencyWhile(&self, load);
        return self;
    }

    fn load(self: *Counter) !void {
        self.loaded = try self.state.storage.getAs(i64, self.state.arena(), "n") orelse 0;
    }

    /// bump adds by in memory and in storage; returns both.
    pub fn bump(self: *Counter, by: i64) !Value {
        const st = self.state.storage;
        const n = (try st.getAs(i64, self.state.arena(), "n") orelse 0) + by;
        try st.put("n", n);
        self.mem += by;
        return object(self.state.arena(), .{ .mem = self.mem, .stored = n, .loaded = self.loaded });
    }

    /// peek returns what is in memory.
    pub fn peek(self: *Counter, a: Allocator) !Value {
        return object(a, .{ .mem = self.mem, .loaded = self.loaded });
    }

    /// relay calls `back` on the object called other, which calls this
    /// object's bump: three events nested on one instance when the two
    /// objects share it, and at least one nested on this object.
    pub fn relay(self: *Counter, a: Allocator, other: []const u8) !Value {
        const ns = try durable.open("OBJECTS");
        const stub = try ns.getByName(other);
        defer stub.deinit();
        const mine = self.state.id.name orelse return self.state.throw(.Error, "no name", .{});
        const got = try stub.call(a, "back", .{mine}, null);
        // This event's arena and state are intact after the nested ones.
        return object(a, .{ .relayed = got, .self = mine, .mem = self.mem });
    }

    /// back calls bump(10) on the object called name.
    pub fn back(_: *Counter, a: Allocator, name: []const u8) !Value {
        const ns = try durable.open("OBJECTS");
        const stub = try ns.getByName(name);
        defer stub.deinit();
        return stub.call(a, "bump", .{10}, null);
    }

    /// convert checks the conversion of arguments (structured.read): a struct with defaults, optionals and an
    /// enum, a slice, an unsigned integer from a bigint, an allocator.
    pub fn convert(_: *Counter, a: Allocator, s: struct { x: i32, y: ?[]const u8 = null, e: enum { red, green }, d: u8 = 7 }, list: []const i64, big: u64, opt: ?bool) !Value {
        var sum: i64 = 0;
        for (list) |v| sum += v;
        return object(a, .{ .x = s.x, .y = s.y, .e = s.e, .d = s.d, .sum = sum, .big = big, .opt = opt });
    }

    /// fails returns a plain error: the caller sees its name.
    pub fn fails(_: *Counter) !void {
        return error.Oops;
    }

    /// aborts resets the object.
    pub fn aborts(self: *Counter) void {
        self.state.abort("asked to");
    }

    /// txn checks transactions by hand and nested, and error.Rollback.
    pub fn txn(self: *Counter, a: Allocator) !Value {
        const st = self.state.storage;
        try st.put("t", "before");
        const tx = try st.beginTransaction();
        try st.put("t", "rolled back");
        try tx.rollback();
        tx.deinit();
        const after_rollback = try st.getAs([]const u8, a, "t");
        const Body = struct {
            fn outer(s: durable.Storage) !void {
                try s.put("t", "outer");
                try s.transaction(s, inner);
            }
            fn inner(s: durable.Storage) !void {
                try s.put("t", "inner");
                return error.Rollback;
            }
        };
        try st.transaction(st, Body.outer);
        return object(a, .{ .afterRollback = after_rollback, .nested = try st.getAs([]const u8, a, "t") });
    }

    /// sql checks one, repeated columns, every kind of value, many rows.
    pub fn sql(self: *Counter, a: Allocator) !Value {
        const q = self.state.storage.sql;
        var cr = try q.exec("CREATE TABLE IF NOT EXISTS v (i INTEGER, r REAL, t TEXT, b BLOB, n)", &.{});
        cr.deinit();
        var del = try q.exec("DELETE FROM v", &.{});
        del.deinit();
        for (0..300) |i| {
            var ins = try q.exec("INSERT INTO v VALUES (?, ?, ?, ?, ?)", &.{ .{ .integer = @as(i64, @intCast(i)) - (1 << 62) }, .{ .real = 0.5 }, .{ .text = "t" }, .{ .blob = &.{ 0, 0xff } }, .null });
            ins.deinit();
        }
        var all = try q.exec("SELECT count(*), min(i) FROM v", &.{});
        defer all.deinit();
        const row = try all.one(a);
        var many = try q.exec("SELECT i AS x, r AS x, t, b, n FROM v ORDER BY i", &.{});
        defer many.deinit();
        var rows: usize = 0;
        var first: []durable.SqlValue = &.{};
        while (try many.next(a)) |r| {
            if (rows == 0) first = r;
            rows += 1;
        }
        var none = try q.exec("SELECT 1 WHERE 0", &.{});
        defer none.deinit();
        const one_err = if (none.one(a)) |_| "" else |_| try a.dupe(u8, bindery.lastError());
        const size = try q.databaseSize();
        return object(a, .{
            .count = row[0].integer,
            .min = row[1].integer,
            .columns = try many.columnNames(a),
            .rows = rows,
            .first = .{ first[0].integer, first[1].real, first[2].text, Value{ .bytes = first[3].blob }, first[4] == .null },
            .oneError = one_err,
            .sized = size > 0,
        });
    }

    /// alarms sets, reads and deletes the alarm.
    pub fn alarms(self: *Counter, a: Allocator) !Value {
        const st = self.state.storage;
        const at = durable.now() + 3600_000;
        try st.setAlarm(at);
        const got = try st.getAlarm();
        try st.deleteAlarm();
        return object(a, .{ .same = got == at, .after = try st.getAlarm() });
    }

    /// keys checks getMany, deleteMany, list ranges and deleteAll.
    pub fn keys(self: *Counter, a: Allocator) !Value {
        const st = self.state.storage;
        try st.deleteAll();
        const entries = [_]durable.Entry{ .{ .key = "a", .value = .{ .number = 1 } }, .{ .key = "b", .value = .{ .string = "b" } }, .{ .key = "c", .value = .null } };
        try st.putMany(&entries);
        const vs = try st.getMany(a, &.{ "c", "nope", "a" });
        const gone = try st.deleteMany(&.{ "c", "nope" });
        const range = try st.list(a, .{ .start_after = "a", .end = "c" });
        return object(a, .{ .first = vs[0].?, .missing = vs[1] == null, .a = vs[2].?, .deleted = gone, .range = range.len, .rangeKey = range[0].key });
    }

    pub fn fetch(self: *Counter, req: *bindery.Request, res: *bindery.Response) !void {
        if (req.header("upgrade") == null) {
            // A request of the Worker's own (stub.fetchBytes): echo it.
            const body = try req.body.readAll(req.arena, 1 << 20);
            res.setStatus(201);
            try res.header("x-seen", req.header("x-test") orelse "-");
            return res.print("{s} {s} {s}", .{ req.method, req.path, body });
        }
        if (std.mem.startsWith(u8, req.path, "/wsmem/")) {
            _ = try self.state.acceptWebSocketInMemory(res);
            return;
        }
        _ = try self.state.acceptWebSocket(res, &.{ "t1", "t2" });
        try self.state.setWebSocketAutoResponse(.{ .request = "marco", .response = "polo" });
        try self.state.setHibernatableWebSocketEventTimeout(5000);
    }

    pub fn webSocketMessage(self: *Counter, ws: durable.WebSocket, msg: durable.Message) !void {
        const a = self.state.arena();
        const text = switch (msg) {
            .text => |t| t,
            .binary => return ws.close(4000, "no binary"),
        };
        if (std.mem.startsWith(u8, text, "save ")) {
            try ws.serializeAttachment(.{ .saved = text[5..] });
            try ws.send("saved");
        } else if (std.mem.eql(u8, text, "load")) {
            const v = try ws.deserializeAttachment(a) orelse return ws.send("none");
            try ws.send(v.get("saved").?.string);
        } else if (std.mem.eql(u8, text, "stamp")) {
            try ws.send(if (ws.autoResponseTimestamp() != null) "stamped" else "no stamp");
        } else if (std.mem.eql(u8, text, "info")) {
            const tags = try ws.tags(a);
            const pair = (try self.state.getWebSocketAutoResponse()).?;
            const same = (try self.state.getWebSockets("t2"))[0].key() == ws.key();
            try ws.send(try std.fmt.allocPrint(a, "{s},{s} {s}->{s} timeout={?d} same={}", .{
                tags[0], tags[1], pair.request, pair.response, self.state.getHibernatableWebSocketEventTimeout(), same,
            }));
        } else {
            try ws.send(text);
        }
    }

    /// webSocketClose records how the socket closed.
    pub fn webSocketClose(self: *Counter, ws: durable.WebSocket, code: u16, reason: []const u8, was_clean: bool) !void {
        _ = ws;
        try self.state.storage.put("closed", .{ .code = code, .reason = reason, .clean = was_clean });
    }

    /// closed returns what webSocketClose recorded, or null.
    pub fn closed(self: *Counter) !Value {
        return try self.state.storage.get(self.state.arena(), "closed") orelse .null;
    }
};

/// Broken fails in init.
const Broken = struct {
    pub fn init(state: *durable.State) !Broken {
        return state.throw(.RangeError, "broken on purpose", .{});
    }

    pub fn ping(_: *Broken) bool {
        return true;
    }
};

fn object(a: Allocator, v: anytype) !Value {
    return bindery.structured.decode(a, try bindery.structured.encode(a, v, null), null);
}

pub fn fetch(req: *bindery.Request, res: *bindery.Response) !void {
    const a = req.arena;
    var parts = std.mem.splitScalar(u8, req.path[1..], '/');
    const op = parts.next().?;
    const name = parts.next() orelse return res.text(404, "not found");
    const arg = parts.next();
    if (std.mem.eql(u8, op, "broken")) {
        const stub = try (try durable.open("BROKEN")).getByName(name);
        defer stub.deinit();
        return answer(res, stub.call(a, "ping", .{}, null), null);
    }
    const ns = try durable.open("OBJECTS");
    const stub = try ns.get(try ns.idFromName(a, name));
    defer stub.deinit();
    if (std.mem.eql(u8, op, "ws") or std.mem.eql(u8, op, "wsmem")) {
        var r = try stub.fetch(req);
        return r.send(res);
    }
    if (std.mem.eql(u8, op, "fetchbytes")) {
        var r = try stub.fetchBytes("PUT", "http://object/echo/path", &.{.{ .name = "x-test", .value = "yes" }}, "the body");
        defer r.deinit();
        const body = try r.body.readAll(a, 1 << 20);
        return res.print("{d} {s} {s}", .{ r.status, r.header("X-Seen") orelse "-", body });
    }
    var thrown: durable.Thrown = .{};
    const result = if (std.mem.eql(u8, op, "bump"))
        stub.call(a, "bump", .{std.fmt.parseInt(i64, arg orelse "1", 10) catch 1}, &thrown)
    else if (std.mem.eql(u8, op, "relay"))
        stub.call(a, "relay", .{arg orelse ""}, &thrown)
    else if (std.mem.eql(u8, op, "convert"))
        stub.call(a, "convert", .{ .{ .x = -3, .e = "green" }, .{ 1, 2, 3 }, Value{ .bigint = .{ .magnitude = &.{ 0x80, 0, 0, 0, 0, 0, 0, 1 } } }, null }, &thrown)
    else if (std.mem.eql(u8, op, "badargs"))
        stub.call(a, "bump", .{"seven"}, &thrown)
    else if (std.mem.eql(u8, op, "toomany"))
        stub.call(a, "bump", .{ 1, 2 }, &thrown)
    else
        stub.call(a, op, .{}, &thrown);
    return answer(res, result, &thrown);
}

fn answer(res: *bindery.Response, result: bindery.Error!Value, thrown: ?*const durable.Thrown) !void {
    const v = result catch |err| {
        if (err == error.Thrown) if (thrown) |t| return res.print("thrown {s}: {s}", .{ t.name, t.message });
        return res.print("error.{s}: {s}", .{ @errorName(err), bindery.lastError() });
    };
    var bw = res.writer(&.{});
    try writeJson(&bw.interface, v);
}

fn writeJson(w: *std.Io.Writer, v: Value) !void {
    switch (v) {
        .undefined => try w.writeAll("undefined"),
        .null => try w.writeAll("null"),
        .bool => |b| try w.print("{}", .{b}),
        .number => |n| try w.print("{d}", .{n}),
        .string => |s| try w.print("{f}", .{std.json.fmt(s, .{})}),
        .bytes => |b| try w.print("\"{x}\"", .{b}),
        .bigint => |b| {
            var m: u128 = 0;
            for (b.magnitude) |byte| m = m << 8 | byte;
            try w.print("{s}{d}n", .{ if (b.negative) "-" else "", m });
        },
        .array => |xs| {
            try w.writeAll("[");
            for (xs, 0..) |x, i| {
                if (i > 0) try w.writeAll(",");
                try writeJson(w, x);
            }
            try w.writeAll("]");
        },
        .object => |ps| {
            try w.writeAll("{");
            for (ps, 0..) |p, i| {
                try w.print("{s}{f}:", .{ if (i > 0) "," else "", std.json.fmt(p.key, .{}) });
                try writeJson(w, p.value);
            }
            try w.writeAll("}");
        },
        else => try w.print("<{t}>", .{v}),
    }
}
