//! The conformance Worker in Zig: the contract every language implements
//! (see conformance/harness_test.go), written with guest-sdk/zig, the /r2x
//! routes of conformance/r2ext_test.go, the /d1 routes of
//! conformance/d1_test.go, the Durable Objects section
//! (conformance/durable_test.go, in durable.zig) and the Queues and cron
//! triggers section (conformance/queues_test.go, in queues.zig).
//!
//!     guest-sdk/zig/build.sh -o zig.wasm conformance/zig/main.zig
const std = @import("std");
const bindery = @import("bindery");

const Request = bindery.Request;
const Response = bindery.Response;
const durable = @import("durable.zig");
const queues = @import("queues.zig");

/// The Durable Object classes this Worker defines.
pub const durable_objects = .{ .Conformance = durable.Conformance };

/// The queue handler: batches of conf-queue and conf-dlq.
pub fn queue(batch: *bindery.queue.Batch) !void {
    return queues.consume(batch);
}

/// The scheduled handler: the cron triggers.
pub fn scheduled(controller: *bindery.ScheduledController) !void {
    return queues.tick(controller);
}

pub fn fetch(req: *Request, res: *Response) !void {
    if (req.is("GET", "/hello")) {
        try res.text(200, "hello from zig");
    } else if (req.suffix("/kv/")) |key| {
        try kv(req, res, key);
    } else if (req.is("GET", "/vars")) {
        try vars(res);
    } else if (req.is("PUT", "/kv-too-long")) {
        try kvTooLong(res);
    } else if (req.is("POST", "/echo")) {
        try echo(req, res);
    } else if (req.suffix("/r2/")) |key| {
        try r2(req, res, key);
    } else if (req.is("GET", "/fail")) {
        // The SDK fails the request with the error's name: the host logs it.
        return error.ConformanceFailure;
    } else if (req.is("GET", "/fail-stream")) {
        try res.header("content-type", "application/octet-stream");
        const x: [128 * 1024]u8 = @splat('x');
        try res.write(&x);
        try res.flush();
        return error.ConformanceFailure;
    } else if (req.is("PUT", "/kv-not-utf8")) {
        try kvNotUtf8(res);
    } else if (req.is("GET", "/sdk-errors")) {
        try sdkErrors(req, res);
    } else if (req.is("GET", "/trap")) {
        @trap(); // a wasm trap (unreachable)
    } else if (std.mem.startsWith(u8, req.path, "/r2x/")) {
        r2x(req, res) catch |err| return r2Error(res, err);
    } else if (std.mem.startsWith(u8, req.path, "/queue/") or std.mem.startsWith(u8, req.path, "/cron/")) {
        try queues.route(req, res);
    } else if (std.mem.startsWith(u8, req.path, "/do/")) {
        try durable.route(req, res);
    } else if (std.mem.startsWith(u8, req.path, "/d1/")) {
        d1(req, res) catch |err| return res.text(500, try std.fmt.allocPrint(req.arena, "{s}: {s}", .{ @errorName(err), bindery.lastError() }));
    } else {
        try res.text(404, "not found");
    }
}

fn kv(req: *Request, res: *Response, key: []const u8) !void {
    const store = try bindery.kv.open("STORE");
    if (std.mem.eql(u8, req.method, "PUT")) {
        const body = try req.body.readAll(req.arena, 25 << 20);
        store.put(key, body) catch return res.text(400, bindery.lastError());
        res.setStatus(204);
    } else if (std.mem.eql(u8, req.method, "GET")) {
        const v = try store.get(req.arena, key) orelse return res.text(404, "not found");
        try res.write(v);
    } else if (std.mem.eql(u8, req.method, "DELETE")) {
        try store.delete(key);
        res.setStatus(204);
    } else {
        try res.text(405, "method not allowed");
    }
}

