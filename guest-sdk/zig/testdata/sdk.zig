//! A Worker that exercises the parts of the Zig SDK the conformance Worker
//! does not; conformance/zig_test.go's TestZigSDK drives it (bindings as in
//! the conformance suite: KV STORE, R2 FILES, D1 DB, GREETING, API_TOKEN).
const std = @import("std");
const bindery = @import("bindery");

pub fn fetch(req: *bindery.Request, res: *bindery.Response) !void {
    const a = req.arena;
    if (req.is("GET", "/request")) {
        // Method, path, query and headers as the SDK sees them.
        try res.print("{s} {s} q={s} x-test={s} missing={}\n", .{
            req.method, req.path, req.query, req.header("X-TEST") orelse "-", req.header("x-missing") == null,
        });
        var it = req.headers();
        var n: usize = 0;
        while (it.next()) |h| {
            if (std.mem.startsWith(u8, h.name, "x-")) n += 1;
        }
        try res.print("x-headers={d}\n", .{n});
    } else if (req.is("GET", "/headers")) {
        res.setStatus(202);
        try res.header("X-Custom", "v1");
        try res.header("x-custom", "v2");
        try res.text(202, "ok");
    } else if (req.is("GET", "/big")) {
        // 200 KiB written in 1000-byte pieces: buffered, then streamed.
        try res.header("content-type", "application/octet-stream");
        var piece: [1000]u8 = undefined;
        for (0..200) |i| {
            @memset(&piece, @intCast('a' + i % 26));
            try res.write(&piece);
        }
        res.setStatus(500); // too late: the head is out
        res.header("x-late", "1") catch |err| if (err != error.AlreadySent) return err;
    } else if (req.is("GET", "/flush")) {
        try res.write("one,");
        try res.flush();
        try res.write("two");
    } else if (req.is("GET", "/error")) {
        _ = try bindery.kv.open("NOPE");
    } else if (req.is("GET", "/fail-reason")) {
        // A reason of the Worker's own: cut to 16 KiB, made valid UTF-8.
        try res.write("never sent");
        const long: [20000]u8 = @splat('r');
        res.fail("bad \xff byte " ++ long);
        try std.testing.expectError(error.Closed, res.write("after"));
    } else if (req.is("GET", "/vars")) {
        const g = bindery.vars.lookup("GREETING") orelse return res.text(500, "no GREETING");
        const t = bindery.vars.lookup("API_TOKEN") orelse return res.text(500, "no API_TOKEN");
        try res.print("{s}={s} {s} secret(GREETING)={} get(NOPE)={}\n", .{
            @tagName(g), g.string(), @tagName(t), bindery.vars.secret("GREETING") == null, bindery.vars.get("NOPE") == null,
        });
    } else if (req.is("GET", "/kv")) {
        const ns = try bindery.kv.open("STORE");
        try ns.put("list/a", "1");
        try ns.putWith("list/b", "2", .{ .expiration_ttl = 3600, .metadata = "{\"m\":1}" });
        try ns.put("other", "3");
        const names = try ns.list(a, "list/", 0);
        defer bindery.kv.freeNames(a, names);
        for (names) |name| try res.print("{s};", .{name});
        if (ns.putWith("x", "y", .{ .expiration_ttl = 1 })) {
            try res.write(" ttl=1 accepted");
        } else |err| {
            try res.print(" {s}", .{@errorName(err)});
        }
        const empty = try ns.get(a, "missing");
        try res.print(" missing={}", .{empty == null});
    } else if (req.is("GET", "/r2")) {
        const b = try bindery.r2.open("FILES");
        var obj = try b.put(a, "r2/bytes", .{ .bytes = "0123456789" }, .{ .http_metadata = .{ .content_type = "text/x-test" } });
        defer obj.deinit(a);
        try res.print("put {s} {d} {s};", .{ obj.key, obj.size, obj.http_metadata.content_type orelse "-" });
        if (try b.head(a, "r2/bytes")) |h| {
            var head = h;
            defer head.deinit(a);
            try res.print("head {d} {s};", .{ head.size, head.etag });
        }
        var got = (try b.get(a, "r2/bytes", .{ .range = .{ .offset = 2, .length = 3 } })).?;
        defer got.deinit(a);
        var buf: [16]u8 = undefined;
        const n = try got.body.?.read(&buf);
        try res.print("range {s};", .{buf[0..n]});
        var w = try b.writer("r2/written", .{});
        try w.write("abc");
        try w.write("def");
        var wo = try w.finish(a);
        defer wo.deinit(a);
        try res.print("writer {d};", .{wo.size});
        if (b.put(a, "r2/bad", .{ .bytes = "x" }, .{ .checksums = .{ .md5 = @splat(0) } })) |o| {
            var bad = o;
            bad.deinit(a);
            try res.write("bad md5 accepted;");
        } else |err| {
            try res.print("{s};", .{@errorName(err)});
        }
        try b.delete("r2/bytes");
        try b.delete("r2/never");
        try res.print("deleted {};", .{(try b.head(a, "r2/bytes")) == null});
    } else if (req.is("GET", "/d1")) {
        const d1 = bindery.d1;
        const db = try d1.open("DB");
        // Every type crosses whole, both ways: i64 at both ends, -0.25,
        // empty text, text with a NUL, empty and binary blobs, NULL.
        var r = try db.prepare("SELECT ?1 AS a, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9").bind(&.{
            .{ .integer = std.math.minInt(i64) }, .{ .integer = std.math.maxInt(i64) }, .{ .integer = -1 },
            .{ .real = -0.25 },                   .{ .text = "" },                      .{ .text = "a\x00b" },
            .{ .blob = "" },                      .{ .blob = "\x00\xff" },              .null,
        }).all(a);
        defer r.deinit(a);
        for (r.rows[0]) |v| switch (v) {
            .null => try res.write("null;"),
            .integer => |i| try res.print("int {d};", .{i}),
            .real => |x| try res.print("real {d};", .{x}),
            .text => |t| try res.print("text \"{f}\";", .{std.zig.fmtString(t)}),
            .blob => |b| try res.print("blob {x};", .{b}),
        };
        try res.print("col {s} {d};", .{ r.columns[0], r.column("a").? });
        // exec, meta, raw without names, first of no row, firstValue.
        const e = try db.exec("DROP TABLE IF EXISTS z; CREATE TABLE z (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO z (v) VALUES ('x')");
        try res.print("exec {d};", .{e.count});
        var ins = try db.prepare("INSERT INTO z (v) VALUES (?)").bind(&.{.{ .text = "y" }}).run(a);
        defer ins.deinit(a);
        try res.print("meta {d} {d} {d} {};", .{ ins.meta.last_row_id, ins.meta.changes, ins.meta.rows_written, ins.meta.changed_db });
        const rows = try db.prepare("SELECT v FROM z ORDER BY id").raw(a, .{});
        defer d1.freeRows(a, rows);
        try res.print("raw {d} {s};", .{ rows.len, rows[1][0].text });
        try res.print("none {};", .{(try db.prepare("SELECT v FROM z WHERE id = 99").first(a)) == null});
        if (db.prepare("SELECT v FROM z").firstValue(a, "w")) |_| {
            try res.write("missing column found;");
        } else |err| try res.print("{s} {s};", .{ @errorName(err), bindery.lastError() });
        // D1's errors, typed.
        const bad = [_][]const u8{ "SELECT nope FROM z", "ATTACH DATABASE 'x' AS x", "SELECT :name", "INSERT INTO z (id, v) VALUES (1, 'dup')" };
        for (bad) |sql| {
            if (db.prepare(sql).all(a)) |_| try res.write("ok;") else |err| try res.print("{s};", .{@errorName(err)});
        }
        var many: [101]d1.Value = @splat(.null);
        if (db.prepare("SELECT 1").bind(&many).all(a)) |_| try res.write("ok;") else |err| try res.print("{s};", .{@errorName(err)});
        if (d1.open("NOPE")) |_| try res.write("ok;") else |err| try res.print("{s};", .{@errorName(err)});
        // A session: no bookmark before its first query; a bookmark from
        // one session starts another; a bad one is refused.
        var s = try db.withSession(null);
        defer s.deinit();
        try res.print("bookmark {};", .{(try s.bookmark(a)) == null});
        const results = try s.batch(a, &.{
            s.prepare("INSERT INTO z (v) VALUES (?)").bind(&.{.{ .text = "z" }}),
            s.prepare("SELECT count(*) AS n FROM z"),
        });
        defer d1.freeResults(a, results);
        try res.print("batch {d} {d};", .{ results.len, results[1].get(0, "n").?.integer });
        const bm = (try s.bookmark(a)).?;
        var s2 = try db.withSession(bm);
        defer s2.deinit();
        var row = (try s2.prepare("SELECT count(*) AS n FROM z").first(a)).?;
        defer row.deinit(a);
        try res.print("session {d};", .{row.get("n").?.integer});
        if (db.withSession("not-a-bookmark")) |_| try res.write("ok;") else |err| try res.print("{s};", .{@errorName(err)});
    } else if (req.is("GET", "/json")) {
        // std.Io.Writer onto the body, buffered on the Zig side too.
        var buf: [8]u8 = undefined;
        var bw = res.writer(&buf);
        try res.header("content-type", "application/json");
        try std.json.Stringify.value(.{ .greeting = bindery.vars.get("GREETING"), .n = 42, .list = [_]u32{ 1, 2 }, .esc = "a\"b" }, .{}, &bw.interface);
        try bw.interface.flush();
    } else if (req.is("POST", "/structured")) {
        // The structured-value encoding on wasm32: the body decoded and
        // encoded again, then a struct (a u64 beyond 2^53 is a bigint)
        // encoded and read back.
        const body = try req.body.readAll(a, 1 << 20);
        var diag: bindery.structured.Diagnostics = .{};
        const v = bindery.structured.decode(a, body, &diag) catch |err| return res.print("{t} {f}", .{ err, diag });
        const again = try bindery.structured.encode(a, v, null);
        const S = struct { id: u64, name: []const u8, tags: []const []const u8, none: ?u8 = null };
        const s = try bindery.structured.encode(a, S{ .id = 1 << 60, .name = "zig", .tags = &.{"a"} }, null);
        const back = try bindery.structured.decodeAs(S, a, s, null);
        try res.print("{x}\n{x}\n{d} {s} {s} {?d}", .{ again, s, back.id, back.name, back.tags[0], back.none });
    } else if (req.is("POST", "/read-all")) {
        const body = req.body.readAll(a, 10) catch |err| return res.text(413, @errorName(err));
        try res.write(body);
    } else if (req.is("POST", "/splice-request")) {
        _ = try res.splice(&req.body);
    } else if (req.is("GET", "/recurse")) {
        // Overflows the 1 MiB stack: must trap, not corrupt memory.
        try res.print("{d}", .{recurse(1 << 20)});
    } else {
        try res.text(404, "not found");
    }
}

fn recurse(n: u32) u32 {
    var pad: [1024]u8 = undefined;
    pad[n % 1024] = @truncate(n);
    std.mem.doNotOptimizeAway(&pad);
    if (n == 0) return pad[0];
    return recurse(n - 1) +% pad[n % 1024];
}
