//! Tests of structured.zig: every shared vector
//! (wit/deps/durable/testdata/structured-values.json, read from the
//! repository root, where `build.sh --test` runs) and the mapping of Zig
//! values. Run by conformance TestZigSDKUnit.
const std = @import("std");
const structured = @import("structured.zig");

const Value = structured.Value;
const vectors_path = "wit/deps/durable/testdata/structured-values.json";

test "every shared vector" {
    const gpa = std.testing.allocator;
    const text = try std.Io.Dir.cwd().readFileAlloc(std.testing.io, vectors_path, gpa, .limited(16 << 20));
    defer gpa.free(text);
    const parsed = try std.json.parseFromSlice(std.json.Value, gpa, text, .{ .parse_numbers = false });
    defer parsed.deinit();

    var failures: usize = 0;
    const list = parsed.value.object.get("vectors").?.array.items;
    for (list) |vj| {
        const o = vj.object;
        const name = o.get("name").?.string;
        checkVector(gpa, o) catch |err| {
            failures += 1;
            std.debug.print("vector {s}: {t}\n", .{ name, err });
        };
    }
    std.debug.print("{d} vectors, {d} failed\n", .{ list.len, failures });
    try std.testing.expect(list.len > 0);
    try std.testing.expectEqual(0, failures);
}

fn checkVector(gpa: std.mem.Allocator, o: std.json.ObjectMap) !void {
    var arena_state: std.heap.ArenaAllocator = .init(gpa);
    defer arena_state.deinit();
    const arena = arena_state.allocator();
    const hex = o.get("hex").?.string;
    const bytes = try arena.alloc(u8, hex.len / 2);
    _ = try std.fmt.hexToBytes(bytes, hex);

    var diag: structured.Diagnostics = .{};
    if (o.get("error")) |why| {
        // decode with the testing allocator: a failure must not leak.
        if (structured.decode(gpa, bytes, &diag)) |v| {
            v.deinit(gpa);
            std.debug.print("  decoded bytes it must refuse ({s})\n", .{why.string});
            return error.DecodedInvalid;
        } else |err| {
            try std.testing.expectEqual(error.Malformed, err);
            if (diag.offset == null or diag.offset.? > bytes.len or diag.reason.len == 0) return error.NoDiagnostics;
        }
        return;
    }
    const want = try fromJSON(arena, o.get("value").?);
    const got = structured.decode(gpa, bytes, &diag) catch |err| {
        std.debug.print("  decode: {f}\n", .{diag});
        return err;
    };
    defer got.deinit(gpa);
    if (!got.eql(want)) {
        std.debug.print("  decoded {f}\n  want    {f}\n", .{ fmtValue(got), fmtValue(want) });
        return error.DecodedWrong;
    }
    const decode_only = if (o.get("decodeOnly")) |d| d.bool else false;
    if (decode_only) return;
    const enc = structured.encode(gpa, want, &diag) catch |err| {
        std.debug.print("  encode: {f}\n", .{diag});
        return err;
    };
    defer gpa.free(enc);
    if (!std.mem.eql(u8, enc, bytes)) {
        std.debug.print("  encoded {x}\n  want    {s}\n", .{ enc, hex });
        return error.EncodedWrong;
    }
}