fn vars(res: *Response) !void {
    const greeting = bindery.vars.get("GREETING") orelse "";
    const secret_set = bindery.vars.secret("API_TOKEN") != null;
    try res.header("content-type", "application/json");
    try res.print("{{\"greeting\":{f},\"secret_set\":{}}}", .{ std.json.fmt(greeting, .{}), secret_set });
}

fn kvTooLong(res: *Response) !void {
    const store = try bindery.kv.open("STORE");
    const key: [513]u8 = @splat('k');
    if (store.put(&key, "x")) {
        try res.text(500, "a 513-byte key was accepted");
    } else |_| {
        try res.text(400, bindery.lastError());
    }
}

/// echo streams the body back through the Worker's memory (read, write).
fn echo(req: *Request, res: *Response) !void {
    try res.header("content-type", "application/octet-stream");
    const buf = try req.arena.alloc(u8, 64 * 1024);
    while (true) {
        const n = try req.body.read(buf);
        if (n == 0) break;
        try res.write(buf[0..n]);
    }
}

fn r2(req: *Request, res: *Response, key: []const u8) !void {
    const files = try bindery.r2.open("FILES");
    if (std.mem.eql(u8, req.method, "PUT")) {
        // The request body streams into the object inside the host.
        const obj = files.put(req.arena, key, .{ .stream = &req.body }, .{}) catch return res.text(400, bindery.lastError());
        res.setStatus(201);
        try res.header("content-type", "application/json");
        try res.print("{{\"etag\":\"{s}\",\"size\":{d}}}", .{ obj.etag, obj.size });
    } else if (std.mem.eql(u8, req.method, "GET")) {
        var got = try files.get(req.arena, key, .{}) orelse return res.text(404, "not found");
        defer got.deinit(req.arena);
        try res.header("content-type", "application/octet-stream");
        if (got.body) |*body| _ = try res.splice(body); // inside the host
    } else {
        try res.text(405, "method not allowed");
    }
}

// ---- /r2x: the rest of R2 (conformance/r2ext_test.go) ----------------------

const R2 = bindery.r2;

/// r2Error answers an R2 error with its HTTP status and the host's message.
fn r2Error(res: *Response, err: anyerror) !void {
    const status: u16 = switch (err) {
        error.NoSuchUpload => 404,
        error.InvalidArgument, error.InvalidPart => 400,
        error.TooLarge => 413,
        error.PreconditionFailed => 412,
        error.InvalidRange => 416,
        else => 500,
    };
    try res.text(status, try std.fmt.allocPrint(res.arena, "{s}: {s}", .{ @errorName(err), bindery.lastError() }));
}