/// fromJSON turns a vector's typed JSON value into a Value.
fn fromJSON(a: std.mem.Allocator, j: std.json.Value) !Value {
    var it = j.object.iterator();
    const kv = it.next() orelse return error.BadVector;
    const k = kv.key_ptr.*;
    const v = kv.value_ptr.*;
    const eq = std.mem.eql;
    if (eq(u8, k, "undefined")) return .undefined;
    if (eq(u8, k, "null")) return .null;
    if (eq(u8, k, "bool")) return .{ .bool = v.bool };
    if (eq(u8, k, "number")) return .{ .number = try numberOf(v) };
    if (eq(u8, k, "date")) return .{ .date = try numberOf(v) };
    if (eq(u8, k, "string")) return .{ .string = v.string };
    if (eq(u8, k, "bytes")) return .{ .bytes = try unhex(a, v.string) };
    if (eq(u8, k, "bigint")) return .{ .bigint = try bigintOf(a, v.string) };
    if (eq(u8, k, "typed")) {
        const kind = for (std.meta.tags(structured.TypedArrayKind)) |t| {
            if (eq(u8, t.jsName(), v.string)) break t;
        } else return error.BadVector;
        return .{ .typed_array = .{ .kind = kind, .bytes = try unhex(a, j.object.get("bytes").?.string) } };
    }
    if (eq(u8, k, "array") or eq(u8, k, "set")) {
        const out = try a.alloc(Value, v.array.items.len);
        for (v.array.items, out) |x, *y| y.* = try fromJSON(a, x);
        return if (eq(u8, k, "array")) .{ .array = out } else .{ .set = out };
    }
    if (eq(u8, k, "object")) {
        const out = try a.alloc(structured.Property, v.array.items.len);
        for (v.array.items, out) |x, *y| y.* = .{ .key = x.array.items[0].string, .value = try fromJSON(a, x.array.items[1]) };
        return .{ .object = out };
    }
    if (eq(u8, k, "map")) {
        const out = try a.alloc(structured.MapEntry, v.array.items.len);
        for (v.array.items, out) |x, *y| y.* = .{ .key = try fromJSON(a, x.array.items[0]), .value = try fromJSON(a, x.array.items[1]) };
        return .{ .map = out };
    }
    if (eq(u8, k, "error")) {
        const e = v.object;
        var ev: structured.ErrorValue = .{
            .name = std.meta.stringToEnum(structured.ErrorName, e.get("name").?.string) orelse return error.BadVector,
            .message = if (e.get("message")) |m| m.string else "",
        };
        if (e.get("stack")) |s| ev.stack = s.string;
        if (e.get("cause")) |c| {
            const p = try a.create(Value);
            p.* = try fromJSON(a, c);
            ev.cause = p;
        }
        return .{ .err = ev };
    }
    return error.BadVector;
}

fn numberOf(v: std.json.Value) !f64 {
    const s = switch (v) {
        .number_string, .string => |s| s,
        else => return error.BadVector,
    };
    if (std.mem.eql(u8, s, "NaN")) return std.math.nan(f64);
    if (std.mem.eql(u8, s, "Infinity")) return std.math.inf(f64);
    if (std.mem.eql(u8, s, "-Infinity")) return -std.math.inf(f64);
    return std.fmt.parseFloat(f64, s);
}

fn unhex(a: std.mem.Allocator, s: []const u8) ![]u8 {
    const out = try a.alloc(u8, s.len / 2);
    return std.fmt.hexToBytes(out, s);
}

/// bigintOf parses a decimal bigint ("-123") into a sign and magnitude.
fn bigintOf(a: std.mem.Allocator, s: []const u8) !structured.BigInt {
    const negative = s.len > 0 and s[0] == '-';
    const digits = if (negative) s[1..] else s;
    var mag: std.ArrayList(u8) = .empty; // little-endian while building
    for (digits) |c| {
        if (c < '0' or c > '9') return error.BadVector;
        var carry: u16 = c - '0';
        for (mag.items) |*b| {
            const x = @as(u16, b.*) * 10 + carry;
            b.* = @truncate(x);
            carry = x >> 8;
        }
        if (carry != 0) try mag.append(a, @intCast(carry));
    }
    std.mem.reverse(u8, mag.items);
    return .{ .negative = negative, .magnitude = mag.items };
}

fn fmtValue(v: Value) std.fmt.Alt(Value, writeValue) {
    return .{ .data = v };
}

fn writeValue(v: Value, w: *std.Io.Writer) std.Io.Writer.Error!void {
    switch (v) {
        .undefined, .null => try w.writeAll(@tagName(v)),
        .bool => |b| try w.print("{}", .{b}),
        .number => |f| try w.print("{d}", .{f}),
        .date => |f| try w.print("date({d})", .{f}),
        .bigint => |b| try w.print("bigint({s}{x})", .{ if (b.negative) "-" else "", b.magnitude }),
        .string => |s| try w.print("\"{s}\"", .{s}),
        .bytes => |b| try w.print("bytes({x})", .{b}),
        .typed_array => |t| try w.print("{s}({x})", .{ t.kind.jsName(), t.bytes }),
        .array, .set => |a| {
            try w.writeAll(if (v == .set) "set[" else "[");
            for (a) |x| {
                try writeValue(x, w);
                try w.writeAll(",");
            }
            try w.writeAll("]");
        },
        .object => |o| {
            try w.writeAll("{");
            for (o) |p| {
                try w.print("\"{s}\":", .{p.key});
                try writeValue(p.value, w);
                try w.writeAll(",");
            }
            try w.writeAll("}");
        },
        .map => |m| {
            try w.writeAll("map{");
            for (m) |p| {
                try writeValue(p.key, w);
                try w.writeAll("=>");
                try writeValue(p.value, w);
                try w.writeAll(",");
            }
            try w.writeAll("}");
        },
        .err => |e| {
            try w.print("{t}(\"{s}\"", .{ e.name, e.message });
            if (e.stack) |s| try w.print(", stack \"{s}\"", .{s});
            if (e.cause) |c| {
                try w.writeAll(", cause ");
                try writeValue(c.*, w);
            }
            try w.writeAll(")");
        },
    }
}

fn expectEncoding(value: anytype, hex: []const u8) !void {
    const gpa = std.testing.allocator;
    var diag: structured.Diagnostics = .{};
    const got = structured.encode(gpa, value, &diag) catch |err| {
        std.debug.print("encode: {f}\n", .{diag});
        return err;
    };
    defer gpa.free(got);
    var want: [512]u8 = undefined;
    try std.testing.expectEqualSlices(u8, try std.fmt.hexToBytes(&want, hex), got);
}

test "a struct is an object with its fields in declaration order" {
    const Point = struct { y: i32, x: i32, label: ?[]const u8 = null, tags: []const []const u8 = &.{} };
    // {"y": 2, "x": -1, "label": null, "tags": ["a"]}
    try expectEncoding(Point{ .y = 2, .x = -1, .tags = &.{"a"} }, "d9d9f7a4617902617820656c6162656cf6647461677381" ++ "6161");
}

test "integers beyond 2^53 - 1 are bigints, within are numbers" {
    try expectEncoding(@as(u64, 9007199254740991), "d9d9f71b001fffffffffffff");
    try expectEncoding(@as(u64, 9007199254740992), "d9d9f7c24720000000000000");
    try expectEncoding(@as(i64, -9007199254740991), "d9d9f73b001ffffffffffffe");
    // -2^53: tag 3 over 2^53 - 1.
    try expectEncoding(@as(i64, -9007199254740992), "d9d9f7c3471fffffffffffff");
    try expectEncoding(@as(i128, std.math.minInt(i128)), "d9d9f7c3507fffffffffffffffffffffffffffffff");
    try expectEncoding(@as(u8, 0), "d9d9f700");
    try expectEncoding(-25, "d9d9f73818");
    try expectEncoding(1 << 70, "d9d9f7c249400000000000000000");
}

test "floats, optionals, enums, tuples, void, nested Values" {
    try expectEncoding(@as(f32, 1.5), "d9d9f7fb3ff8000000000000");
    try expectEncoding(@as(f64, 2.0), "d9d9f702");
    try expectEncoding(-0.0, "d9d9f7fb8000000000000000");
    try expectEncoding(@as(?u8, null), "d9d9f7f6");
    try expectEncoding(.red, "d9d9f763726564");
    try expectEncoding(.{ true, {}, "é" }, "d9d9f783f5f762c3a9");
    try expectEncoding(.{ .b = Value{ .bytes = "\x00\xff" } }, "d9d9f7a161624200ff");
    try expectEncoding(.{ .b = structured.Bytes{ .data = "\x00\xff" } }, "d9d9f7a161624200ff");
    const arr = [_]u16{ 1, 300 };
    try expectEncoding(&arr, "d9d9f782011901" ++ "2c");
}