fn r2x(req: *Request, res: *Response) !void {
    const a = req.arena;
    const files = try R2.open("FILES");
    const m = req.method;
    if (req.suffix("/r2x/obj/")) |key| {
        if (!std.mem.eql(u8, m, "PUT")) return res.text(405, "method not allowed");
        var opts: R2.PutOptions = .{
            .http_metadata = .{ .content_type = req.header("content-type"), .cache_control = "max-age=60" },
            .custom_metadata = &.{ .{ .key = "a", .value = "1" }, .{ .key = "b", .value = "two" } },
        };
        if (req.header("x-md5")) |hex| {
            var sum: [16]u8 = undefined;
            _ = std.fmt.hexToBytes(&sum, hex) catch return res.text(400, "bad x-md5");
            opts.checksums.md5 = sum;
        }
        const etag = req.header("x-if-match");
        if (etag) |e| opts.only_if = .{ .etag_matches = &.{e} };
        var obj = try files.put(a, key, .{ .stream = &req.body }, opts);
        defer obj.deinit(a);
        try res.text(201, obj.etag);
    } else if (req.suffix("/r2x/writer/")) |key| {
        // The body through a writer, 1000 bytes at a time.
        var w = try files.writer(key, .{ .http_metadata = .{ .content_type = "text/x-writer" } });
        defer w.abort();
        var buf: [1000]u8 = undefined;
        while (true) {
            const n = try req.body.read(&buf);
            if (n == 0) break;
            try w.write(buf[0..n]);
        }
        var obj = try w.finish(a);
        defer obj.deinit(a);
        try res.text(201, obj.etag);
    } else if (req.suffix("/r2x/head/")) |key| {
        var obj = try files.head(a, key) orelse return res.text(404, "not found");
        defer obj.deinit(a);
        try describe(res, &obj);
    } else if (req.suffix("/r2x/get/")) |key| {
        var opts: R2.GetOptions = .{};
        const etag = req.header("x-if-none-match");
        if (etag) |e| opts.only_if = .{ .etag_does_not_match = &.{e} };
        if (req.header("x-range")) |r| {
            var it = std.mem.splitScalar(u8, r, ',');
            const off = std.fmt.parseInt(u64, it.next() orelse "", 10) catch return res.text(400, "bad x-range");
            const len = std.fmt.parseInt(u64, it.next() orelse "", 10) catch return res.text(400, "bad x-range");
            opts.range = .{ .offset = off, .length = len };
        } else if (req.header("x-suffix")) |sfx| {
            opts.range = .{ .suffix = std.fmt.parseInt(u64, sfx, 10) catch return res.text(400, "bad x-suffix") };
        }
        var got = try files.get(a, key, opts) orelse return res.text(404, "not found");
        defer got.deinit(a);
        const body = if (got.body) |*b| b else {
            res.setStatus(304);
            return res.header("x-etag", got.object.etag);
        };
        if (got.object.http_metadata.content_type) |ct| try res.header("content-type", ct);
        if (got.object.range) |r| try res.header("x-range", try std.fmt.allocPrint(a, "{d},{d}", .{ r.offset orelse 0, r.length orelse 0 }));
        _ = try res.splice(body); // inside the host
    } else if (req.is("GET", "/r2x/list")) {
        const include = req.header("x-include") != null;
        var page = try files.list(a, .{
            .limit = if (req.header("x-limit")) |l| std.fmt.parseInt(u32, l, 10) catch return res.text(400, "bad x-limit") else null,
            .prefix = req.header("x-prefix"),
            .cursor = req.header("x-cursor"),
            .delimiter = req.header("x-delimiter"),
            .start_after = req.header("x-start-after"),
            .include = .{ .http_metadata = include, .custom_metadata = include },
        });
        defer page.deinit(a);
        for (page.objects) |o| {
            try res.print("o {s} {d} ct={s} meta={d}\n", .{ o.key, o.size, o.http_metadata.content_type orelse "-", o.custom_metadata.len });
        }
        for (page.delimited_prefixes) |p| try res.print("p {s}\n", .{p});
        try res.print("truncated={} cursor={s}\n", .{ page.truncated, page.cursor orelse "-" });
    } else if (req.is("POST", "/r2x/delete")) {
        const text = try req.body.readAll(a, 1 << 20);
        var keys: std.ArrayList([]const u8) = .empty;
        var it = std.mem.tokenizeScalar(u8, text, '\n');
        while (it.next()) |k| try keys.append(a, k);
        try files.deleteMany(keys.items);
        res.setStatus(204);
    } else if (req.suffix("/r2x/mpu/")) |key| {
        if (std.mem.eql(u8, m, "POST")) {
            var up = try files.createMultipartUpload(a, key, .{
                .http_metadata = .{ .content_type = "application/x-mpu" },
                .custom_metadata = &.{.{ .key = "mp", .value = "yes" }},
            });
            defer up.deinit(a);
            return res.text(200, up.upload_id);
        }
        const id = req.header("x-upload-id") orelse return res.text(400, "no x-upload-id");
        var up = try files.resumeMultipartUpload(a, key, id);
        defer up.deinit(a);
        if (std.mem.eql(u8, m, "PUT")) {
            const n = std.fmt.parseInt(u32, req.header("x-part") orelse "", 10) catch return res.text(400, "bad x-part");
            var part = if (req.header("x-writer") != null) blk: {
                // Piece by piece through a part writer.
                var w = try up.partWriter(n);
                defer w.abort();
                const buf = try a.alloc(u8, 64 * 1024);
                while (true) {
                    const got = try req.body.read(buf);
                    if (got == 0) break;
                    try w.write(buf[0..got]);
                }
                break :blk try w.finish(a);
            } else if (req.header("x-bytes") != null)
                try up.uploadPart(a, n, .{ .bytes = try req.body.readAll(a, 16 << 20) })
            else
                try up.uploadPart(a, n, .{ .stream = &req.body }); // streamed in the host
            defer part.deinit(a);
            try res.print("{d} {s}", .{ part.part_number, part.etag });
        } else if (std.mem.eql(u8, m, "DELETE")) {
            try up.abort();
            res.setStatus(204);
        } else {
            try res.text(405, "method not allowed");
        }
    } else if (req.suffix("/r2x/mpu-complete/")) |key| {
        const id = req.header("x-upload-id") orelse return res.text(400, "no x-upload-id");
        var up = try files.resumeMultipartUpload(a, key, id);
        defer up.deinit(a);
        const text = try req.body.readAll(a, 1 << 20);
        var parts: std.ArrayList(R2.UploadedPart) = .empty;
        var lines = std.mem.tokenizeScalar(u8, text, '\n');
        while (lines.next()) |line| {
            const sp = std.mem.indexOfScalar(u8, line, ' ') orelse continue;
            const n = std.fmt.parseInt(u32, line[0..sp], 10) catch return res.text(400, "bad part");
            try parts.append(a, .{ .part_number = n, .etag = line[sp + 1 ..] });
        }
        var obj = try up.complete(a, parts.items);
        defer obj.deinit(a);
        try res.print("{s} {d}", .{ obj.etag, obj.size });
    } else {
        try res.text(404, "not found");
    }
}

/// describe writes "size=N etag=E ct=CT cc=CC meta=k:v,..." for obj.
fn describe(res: *Response, obj: *const R2.Object) !void {
    const h = obj.http_metadata;
    try res.print("size={d} etag={s} ct={s} cc={s} meta=", .{ obj.size, obj.etag, h.content_type orelse "-", h.cache_control orelse "-" });
    for (obj.custom_metadata, 0..) |p, i| try res.print("{s}{s}:{s}", .{ if (i > 0) "," else "", p.key, p.value });
}

// ---- /d1: D1 (conformance/d1_test.go) --------------------------------------

const D1 = bindery.d1;

/// jsonValue writes v as the D1 section renders it: an integer as its
/// decimal text, a real as a number, text as a string, a blob as hex.
fn jsonValue(res: *Response, v: ?D1.Value) !void {
    switch (v orelse .null) {
        .null => try res.write("null"),
        .integer => |i| try res.print("\"{d}\"", .{i}),
        .real => |r| try res.print("{d}", .{r}),
        .text => |t| try res.print("{f}", .{std.json.fmt(t, .{})}),
        .blob => |b| try res.print("\"{x}\"", .{b}),
    }
}

/// jsonRow writes a row as an object of column: value (D1's first()).
fn jsonRow(res: *Response, row: ?D1.Row) !void {
    const r = row orelse return res.write("null");
    try res.write("{");
    for (r.columns, r.values, 0..) |col, v, i| {
        try res.print("{s}{f}:", .{ if (i > 0) "," else "", std.json.fmt(col, .{}) });
        try jsonValue(res, v);
    }
    try res.write("}");
}

/// errorMessage returns the message of err, the failure of a D1 call that
/// must fail ("" if it succeeded).
fn errorMessage(got: anytype) []const u8 {
    if (got) |_| return "" else |_| return bindery.lastError();
}