test "encode names the value at fault" {
    const gpa = std.testing.allocator;
    var diag: structured.Diagnostics = .{};
    const S = struct { a: []const []const u8 };
    try std.testing.expectError(error.Unencodable, structured.encode(gpa, S{ .a = &.{ "ok", "b\xffd" } }, &diag));
    var buf: [128]u8 = undefined;
    try std.testing.expectEqualStrings("value.a[1]: string is not UTF-8", try std.fmt.bufPrint(&buf, "{f}", .{diag}));

    const dup = Value{ .object = &.{ .{ .key = "k", .value = .null }, .{ .key = "k", .value = .null } } };
    try std.testing.expectError(error.Unencodable, structured.encode(gpa, .{ .x = dup }, &diag));
    try std.testing.expectEqualStrings("value.x.k: the key is there twice", try std.fmt.bufPrint(&buf, "{f}", .{diag}));

    const odd = Value{ .typed_array = .{ .kind = .uint16, .bytes = "abc" } };
    try std.testing.expectError(error.Unencodable, structured.encode(gpa, odd, &diag));
    try std.testing.expectEqualStrings("value: typed array is not a whole number of elements", try std.fmt.bufPrint(&buf, "{f}", .{diag}));
}

test "decode names the byte offset" {
    const gpa = std.testing.allocator;
    var diag: structured.Diagnostics = .{};
    // [1, <indefinite array>]
    try std.testing.expectError(error.Malformed, structured.decode(gpa, "\xd9\xd9\xf7\x82\x01\x9f\xff", &diag));
    var buf: [128]u8 = undefined;
    try std.testing.expectEqualStrings("at byte 5: indefinite length", try std.fmt.bufPrint(&buf, "{f}", .{diag}));
    try std.testing.expectError(error.Malformed, structured.decode(gpa, "\x82\x01\x02", &diag));
    try std.testing.expectEqual(0, diag.offset);
}

test "nesting: 256 levels are kept, 257 refused, both ways" {
    const gpa = std.testing.allocator;
    var levels: [258]Value = undefined;
    levels[0] = .null;
    for (1..levels.len) |i| levels[i] = .{ .array = levels[i - 1 .. i] };
    const ok = try structured.encode(gpa, levels[256], null);
    defer gpa.free(ok);
    const v = try structured.decode(gpa, ok, null);
    defer v.deinit(gpa);
    try std.testing.expect(v.eql(levels[256]));
    try std.testing.expectError(error.Unencodable, structured.encode(gpa, levels[257], null));

    var deep: [3 + 257 + 1]u8 = undefined;
    @memcpy(deep[0..3], &structured.prefix);
    @memset(deep[3..260], 0x81);
    deep[260] = 0xf6;
    var diag: structured.Diagnostics = .{};
    try std.testing.expectError(error.Malformed, structured.decode(gpa, &deep, &diag));
    try std.testing.expectEqual(3 + 256, diag.offset);
}

test "a decode that fails part way frees what it made" {
    const gpa = std.testing.allocator;
    // {"a": "x", "b": [h'00', tag 3 over h'', ...truncated]}
    try std.testing.expectError(error.Malformed, structured.decode(gpa, "\xd9\xd9\xf7\xa2\x61\x61\x61\x78\x61\x62\x83\x41\x00\xc3\x40", null));
    // a Map with a repeated key: the later value wins, in the first place.
    const v = try structured.decode(gpa, "\xd9\xd9\xf7\xd9\x01\x03\xa3\x01\x61\x61\x02\x61\x62\x01\x61\x63", null);
    defer v.deinit(gpa);
    try std.testing.expectEqual(2, v.map.len);
    try std.testing.expectEqualStrings("c", v.map[0].value.string);
}

test "mutated vectors decode or fail cleanly, without leaks" {
    const gpa = std.testing.allocator;
    const text = try std.Io.Dir.cwd().readFileAlloc(std.testing.io, vectors_path, gpa, .limited(16 << 20));
    defer gpa.free(text);
    const parsed = try std.json.parseFromSlice(std.json.Value, gpa, text, .{ .parse_numbers = false });
    defer parsed.deinit();
    var buf: [64]u8 = undefined; // the short vectors: the testing allocator is slow
    var decoded: usize = 0;
    for (parsed.value.object.get("vectors").?.array.items) |vj| {
        const hex = vj.object.get("hex").?.string;
        if (hex.len / 2 > buf.len) continue;
        const bytes = try std.fmt.hexToBytes(&buf, hex);
        for (0..bytes.len) |i| {
            const was = bytes[i];
            defer bytes[i] = was;
            for ([_]u8{ 0x00, 0x18, 0x1b, 0x5b, 0x80, 0x9b, 0xa1, 0xc3, 0xd8, 0xf9, 0xff, was ^ 1 }) |b| {
                bytes[i] = b;
                if (structured.decode(gpa, bytes, null)) |v| {
                    decoded += 1;
                    // What decodes encodes, and that decodes to the same.
                    const again = try structured.encode(gpa, v, null);
                    defer gpa.free(again);
                    const w = try structured.decode(gpa, again, null);
                    defer w.deinit(gpa);
                    try std.testing.expect(v.eql(w));
                    v.deinit(gpa);
                } else |err| try std.testing.expectEqual(error.Malformed, err);
            }
            // Cut short here.
            if (structured.decode(gpa, bytes[0..i], null)) |v| v.deinit(gpa) else |_| {}
        }
    }
    try std.testing.expect(decoded > 0);
}