fn d1(req: *Request, res: *Response) !void {
    const a = req.arena;
    const db = try D1.open("DB");
    if (req.is("POST", "/d1/setup")) {
        const e = try db.exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, r REAL, b BLOB)");
        try res.header("content-type", "application/json");
        try res.print("{{\"count\":{d}}}", .{e.count});
    } else if (req.is("POST", "/d1/insert")) {
        const r = try db.prepare("INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)")
            .bind(&.{ .{ .text = "héllo" }, .{ .integer = 9007199254740993 }, .{ .real = 1.5 }, .{ .blob = &.{ 0x00, 0x01, 0xff } } })
            .run(a);
        try res.header("content-type", "application/json");
        try res.print("{{\"success\":true,\"changes\":{d},\"last_row_id\":{d},\"rows_written\":{d},\"changed_db\":{}}}", .{
            r.meta.changes, r.meta.last_row_id, r.meta.rows_written, r.meta.changed_db,
        });
    } else if (req.is("GET", "/d1/row")) {
        const row = try db.prepare("SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?").bind(&.{.{ .integer = 1 }}).first(a);
        try res.header("content-type", "application/json");
        try jsonRow(res, row);
    } else if (req.is("GET", "/d1/first")) {
        const name = try db.prepare("SELECT name FROM t WHERE id = 1").firstValue(a, "name");
        const none = try db.prepare("SELECT * FROM t WHERE id = 999").first(a);
        try res.header("content-type", "application/json");
        try res.write("{\"name\":");
        try jsonValue(res, name);
        try res.write(",\"none\":");
        try jsonRow(res, none);
        try res.write("}");
    } else if (req.is("GET", "/d1/raw")) {
        const rows = try db.prepare("SELECT id, name FROM t ORDER BY id").raw(a, .{ .column_names = true });
        try res.header("content-type", "application/json");
        try res.write("[");
        for (rows, 0..) |row, i| {
            try res.write(if (i > 0) ",[" else "[");
            for (row, 0..) |v, j| {
                if (j > 0) try res.write(",");
                try jsonValue(res, v);
            }
            try res.write("]");
        }
        try res.write("]");
    } else if (req.is("POST", "/d1/batch")) {
        const insert = db.prepare("INSERT INTO t (name) VALUES (?)");
        const results = try db.batch(a, &.{
            insert.bind(&.{.{ .text = "a" }}),
            insert.bind(&.{.{ .text = "b" }}),
            db.prepare("SELECT count(*) AS c FROM t"),
        });
        try res.header("content-type", "application/json");
        try res.print("{{\"results\":{d},\"count\":", .{results.len});
        try jsonValue(res, results[2].get(0, "c"));
        try res.write("}");
    } else if (req.is("POST", "/d1/batch-fail")) {
        const got = db.batch(a, &.{
            db.prepare("INSERT INTO t (id, name) VALUES (10, 'x')"),
            db.prepare("INSERT INTO t (id, name) VALUES (1, 'dup')"),
        });
        if (got) |_| return res.text(500, "a batch with a duplicate id succeeded") else |_| {}
        const msg = try a.dupe(u8, bindery.lastError());
        const count = try db.prepare("SELECT count(*) AS c FROM t").firstValue(a, "c");
        try res.header("content-type", "application/json");
        try res.print("{{\"error\":{f},\"count\":", .{std.json.fmt(msg, .{})});
        try jsonValue(res, count);
        try res.write("}");
    } else if (req.is("GET", "/d1/errors")) {
        var sql: std.ArrayList(u8) = .empty;
        try sql.appendSlice(a, "SELECT ?");
        var params: [101]D1.Value = undefined;
        for (&params, 1..) |*p, i| {
            if (i > 1) try sql.appendSlice(a, ",?");
            p.* = .{ .integer = @intCast(i) };
        }
        try res.header("content-type", "application/json");
        try res.print("{{\"sql\":{f}", .{std.json.fmt(errorMessage(db.prepare("SELECT * FROM nope").all(a)), .{})});
        try res.print(",\"refused\":{f}", .{std.json.fmt(errorMessage(db.prepare("ATTACH DATABASE 'x.db' AS x").all(a)), .{})});
        try res.print(",\"params\":{f}}}", .{std.json.fmt(errorMessage(db.prepare(sql.items).bind(&params).all(a)), .{})});
    } else if (req.is("GET", "/d1/session")) {
        var s = try db.withSession("first-primary");
        defer s.deinit();
        const count = try s.prepare("SELECT count(*) AS c FROM t").firstValue(a, "c");
        const bookmark = try s.bookmark(a);
        try res.header("content-type", "application/json");
        try res.write("{\"count\":");
        try jsonValue(res, count);
        try res.print(",\"bookmark\":{f}}}", .{std.json.fmt(bookmark, .{})});
    } else {
        try res.text(404, "not found");
    }
}

// ---- input the host could not take (harness_test.go, sdkerrors_test.go) ----

fn kvNotUtf8(res: *Response) !void {
    const store = try bindery.kv.open("STORE");
    if (store.put("\xff\xfe", "x")) {
        try res.text(500, "a key that is not UTF-8 was accepted");
    } else |err| switch (err) {
        error.InvalidArgument => try res.text(400, bindery.lastError()),
        else => try res.print("want error.InvalidArgument, got {s}", .{@errorName(err)}),
    }
}

/// Checks collects /sdk-errors' answer: for each call "" when it failed
/// with the expected error (and a message that says UTF-8), else what
/// happened.
const Checks = struct {
    res: *Response,
    first: bool = true,

    fn check(self: *Checks, name: []const u8, got: anytype, want: anyerror) !void {
        var why: []const u8 = "";
        var buf: [512]u8 = undefined;
        if (got) |_| {
            why = try std.fmt.bufPrint(&buf, "succeeded, want {s}", .{@errorName(want)});
        } else |err| {
            if (err != want) {
                why = try std.fmt.bufPrint(&buf, "got {s} ({s}), want {s}", .{ @errorName(err), bindery.lastError(), @errorName(want) });
            } else if (std.mem.indexOf(u8, bindery.lastError(), "UTF-8") == null) {
                why = try std.fmt.bufPrint(&buf, "the message {s} does not say UTF-8", .{bindery.lastError()});
            }
        }
        try self.add(name, why);
    }

    fn holds(self: *Checks, name: []const u8, ok: bool, why: []const u8) !void {
        try self.add(name, if (ok) "" else why);
    }

    fn add(self: *Checks, name: []const u8, why: []const u8) !void {
        try self.res.print("{s}{f}:{f}", .{ if (self.first) "{" else ",", std.json.fmt(name, .{}), std.json.fmt(why, .{}) });
        self.first = false;
    }
};