test "decodeAs reads a Zig type: the reverse of encode" {
    var arena_state: std.heap.ArenaAllocator = .init(std.testing.allocator);
    defer arena_state.deinit();
    const arena = arena_state.allocator();
    const Color = enum { red, green };
    const Inner = struct { ok: bool };
    const S = struct {
        id: u64,
        name: []const u8,
        tags: []const []const u8,
        color: Color,
        ratio: f32,
        inner: *const Inner,
        pair: struct { i8, ?u8 },
        fixed: [2]u8,
        missing: ?u8,
        defaulted: u8 = 7,
        any: Value,
        blob: structured.Bytes,
    };
    const in = .{
        .extra = 1,
        .id = @as(u64, 1 << 60),
        .name = "zig",
        .tags = [_][]const u8{ "a", "b" },
        .color = .green,
        .ratio = 0.5,
        .inner = .{ .ok = true },
        .pair = .{ -1, null },
        .fixed = Value{ .bytes = "\x01\x02" },
        .any = Value{ .date = 1500 },
        .blob = structured.Bytes{ .data = "\xff" },
    };
    const bytes = try structured.encode(arena, in, null);
    var diag: structured.Diagnostics = .{};
    const s = structured.decodeAs(S, arena, bytes, &diag) catch |err| {
        std.debug.print("decodeAs: {f}\n", .{diag});
        return err;
    };
    try std.testing.expectEqual(1 << 60, s.id);
    try std.testing.expectEqualStrings("zig", s.name);
    try std.testing.expectEqualStrings("b", s.tags[1]);
    try std.testing.expectEqual(.green, s.color);
    try std.testing.expectEqual(0.5, s.ratio);
    try std.testing.expect(s.inner.ok);
    try std.testing.expectEqual(-1, s.pair[0]);
    try std.testing.expectEqual(null, s.pair[1]);
    try std.testing.expectEqualSlices(u8, "\x01\x02", &s.fixed);
    try std.testing.expectEqual(null, s.missing);
    try std.testing.expectEqual(7, s.defaulted);
    try std.testing.expect(s.any.eql(.{ .date = 1500 }));
    try std.testing.expectEqualSlices(u8, "\xff", s.blob.data);

    // Integers: from numbers and bigints in range, else a mismatch naming the path.
    try std.testing.expectEqual(std.math.minInt(i64), try structured.decodeAs(i64, arena, try structured.encode(arena, @as(i64, std.math.minInt(i64)), null), null));
    try std.testing.expectEqual(std.math.maxInt(u64), try structured.decodeAs(u64, arena, try structured.encode(arena, @as(u64, std.math.maxInt(u64)), null), null));
    try std.testing.expectEqual(-3, try structured.decodeAs(i8, arena, try structured.encode(arena, -3.0, null), null));
    var buf: [160]u8 = undefined;
    try std.testing.expectError(error.Mismatch, structured.decodeAs(struct { a: []const u8 }, arena, try structured.encode(arena, .{ .a = .{ "x", 300 } }, null), &diag));
    try std.testing.expectEqualStrings("value.a: a value of kind array cannot be read as []const u8", try std.fmt.bufPrint(&buf, "{f}", .{diag}));
    try std.testing.expectError(error.Mismatch, structured.decodeAs(struct { a: []const u8 }, arena, try structured.encode(arena, .{ .b = 1 }, null), &diag));
    try std.testing.expectEqualStrings("value.a: the property is missing", try std.fmt.bufPrint(&buf, "{f}", .{diag}));
    try std.testing.expectError(error.Mismatch, structured.decodeAs([]const u8, arena, try structured.encode(arena, .{ 1, 256 }, null), &diag));
    try std.testing.expectError(error.Mismatch, structured.decodeAs([]const u8, arena, try structured.encode(arena, @as(u8, 1), null), &diag));
    try std.testing.expectError(error.Mismatch, structured.decodeAs([2]u16, arena, try structured.encode(arena, .{ 1, 65536 }, null), &diag));
    try std.testing.expectEqualStrings("value[1]: a value of kind number cannot be read as u16", try std.fmt.bufPrint(&buf, "{f}", .{diag}));
    try std.testing.expectError(error.Mismatch, structured.decodeAs(u8, arena, try structured.encode(arena, 1.5, null), &diag));
}