/// sdkErrors calls the SDK with strings that are not UTF-8 wherever it
/// takes one; each must fail with error.InvalidArgument (InvalidPart for a
/// part's etag) before it reaches the host, which would end the request
/// and discard the instance.
fn sdkErrors(req: *Request, res: *Response) !void {
    const a = req.arena;
    const bad: []const u8 = "\xff\xfe";
    const bads: []const []const u8 = &.{ "fine", bad };
    const kvs = try bindery.kv.open("STORE");
    const b = try bindery.r2.open("FILES");
    var c: Checks = .{ .res = res };
    // A header the SDK refuses is not added, and the response still goes out.
    try c.check("response header name", res.header(bad, "v"), error.InvalidArgument);
    try res.header("content-type", "application/json");
    try c.check("kv binding", bindery.kv.open(bad), error.InvalidArgument);
    try c.check("kv get", kvs.get(a, bad), error.InvalidArgument);
    try c.check("kv put", kvs.put(bad, "x"), error.InvalidArgument);
    try c.check("kv put metadata", kvs.putWith("k", "x", .{ .metadata = bad }), error.InvalidArgument);
    try c.check("kv delete", kvs.delete(bad), error.InvalidArgument);
    try c.check("kv list", kvs.list(a, bad, 10), error.InvalidArgument);
    try c.holds("var", bindery.vars.get(bad) == null, "a name that is not UTF-8 was found");
    try c.check("r2 binding", bindery.r2.open(bad), error.InvalidArgument);
    try c.check("r2 head", b.head(a, bad), error.InvalidArgument);
    try c.check("r2 get", b.get(a, bad, .{}), error.InvalidArgument);
    try c.check("r2 get onlyIf", b.get(a, "k", .{ .only_if = .{ .etag_matches = bads } }), error.InvalidArgument);
    try c.check("r2 put", b.put(a, bad, .{ .bytes = "x" }, .{}), error.InvalidArgument);
    try c.check("r2 put http metadata", b.put(a, "k", .{ .bytes = "x" }, .{ .http_metadata = .{ .content_type = bad } }), error.InvalidArgument);
    try c.check("r2 put custom metadata", b.put(a, "k", .{ .bytes = "x" }, .{ .custom_metadata = &.{.{ .key = bad, .value = "v" }} }), error.InvalidArgument);
    try c.check("r2 put storage class", b.put(a, "k", .{ .bytes = "x" }, .{ .storage_class = bad }), error.InvalidArgument);
    try c.check("r2 put onlyIf", b.put(a, "k", .{ .bytes = "x" }, .{ .only_if = .{ .etag_does_not_match = bads } }), error.InvalidArgument);
    try c.check("r2 delete", b.delete(bad), error.InvalidArgument);
    try c.check("r2 delete many", b.deleteMany(bads), error.InvalidArgument);
    try c.check("r2 writer", b.writer(bad, .{}), error.InvalidArgument);
    try c.check("r2 list", b.list(a, .{ .delimiter = bad }), error.InvalidArgument);
    try c.check("r2 multipart create", b.createMultipartUpload(a, bad, .{}), error.InvalidArgument);
    try c.check("r2 multipart options", b.createMultipartUpload(a, "k", .{ .custom_metadata = &.{.{ .key = "k", .value = bad }} }), error.InvalidArgument);
    try c.check("r2 multipart resume", b.resumeMultipartUpload(a, "k", bad), error.InvalidArgument);
    var up = try b.createMultipartUpload(a, "mpu-sdk-errors", .{});
    defer up.deinit(a);
    try c.check("r2 complete etag", up.complete(a, &.{.{ .part_number = 1, .etag = @constCast(bad) }}), error.InvalidPart);
    try up.abort();
    try c.check("d1 binding", bindery.d1.open(bad), error.InvalidArgument);
    const db = try bindery.d1.open("DB");
    const text: []const bindery.d1.Value = &.{ .{ .integer = 1 }, .{ .text = "a\xff" } };
    try c.check("d1 query sql", db.prepare(bad).all(a), error.InvalidArgument);
    try c.check("d1 query text value", db.prepare("SELECT ?, ?").bind(text).all(a), error.InvalidArgument);
    try c.check("d1 first text value", db.prepare("SELECT ?, ?").bind(text).first(a), error.InvalidArgument);
    try c.check("d1 raw sql", db.prepare(bad).raw(a, .{}), error.InvalidArgument);
    try c.check("d1 batch text value", db.batch(a, &.{ db.prepare("SELECT 1"), db.prepare("SELECT ?, ?").bind(text) }), error.InvalidArgument);
    try c.check("d1 batch sql", db.batch(a, &.{ db.prepare("SELECT 1"), db.prepare(bad) }), error.InvalidArgument);
    try c.check("d1 exec", db.exec(bad), error.InvalidArgument);
    try c.check("d1 session bookmark", db.withSession(bad), error.InvalidArgument);
    var s = try db.withSession(null);
    defer s.deinit();
    try c.check("d1 session query sql", s.prepare(bad).all(a), error.InvalidArgument);
    try c.check("d1 session batch text value", s.batch(a, &.{s.prepare("SELECT ?, ?").bind(text)}), error.InvalidArgument);
    try res.write("}");
}