test "a large object with a key twice is refused" {
    const gpa = std.testing.allocator;
    var props: [40]structured.Property = undefined;
    var names: [40][3]u8 = undefined;
    for (&props, &names, 0..) |*p, *n, i| {
        n.* = .{ 'k', '0' + @as(u8, @intCast(i / 10)), '0' + @as(u8, @intCast(i % 10)) };
        p.* = .{ .key = n, .value = .null };
    }
    const ok = try structured.encode(gpa, Value{ .object = &props }, null);
    gpa.free(ok);
    props[39].key = "k07";
    var diag: structured.Diagnostics = .{};
    try std.testing.expectError(error.Unencodable, structured.encode(gpa, Value{ .object = &props }, &diag));
    try std.testing.expectEqualStrings(".k07", diag.path());
}

test "Dates: a time beyond 8.64e15 ms is invalid, a fraction truncated toward -inf (TimeClip)" {
    const gpa = std.testing.allocator;
    const cases = [_]struct { ms: f64, hex: []const u8 }{
        .{ .ms = 8.64e15 + 1, .hex = "d9d9f7c1fb7ff8000000000000" },
        .{ .ms = -std.math.inf(f64), .hex = "d9d9f7c1fb7ff8000000000000" },
        .{ .ms = 1500.7, .hex = "d9d9f7c1fb3ff8000000000000" },
        .{ .ms = -0.5, .hex = "d9d9f7c1fbbf50624dd2f1a9fc" }, // -1 ms
        .{ .ms = -0.0, .hex = "d9d9f7c100" },
    };
    for (cases) |c| try expectEncoding(Value{ .date = c.ms }, c.hex);
    // Read back: 1e20 s and Infinity are invalid Dates.
    for ([_][]const u8{ "\xd9\xd9\xf7\xc1\xfb\x44\x15\xaf\x1d\x78\xb5\x8c\x40", "\xd9\xd9\xf7\xc1\xf9\x7c\x00", "\xd9\xd9\xf7\xc1\x1b\x00\x20\x00\x00\x00\x00\x00\x00" }) |b| {
        const v = try structured.decode(gpa, b, null);
        try std.testing.expect(v == .date and std.math.isNan(v.date));
    }
}

fn decodeAndEncode(gpa: std.mem.Allocator, bytes: []const u8) !void {
    const v = try structured.decode(gpa, bytes, null);
    defer v.deinit(gpa);
    const again = try structured.encode(gpa, v, null);
    gpa.free(again);
}

test "running out of memory anywhere leaks nothing" {
    const cases = [_][]const u8{
        // object of everything: a Map, a Set, a Date, bytes, a typed array, undefined, an Error
        "d9d9f7a46161d90103a101d9010281c10061628243010203d8454201006163f76164d81b82654572726f72a2646e616d65654572726f72676d65737361676560",
        // a Map with a repeated key, a Set with a repeated element
        "d9d9f782d90103a3016161026162016163d901028401010201",
        // an Error with stack and cause, a negative bigint, a large object
        "d9d9f782d81b82654572726f72a4646e616d656a52616e67654572726f72676d657373616765656f7574657265737461636b6173656361757365f6c34101",
    };
    for (cases) |hex| {
        var buf: [256]u8 = undefined;
        try std.testing.checkAllAllocationFailures(std.testing.allocator, decodeAndEncode, .{try std.fmt.hexToBytes(&buf, hex)});
    }
}
