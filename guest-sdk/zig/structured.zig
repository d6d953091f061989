//! The structured-value encoding: how Durable Objects' stored values, RPC
//! arguments and results, socket attachments and thrown values cross the
//! ABI (docs/durable-objects.md, "The structured-value encoding"). It is
//! a subset of CBOR behind the prefix `d9 d9 f7`, which every Bindery SDK
//! reads and writes byte for byte alike.
//!
//!     const structured = @import("bindery").structured;
//!
//!     const Point = struct { x: i32, y: i32, label: ?[]const u8 = null };
//!     const bytes = try structured.encode(gpa, Point{ .x = 1, .y = 2 }, null);
//!     defer gpa.free(bytes);
//!
//!     var diag: structured.Diagnostics = .{};
//!     const v = structured.decode(arena, bytes, &diag) catch |err| {
//!         std.log.err("{t}: {f}", .{ err, diag });
//!         return err;
//!     };
//!     const x = v.get("x").?.number; // 1
//!     const p = try structured.decodeAs(Point, arena, bytes, &diag); // p.x == 1
//!
//! `Value` holds every kind of value the encoding has (a JavaScript
//! value's kind and order are kept: an object's keys, a Map's entries).
//! `encode` takes a `Value` or a plain Zig value (see `encode` for the
//! mapping); `decodeAs` and `read` map back to a Zig type.
//! This file uses only std, so `zig test structured.zig` runs natively.
const std = @import("std");

const Allocator = std.mem.Allocator;

/// prefix is the self-described CBOR tag 55799 that begins every encoded
/// value.
pub const prefix = [3]u8{ 0xd9, 0xd9, 0xf7 };

/// max_depth is how deeply arrays, maps and tags may nest; deeper values
/// are refused by both `encode` and `decode`.
pub const max_depth = 256;

/// max_safe_integer is 2^53 − 1: integers up to it in magnitude are
/// numbers, larger ones bigints.
pub const max_safe_integer = 9007199254740991;

/// ErrorName is the class of an Error value: one of JavaScript's seven
/// standard Error classes (any other name decodes as `Error`).
pub const ErrorName = enum { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

/// ErrorValue is a JavaScript Error: its class, message and, when it has
/// them, its stack and cause.
pub const ErrorValue = struct {
    name: ErrorName = .Error,
    message: []const u8 = "",
    stack: ?[]const u8 = null,
    cause: ?*const Value = null,
};

/// TypedArrayKind is the element type of a JavaScript typed array.
pub const TypedArrayKind = enum {
    uint8,
    uint8_clamped,
    int8,
    uint16,
    uint32,
    biguint64,
    int16,
    int32,
    bigint64,
    float16,
    float32,
    float64,

    /// tag returns the kind's RFC 8746 CBOR tag.
    pub fn tag(k: TypedArrayKind) u64 {
        return switch (k) {
            .uint8 => 64,
            .uint8_clamped => 68,
            .int8 => 72,
            .uint16 => 69,
            .uint32 => 70,
            .biguint64 => 71,
            .int16 => 77,
            .int32 => 78,
            .bigint64 => 79,
            .float16 => 84,
            .float32 => 85,
            .float64 => 86,
        };
    }

    /// fromTag returns the kind whose tag is t, or null.
    pub fn fromTag(t: u64) ?TypedArrayKind {
        for (std.meta.tags(TypedArrayKind)) |k| {
            if (k.tag() == t) return k;
        }
        return null;
    }

    /// elementSize returns the size of one element in bytes.
    pub fn elementSize(k: TypedArrayKind) usize {
        return switch (k) {
            .uint8, .uint8_clamped, .int8 => 1,
            .uint16, .int16, .float16 => 2,
            .uint32, .int32, .float32 => 4,
            .biguint64, .bigint64, .float64 => 8,
        };
    }

    /// jsName returns the JavaScript class, e.g. "Uint16Array".
    pub fn jsName(k: TypedArrayKind) []const u8 {
        return switch (k) {
            .uint8 => "Uint8Array",
            .uint8_clamped => "Uint8ClampedArray",
            .int8 => "Int8Array",
            .uint16 => "Uint16Array",
            .uint32 => "Uint32Array",
            .biguint64 => "BigUint64Array",
            .int16 => "Int16Array",
            .int32 => "Int32Array",
            .bigint64 => "BigInt64Array",
            .float16 => "Float16Array",
            .float32 => "Float32Array",
            .float64 => "Float64Array",
        };
    }
};

/// TypedArray is a JavaScript typed array: its kind and its viewed bytes,
/// little-endian (a whole number of elements).
pub const TypedArray = struct {
    kind: TypedArrayKind,
    bytes: []const u8,
};

/// BigInt is a JavaScript bigint: a sign and the magnitude, big-endian
/// (leading zero bytes allowed; `decode` returns none). Zero is never
/// negative: a negative zero magnitude encodes as 0n.
pub const BigInt = struct {
    negative: bool = false,
    magnitude: []const u8,
};

/// Bytes marks bytes in a Zig value: `encode` writes them as a byte
/// string (an ArrayBuffer), where a `[]const u8` is text, and `read`
/// fills them from bytes, a Uint8Array or text.
pub const Bytes = struct {
    data: []const u8,
};

/// Property is one key and value of a plain object.
pub const Property = struct {
    key: []const u8,
    value: Value,
};

/// MapEntry is one entry of a Map.
pub const MapEntry = struct {
    key: Value,
    value: Value,
};

/// Value is any value the encoding holds: what JavaScript's structured
/// clone keeps, kinds and order included. Slices are borrowed: a decoded
/// Value's memory comes from the allocator given to `decode` (an arena
/// suits it; or free it with `deinit`).
pub const Value = union(enum) {
    undefined,
    null,
    bool: bool,
    /// A JavaScript number (IEEE 754 double).
    number: f64,
    bigint: BigInt,
    /// UTF-8 text.
    string: []const u8,
    /// An ArrayBuffer (plain bytes).
    bytes: []const u8,
    typed_array: TypedArray,
    array: []const Value,
    /// A plain object: its properties in order, each key once.
    object: []const Property,
    /// A Map: its entries in insertion order.
    map: []const MapEntry,
    /// A Set: its elements in insertion order.
    set: []const Value,
    /// A Date: milliseconds since the epoch, NaN for an invalid Date.
    /// As JavaScript's TimeClip has it, `encode` writes a fraction
    /// truncated toward −∞ and a time beyond ±8.64e15 ms as NaN, and
    /// `decode` reads such a time as NaN.
    date: f64,
    /// An Error.
    err: ErrorValue,

    /// get returns the value of an object's property key, or null when v
    /// is not an object or has no such property.
    pub fn get(v: Value, key: []const u8) ?Value {
        if (v != .object) return null;
        for (v.object) |p| {
            if (std.mem.eql(u8, p.key, key)) return p.value;
        }
        return null;
    }

    /// eql reports whether a and b are the same value: same kinds, same
    /// order; numbers and dates compare by their bits, except that every
    /// NaN equals every NaN (the encoding has one NaN).
    pub fn eql(a: Value, b: Value) bool {
        if (std.meta.activeTag(a) != std.meta.activeTag(b)) return false;
        return switch (a) {
            .undefined, .null => true,
            .bool => |x| x == b.bool,
            .number => |x| sameNumber(x, b.number),
            .date => |x| sameNumber(x, b.date),
            .bigint => |x| (isZero(x.magnitude) and isZero(b.bigint.magnitude)) or
                (x.negative == b.bigint.negative and
                    std.mem.eql(u8, trimZeros(x.magnitude), trimZeros(b.bigint.magnitude))),
            .string => |x| std.mem.eql(u8, x, b.string),
            .bytes => |x| std.mem.eql(u8, x, b.bytes),
            .typed_array => |x| x.kind == b.typed_array.kind and std.mem.eql(u8, x.bytes, b.typed_array.bytes),
            .array => |x| eqlSlices(x, b.array),
            .set => |x| eqlSlices(x, b.set),
            .object => |x| {
                if (x.len != b.object.len) return false;
                for (x, b.object) |p, q| {
                    if (!std.mem.eql(u8, p.key, q.key) or !p.value.eql(q.value)) return false;
                }
                return true;
            },
            .map => |x| {
                if (x.len != b.map.len) return false;
                for (x, b.map) |p, q| {
                    if (!p.key.eql(q.key) or !p.value.eql(q.value)) return false;
                }
                return true;
            },
            .err => |x| {
                const y = b.err;
                if (x.name != y.name or !std.mem.eql(u8, x.message, y.message)) return false;
                if ((x.stack == null) != (y.stack == null)) return false;
                if (x.stack) |s| if (!std.mem.eql(u8, s, y.stack.?)) return false;
                if ((x.cause == null) != (y.cause == null)) return false;
                if (x.cause) |c| return c.eql(y.cause.?.*);
                return true;
            },
        };
    }

    /// deinit frees a Value that `decode` returned, with the allocator
    /// given to it. (Not needed when that allocator is an arena.)
    pub fn deinit(v: Value, allocator: Allocator) void {
        switch (v) {
            .undefined, .null, .bool, .number, .date => {},
            .bigint => |x| allocator.free(x.magnitude),
            .string, .bytes => |x| allocator.free(x),
            .typed_array => |x| allocator.free(x.bytes),
            .array, .set => |x| {
                for (x) |e| e.deinit(allocator);
                allocator.free(x);
            },
            .object => |x| {
                for (x) |p| {
                    allocator.free(p.key);
                    p.value.deinit(allocator);
                }
                allocator.free(x);
            },
            .map => |x| {
                for (x) |e| {
                    e.key.deinit(allocator);
                    e.value.deinit(allocator);
                }
                allocator.free(x);
            },
            .err => |x| {
                allocator.free(x.message);
                if (x.stack) |s| allocator.free(s);
                if (x.cause) |c| {
                    c.deinit(allocator);
                    allocator.destroy(c);
                }
            },
        }
    }
};

fn eqlSlices(a: []const Value, b: []const Value) bool {
    if (a.len != b.len) return false;
    for (a, b) |x, y| {
        if (!x.eql(y)) return false;
    }
    return true;
}

fn sameNumber(a: f64, b: f64) bool {
    if (std.math.isNan(a)) return std.math.isNan(b);
    return @as(u64, @bitCast(a)) == @as(u64, @bitCast(b));
}

fn trimZeros(b: []const u8) []const u8 {
    return b[(std.mem.indexOfNone(u8, b, "\x00") orelse b.len)..];
}

fn isZero(b: []const u8) bool {
    return trimZeros(b).len == 0;
}

/// Diagnostics says what went wrong when `encode` or `decode` failed:
/// pass a pointer to one (or null when the error alone will do).
pub const Diagnostics = struct {
    /// decode: the offset in the input of the item at fault (null after
    /// an encode failure).
    offset: ?usize = null,
    /// What is wrong, e.g. "indefinite length".
    reason: []const u8 = "",
    /// The path, built from the back as encode returns (read it with
    /// `path`).
    path_buf: [256]u8 = undefined,
    path_start: usize = 256,

    /// path returns where in the value `encode` failed, e.g. `.a[2]`
    /// (empty at the top; the front is cut to "…" when it is long).
    pub fn path(d: *const Diagnostics) []const u8 {
        return d.path_buf[d.path_start..];
    }

    /// format writes "at byte N: reason" after a decode failure and
    /// "value.path: reason" after an encode failure.
    pub fn format(d: Diagnostics, w: *std.Io.Writer) std.Io.Writer.Error!void {
        if (d.offset) |at| {
            try w.print("at byte {d}: {s}", .{ at, d.reason });
        } else {
            try w.print("value{s}: {s}", .{ d.path(), d.reason });
        }
    }

    fn prepend(d: *Diagnostics, comptime fmt: []const u8, args: anytype) void {
        var buf: [80]u8 = undefined;
        var w: std.Io.Writer = .fixed(&buf);
        w.print(fmt, args) catch {};
        const seg = w.buffered();
        if (seg.len > d.path_start) {
            const ell = "…";
            @memcpy(d.path_buf[0..ell.len], ell);
            d.path_start = 0;
            return;
        }
        d.path_start -= seg.len;
        @memcpy(d.path_buf[d.path_start..][0..seg.len], seg);
    }
};

/// EncodeError is why `encode` failed: Unencodable comes with the value's
/// path and the reason in Diagnostics.
pub const EncodeError = error{ OutOfMemory, Unencodable };

/// DecodeError is why `decode` failed: Malformed comes with the byte
/// offset and the reason in Diagnostics.
pub const DecodeError = error{ OutOfMemory, Malformed };

/// encode returns the encoding of value, which the caller owns. value is
/// a `Value` or a Zig value, mapped by its type:
///
///   - bool; integers as numbers when |n| ≤ 2^53 − 1 and as bigints
///     otherwise (so no integer loses digits); floats as numbers;
///   - `[]const u8`, `[N]u8` and pointers to them as strings, which must
///     be UTF-8 (`Bytes{ .data = b }` encodes bytes);
///   - other slices and arrays, and tuples, as arrays;
///   - structs as plain objects, their fields in declaration order;
///   - optionals as null or their payload; enums and enum literals as
///     their tag names; void as undefined;
///   - pointers to one item as the item; a `Value` anywhere as itself.
///
/// It fails with error.Unencodable (Diagnostics: the path and reason)
/// on a string that is not UTF-8, an object with a key twice, a typed
/// array that is not a whole number of elements, or nesting deeper than
/// `max_depth`.
pub fn encode(allocator: Allocator, value: anytype, diag: ?*Diagnostics) EncodeError![]u8 {
    var e: Encoder = .{ .gpa = allocator, .diag = diag };
    errdefer e.out.deinit(allocator);
    try e.out.appendSlice(allocator, &prefix);
    try e.any(value, 0);
    return e.out.toOwnedSlice(allocator);
}

const Encoder = struct {
    gpa: Allocator,
    out: std.ArrayList(u8) = .empty,
    diag: ?*Diagnostics,

    fn fail(e: *Encoder, reason: []const u8) EncodeError {
        if (e.diag) |d| {
            d.* = .{ .reason = reason };
        }
        return error.Unencodable;
    }

    fn at(e: *Encoder, comptime fmt: []const u8, args: anytype) void {
        if (e.diag) |d| d.prepend(fmt, args);
    }

    fn head(e: *Encoder, major: u8, arg: u64) Allocator.Error!void {
        const m = major << 5;
        if (arg < 24) {
            try e.out.append(e.gpa, m | @as(u8, @intCast(arg)));
        } else if (arg <= 0xff) {
            try e.out.appendSlice(e.gpa, &.{ m | 24, @intCast(arg) });
        } else if (arg <= 0xffff) {
            try e.out.append(e.gpa, m | 25);
            try e.be(u16, @intCast(arg));
        } else if (arg <= 0xffff_ffff) {
            try e.out.append(e.gpa, m | 26);
            try e.be(u32, @intCast(arg));
        } else {
            try e.out.append(e.gpa, m | 27);
            try e.be(u64, arg);
        }
    }

    fn be(e: *Encoder, comptime T: type, v: T) Allocator.Error!void {
        var b: [@sizeOf(T)]u8 = undefined;
        std.mem.writeInt(T, &b, v, .big);
        try e.out.appendSlice(e.gpa, &b);
    }

    fn float(e: *Encoder, f: f64) Allocator.Error!void {
        try e.out.append(e.gpa, 0xfb);
        try e.be(u64, if (std.math.isNan(f)) 0x7ff8_0000_0000_0000 else @bitCast(f));
    }

    fn number(e: *Encoder, f: f64) Allocator.Error!void {
        const negZero = f == 0 and std.math.signbit(f);
        if (!negZero and @trunc(f) == f and @abs(f) <= max_safe_integer) {
            const i: i64 = @intFromFloat(f);
            if (i >= 0) return e.head(0, @intCast(i));
            return e.head(1, @intCast(-1 - i));
        }
        try e.float(f);
    }

    fn text(e: *Encoder, s: []const u8) EncodeError!void {
        if (!std.unicode.utf8ValidateSlice(s)) return e.fail("string is not UTF-8");
        try e.head(3, s.len);
        try e.out.appendSlice(e.gpa, s);
    }

    fn byteString(e: *Encoder, b: []const u8) Allocator.Error!void {
        try e.head(2, b.len);
        try e.out.appendSlice(e.gpa, b);
    }

    /// bigint writes tag 2 or 3 over a magnitude, big-endian.
    fn bigint(e: *Encoder, negative: bool, magnitude: []const u8, d: usize) EncodeError!void {
        try e.depth(d);
        const m = trimZeros(magnitude);
        if (!negative or m.len == 0) {
            try e.head(6, 2);
            return e.byteString(m);
        }
        // Tag 3 holds |n| − 1.
        const buf = try e.gpa.dupe(u8, m);
        defer e.gpa.free(buf);
        var i = buf.len;
        while (i > 0) {
            i -= 1;
            if (buf[i] != 0) {
                buf[i] -= 1;
                break;
            }
            buf[i] = 0xff;
        }
        try e.head(6, 3);
        try e.byteString(trimZeros(buf));
    }

    fn int(e: *Encoder, v: anytype, d: usize) EncodeError!void {
        const T = @TypeOf(v);
        if (T == comptime_int) {
            return e.int(@as(std.math.IntFittingRange(v, v), v), d);
        }
        const bits = @typeInfo(T).int.bits;
        const U = @Int(.unsigned, bits);
        const mag: U = @abs(v);
        const negative = v < 0;
        if (mag <= max_safe_integer) {
            const m: u64 = @intCast(mag);
            return if (negative) e.head(1, m - 1) else e.head(0, m);
        }
        const W = @Int(.unsigned, (bits + 7) / 8 * 8);
        var b: [@sizeOf(W)]u8 = undefined;
        std.mem.writeInt(W, b[0 .. (bits + 7) / 8], mag, .big);
        try e.bigint(negative, b[0 .. (bits + 7) / 8], d);
    }

    fn date(e: *Encoder, time: f64, d: usize) EncodeError!void {
        try e.depth(d);
        try e.head(6, 1);
        const ms = timeClip(@floor(time));
        if (@rem(ms, 1000) == 0) return e.number(ms / 1000 + 0);
        try e.float(ms / 1000);
    }

    fn depth(e: *Encoder, d: usize) EncodeError!void {
        if (d >= max_depth) return e.fail("nesting deeper than 256");
    }

    fn value(e: *Encoder, v: Value, d: usize) EncodeError!void {
        switch (v) {
            .undefined => try e.out.append(e.gpa, 0xf7),
            .null => try e.out.append(e.gpa, 0xf6),
            .bool => |b| try e.out.append(e.gpa, if (b) 0xf5 else 0xf4),
            .number => |f| try e.number(f),
            .bigint => |b| try e.bigint(b.negative, b.magnitude, d),
            .string => |s| try e.text(s),
            .bytes => |b| try e.byteString(b),
            .typed_array => |t| {
                if (t.bytes.len % t.kind.elementSize() != 0) {
                    return e.fail("typed array is not a whole number of elements");
                }
                try e.depth(d);
                try e.head(6, t.kind.tag());
                try e.byteString(t.bytes);
            },
            .array => |a| {
                try e.depth(d);
                try e.head(4, a.len);
                for (a, 0..) |x, i| e.value(x, d + 1) catch |err| {
                    e.at("[{d}]", .{i});
                    return err;
                };
            },
            .set => |a| {
                try e.depth(d + 1);
                try e.head(6, 258);
                try e.head(4, a.len);
                for (a, 0..) |x, i| e.value(x, d + 2) catch |err| {
                    e.at("[{d}]", .{i});
                    return err;
                };
            },
            .object => |o| {
                try e.depth(d);
                try e.head(5, o.len);
                var seen: std.StringHashMapUnmanaged(void) = .empty;
                defer seen.deinit(e.gpa);
                for (o, 0..) |p, i| {
                    e.text(p.key) catch |err| {
                        e.at("[{d}] (a key)", .{i});
                        return err;
                    };
                    if (try e.repeated(o, i, &seen)) {
                        e.fail("the key is there twice") catch {};
                        e.at(".{s}", .{p.key});
                        return error.Unencodable;
                    }
                    e.value(p.value, d + 1) catch |err| {
                        e.at(".{s}", .{p.key});
                        return err;
                    };
                }
            },
            .map => |m| {
                try e.depth(d + 1);
                try e.head(6, 259);
                try e.head(5, m.len);
                for (m, 0..) |x, i| {
                    e.value(x.key, d + 2) catch |err| {
                        e.at("[{d}] (a key)", .{i});
                        return err;
                    };
                    e.value(x.value, d + 2) catch |err| {
                        e.at("[{d}]", .{i});
                        return err;
                    };
                }
            },
            .date => |ms| try e.date(ms, d),
            .err => |x| {
                try e.depth(d + 2);
                try e.head(6, 27);
                try e.head(4, 2);
                try e.text("Error");
                var n: u64 = 2;
                if (x.stack != null) n += 1;
                if (x.cause != null) n += 1;
                try e.head(5, n);
                try e.text("name");
                try e.text(@tagName(x.name));
                try e.text("message");
                e.text(x.message) catch |err| {
                    e.at(".message", .{});
                    return err;
                };
                if (x.stack) |s| {
                    try e.text("stack");
                    e.text(s) catch |err| {
                        e.at(".stack", .{});
                        return err;
                    };
                }
                if (x.cause) |c| {
                    try e.text("cause");
                    e.value(c.*, d + 3) catch |err| {
                        e.at(".cause", .{});
                        return err;
                    };
                }
            },
        }
    }

    /// repeated says whether o[i]'s key is one of o[0..i]'s: by looking
    /// when o is small, else in seen, which holds o[0..i]'s keys.
    fn repeated(e: *Encoder, o: []const Property, i: usize, seen: *std.StringHashMapUnmanaged(void)) Allocator.Error!bool {
        if (o.len <= 16) {
            for (o[0..i]) |q| {
                if (std.mem.eql(u8, o[i].key, q.key)) return true;
            }
            return false;
        }
        return (try seen.getOrPut(e.gpa, o[i].key)).found_existing;
    }

    fn any(e: *Encoder, v: anytype, d: usize) EncodeError!void {
        const T = @TypeOf(v);
        if (T == Value) return e.value(v, d);
        if (T == Bytes) return e.byteString(v.data);
        switch (@typeInfo(T)) {
            .void => try e.out.append(e.gpa, 0xf7),
            .null => try e.out.append(e.gpa, 0xf6),
            .bool => try e.out.append(e.gpa, if (v) 0xf5 else 0xf4),
            .int, .comptime_int => try e.int(v, d),
            .float => try e.number(@floatCast(v)),
            .comptime_float => try e.number(v),
            .optional => if (v) |x| try e.any(x, d) else try e.out.append(e.gpa, 0xf6),
            .@"enum", .enum_literal => try e.text(@tagName(v)),
            .array => |a| if (a.child == u8) try e.text(&v) else try e.list(&v, d),
            .pointer => |p| switch (p.size) {
                .one => try e.any(v.*, d),
                .slice => if (p.child == u8) try e.text(v) else try e.list(v, d),
                else => @compileError("structured.encode: cannot encode the many-item pointer " ++ @typeName(T) ++ " (make it a slice)"),
            },
            .@"struct" => |s| {
                try e.depth(d);
                if (s.is_tuple) {
                    try e.head(4, s.field_names.len);
                    inline for (s.field_names, 0..) |f, i| e.any(@field(v, f), d + 1) catch |err| {
                        e.at("[{d}]", .{i});
                        return err;
                    };
                    return;
                }
                try e.head(5, s.field_names.len);
                inline for (s.field_names) |f| {
                    try e.text(f);
                    e.any(@field(v, f), d + 1) catch |err| {
                        e.at(".{s}", .{f});
                        return err;
                    };
                }
            },
            else => @compileError("structured.encode: cannot encode " ++ @typeName(T)),
        }
    }

    fn list(e: *Encoder, items: anytype, d: usize) EncodeError!void {
        try e.depth(d);
        try e.head(4, items.len);
        for (items, 0..) |x, i| e.any(x, d + 1) catch |err| {
            e.at("[{d}]", .{i});
            return err;
        };
    }
};

/// decode reads one encoded value, allocating its memory with allocator
/// (an arena suits it; otherwise free it with `Value.deinit`). It accepts
/// what docs/durable-objects.md says a decoder accepts (arguments not in
/// their shortest form, half and single floats, bigint magnitudes with
/// leading zeros) and fails with error.Malformed (Diagnostics: the byte
/// offset and the reason) on everything it refuses: no prefix, trailing
/// bytes, indefinite lengths, unknown tags and simple values, text that
/// is not UTF-8, an object key that is not text or is there twice, a tag
/// over the wrong item, nesting deeper than `max_depth`.
pub fn decode(allocator: Allocator, bytes: []const u8, diag: ?*Diagnostics) DecodeError!Value {
    var d: Decoder = .{ .gpa = allocator, .in = bytes, .diag = diag };
    if (!std.mem.startsWith(u8, bytes, &prefix)) return d.fail(0, "no d9 d9 f7 prefix (not this encoding)");
    d.pos = prefix.len;
    const v = try d.item(0);
    if (d.pos != bytes.len) {
        v.deinit(allocator);
        return d.fail(d.pos, "bytes after the value");
    }
    return v;
}

/// ReadError is why `read` or `decodeAs` could not make a T: Mismatch
/// comes with the path and the reason in Diagnostics.
pub const ReadError = error{ OutOfMemory, Mismatch };

/// decodeAs decodes bytes and reads the value as a T (see `read`). Every
/// allocation comes from arena, and the result refers to it: pass an
/// arena (req.arena) and free it all at once.
pub fn decodeAs(comptime T: type, arena: Allocator, bytes: []const u8, diag: ?*Diagnostics) (DecodeError || ReadError)!T {
    return read(T, arena, try decode(arena, bytes, diag), diag);
}

/// read returns v as a T, the reverse of `encode`'s mapping, allocating
/// with arena (pass an arena: the result may refer to v's memory):
///
///   - bool from a boolean; an integer type from a number that is
///     integral and in its range, or a bigint in its range; a float type
///     from a number;
///   - `[]const u8` (and `[N]u8` of that length) and `Bytes` from a
///     string, bytes or a Uint8Array;
///   - other slices from an array or Set; arrays and tuples from an array
///     of their length;
///   - a struct from an object: each field from the property of its name,
///     a missing one from the field's default value or, for an optional,
///     null; other properties are ignored;
///   - an optional from undefined or null as null, else from its payload;
///     an enum from its tag's name; void from undefined or null;
///   - a pointer to one item from that item; a `Value` is v itself.
///
/// Anything else fails with error.Mismatch (Diagnostics: the path and
/// what was found).
pub fn read(comptime T: type, arena: Allocator, v: Value, diag: ?*Diagnostics) ReadError!T {
    if (diag) |d| d.* = .{};
    return readAt(T, arena, v, diag);
}

fn readAt(comptime T: type, arena: Allocator, v: Value, diag: ?*Diagnostics) ReadError!T {
    if (T == Value) return v;
    if (T == Bytes) {
        if (bytesOf(v)) |b| return .{ .data = b };
    } else switch (@typeInfo(T)) {
        .void => if (v == .undefined or v == .null) return {},
        .bool => if (v == .bool) return v.bool,
        .int => |info| {
            if (info.bits > 128) @compileError("structured.read: integers of more than 128 bits are not supported");
            switch (v) {
                .number => |f| if (@trunc(f) == f and f >= -0x1p127 and f < 0x1p127) {
                    const i: i128 = @intFromFloat(f);
                    if (std.math.cast(T, i)) |x| return x;
                },
                .bigint => |b| {
                    const m = trimZeros(b.magnitude);
                    if (m.len <= 16) {
                        var buf: [16]u8 = @splat(0);
                        @memcpy(buf[16 - m.len ..], m);
                        const mag = std.mem.readInt(u128, &buf, .big);
                        if (!b.negative or mag == 0) {
                            if (std.math.cast(T, mag)) |x| return x;
                        } else if (mag <= 1 << 127) {
                            const i: i128 = if (mag == 1 << 127) std.math.minInt(i128) else -@as(i128, @intCast(mag));
                            if (std.math.cast(T, i)) |x| return x;
                        }
                    }
                },
                else => {},
            }
        },
        .float => if (v == .number) return @floatCast(v.number),
        .optional => |o| {
            if (v == .undefined or v == .null) return null;
            return try readAt(o.child, arena, v, diag);
        },
        .@"enum" => if (v == .string) {
            if (std.meta.stringToEnum(T, v.string)) |e| return e;
        },
        .array => |a| {
            if (a.child == u8) {
                if (bytesOf(v)) |b| if (b.len == a.len) return b[0..a.len].*;
            } else if (v == .array and v.array.len == a.len) {
                var out: T = undefined;
                for (&out, v.array, 0..) |*x, e, i| x.* = readAt(a.child, arena, e, diag) catch |err| return within(diag, err, "[{d}]", .{i});
                return out;
            }
        },
        .pointer => |p| switch (p.size) {
            .one => {
                const out = try arena.create(p.child);
                out.* = try readAt(p.child, arena, v, diag);
                return out;
            },
            .slice => {
                if (p.child == u8) {
                    if (bytesOf(v)) |b| return if (p.attrs.@"const") b else arena.dupe(u8, b);
                } else if (v == .array or v == .set) {
                    const items = if (v == .array) v.array else v.set;
                    const out = try arena.alloc(p.child, items.len);
                    for (out, items, 0..) |*x, e, i| x.* = readAt(p.child, arena, e, diag) catch |err| return within(diag, err, "[{d}]", .{i});
                    return out;
                }
            },
            else => @compileError("structured.read: cannot read a " ++ @typeName(T) ++ " (make it a slice)"),
        },
        .@"struct" => |s| {
            if (s.is_tuple) {
                if (v == .array and v.array.len == s.field_names.len) {
                    var out: T = undefined;
                    inline for (s.field_names, s.field_types, 0..) |f, FT, i| {
                        @field(out, f) = readAt(FT, arena, v.array[i], diag) catch |err| return within(diag, err, "[{d}]", .{i});
                    }
                    return out;
                }
            } else if (v == .object) {
                var out: T = undefined;
                inline for (s.field_names, s.field_types, s.field_attrs) |f, FT, attrs| {
                    if (v.get(f)) |x| {
                        @field(out, f) = readAt(FT, arena, x, diag) catch |err| return within(diag, err, ".{s}", .{f});
                    } else if (comptime attrs.defaultValue(FT)) |d| {
                        @field(out, f) = d;
                    } else if (@typeInfo(FT) == .optional) {
                        @field(out, f) = null;
                    } else {
                        return mismatch(diag, "the property is missing", .{f});
                    }
                }
                return out;
            }
        },
        else => @compileError("structured.read: cannot read a " ++ @typeName(T)),
    }
    return switch (v) {
        inline else => |_, tag| mismatch(diag, "a value of kind " ++ @tagName(tag) ++ " cannot be read as " ++ @typeName(T), null),
    };
}

/// bytesOf returns the bytes of a string, bytes or Uint8Array value.
fn bytesOf(v: Value) ?[]const u8 {
    return switch (v) {
        .string, .bytes => |b| b,
        .typed_array => |t| if (t.kind == .uint8) t.bytes else null,
        else => null,
    };
}

fn mismatch(diag: ?*Diagnostics, comptime reason: []const u8, field: ?struct { []const u8 }) ReadError {
    if (diag) |d| {
        d.* = .{ .reason = reason };
        if (field) |f| d.prepend(".{s}", f);
    }
    return error.Mismatch;
}

fn within(diag: ?*Diagnostics, err: ReadError, comptime fmt: []const u8, args: anytype) ReadError {
    if (err == error.Mismatch) if (diag) |d| d.prepend(fmt, args);
    return err;
}

const Head = struct {
    /// Where the item begins.
    at: usize,
    major: u3,
    /// The additional information (0–27).
    info: u5,
    arg: u64,
};

const Decoder = struct {
    gpa: Allocator,
    in: []const u8,
    pos: usize = 0,
    diag: ?*Diagnostics,

    fn fail(d: *Decoder, at: usize, reason: []const u8) DecodeError {
        if (d.diag) |g| g.* = .{ .offset = at, .reason = reason };
        return error.Malformed;
    }

    fn head(d: *Decoder) DecodeError!Head {
        const at = d.pos;
        if (at >= d.in.len) return d.fail(at, "unexpected end of input");
        const b = d.in[at];
        const h: Head = .{ .at = at, .major = @intCast(b >> 5), .info = @intCast(b & 31), .arg = 0 };
        d.pos += 1;
        const n: usize = switch (h.info) {
            0...23 => return .{ .at = at, .major = h.major, .info = h.info, .arg = h.info },
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            28...30 => return d.fail(at, "reserved additional information"),
            31 => return d.fail(at, if (h.major == 7) "unexpected break" else "indefinite length"),
        };
        if (d.in.len - d.pos < n) return d.fail(at, "unexpected end of input");
        var arg: u64 = 0;
        for (d.in[d.pos..][0..n]) |x| arg = arg << 8 | x;
        d.pos += n;
        return .{ .at = at, .major = h.major, .info = h.info, .arg = arg };
    }

    /// payload returns the bytes of a byte or text string with head h.
    fn payload(d: *Decoder, h: Head) DecodeError![]const u8 {
        if (h.arg > d.in.len - d.pos) return d.fail(h.at, "unexpected end of input");
        const s = d.in[d.pos..][0..@intCast(h.arg)];
        d.pos += s.len;
        return s;
    }

    fn text(d: *Decoder, h: Head) DecodeError![]u8 {
        const s = try d.payload(h);
        if (!std.unicode.utf8ValidateSlice(s)) return d.fail(h.at, "text is not UTF-8");
        return d.gpa.dupe(u8, s);
    }

    /// count checks that n items of at least one byte each can follow.
    fn count(d: *Decoder, h: Head, per: usize) DecodeError!usize {
        if (h.arg > (d.in.len - d.pos) / per) return d.fail(h.at, "unexpected end of input");
        return @intCast(h.arg);
    }

    fn item(d: *Decoder, depth: usize) DecodeError!Value {
        const h = try d.head();
        switch (h.major) {
            0 => return if (h.arg <= max_safe_integer) .{ .number = @floatFromInt(h.arg) } else d.bigOf(false, h.arg),
            1 => return if (h.arg < max_safe_integer) .{ .number = -@as(f64, @floatFromInt(h.arg)) - 1 } else d.bigOf(true, h.arg),
            2 => return .{ .bytes = try d.gpa.dupe(u8, try d.payload(h)) },
            3 => return .{ .string = try d.text(h) },
            4 => {
                if (depth >= max_depth) return d.fail(h.at, "nesting deeper than 256");
                return .{ .array = try d.items(h, depth + 1) };
            },
            5 => {
                if (depth >= max_depth) return d.fail(h.at, "nesting deeper than 256");
                return .{ .object = try d.object(h, depth + 1) };
            },
            6 => {
                if (depth >= max_depth) return d.fail(h.at, "nesting deeper than 256");
                return d.tagged(h, depth + 1);
            },
            7 => return switch (h.info) {
                20 => .{ .bool = false },
                21 => .{ .bool = true },
                22 => .null,
                23 => .undefined,
                25 => .{ .number = @floatCast(@as(f16, @bitCast(@as(u16, @intCast(h.arg))))) },
                26 => .{ .number = @floatCast(@as(f32, @bitCast(@as(u32, @intCast(h.arg))))) },
                27 => .{ .number = @bitCast(h.arg) },
                else => d.fail(h.at, "simple value other than false, true, null, undefined"),
            },
        }
    }

    /// bigOf returns the integer of major type 0 (arg) or 1 (−1 − arg)
    /// as a bigint.
    fn bigOf(d: *Decoder, negative: bool, arg: u64) DecodeError!Value {
        const m: u72 = if (negative) @as(u72, arg) + 1 else arg;
        var b: [9]u8 = undefined;
        std.mem.writeInt(u72, &b, m, .big);
        return .{ .bigint = .{ .negative = negative, .magnitude = try d.gpa.dupe(u8, trimZeros(&b)) } };
    }

    fn items(d: *Decoder, h: Head, depth: usize) DecodeError![]Value {
        const n = try d.count(h, 1);
        const out = try d.gpa.alloc(Value, n);
        var done: usize = 0;
        errdefer {
            for (out[0..done]) |v| v.deinit(d.gpa);
            d.gpa.free(out);
        }
        while (done < n) : (done += 1) out[done] = try d.item(depth);
        return out;
    }

    fn object(d: *Decoder, h: Head, depth: usize) DecodeError![]Property {
        const n = try d.count(h, 2);
        const out = try d.gpa.alloc(Property, n);
        var done: usize = 0;
        errdefer {
            for (out[0..done]) |p| {
                d.gpa.free(p.key);
                p.value.deinit(d.gpa);
            }
            d.gpa.free(out);
        }
        var seen: std.StringHashMapUnmanaged(void) = .empty;
        defer seen.deinit(d.gpa);
        try seen.ensureTotalCapacity(d.gpa, @intCast(n));
        while (done < n) : (done += 1) {
            const kh = try d.head();
            if (kh.major != 3) return d.fail(kh.at, "object key is not a text string");
            const key = try d.text(kh);
            if (seen.getOrPutAssumeCapacity(key).found_existing) {
                d.gpa.free(key);
                return d.fail(kh.at, "object key is there twice");
            }
            const v = d.item(depth) catch |err| {
                d.gpa.free(key);
                return err;
            };
            out[done] = .{ .key = key, .value = v };
        }
        return out;
    }

    fn map(d: *Decoder, h: Head, depth: usize) DecodeError![]MapEntry {
        const n = try d.count(h, 2);
        var out: std.ArrayList(MapEntry) = try .initCapacity(d.gpa, n);
        errdefer {
            for (out.items) |e| {
                e.key.deinit(d.gpa);
                e.value.deinit(d.gpa);
            }
            out.deinit(d.gpa);
        }
        // Keys that JavaScript compares by value (primitives, by
        // SameValueZero) are one entry, the later value winning in the
        // earlier place, as Map.set does; objects are never equal.
        var index: std.HashMapUnmanaged(Value, usize, KeyContext, 80) = .empty;
        defer index.deinit(d.gpa);
        for (0..n) |_| {
            const k = zeroKey(try d.item(depth));
            const v = d.item(depth) catch |err| {
                k.deinit(d.gpa);
                return err;
            };
            if (KeyContext.primitive(k)) {
                const gop = index.getOrPut(d.gpa, k) catch |err| {
                    k.deinit(d.gpa);
                    v.deinit(d.gpa);
                    return err;
                };
                if (gop.found_existing) {
                    const e = &out.items[gop.value_ptr.*];
                    k.deinit(d.gpa);
                    e.value.deinit(d.gpa);
                    e.value = v;
                    continue;
                }
                gop.value_ptr.* = out.items.len;
            }
            out.appendAssumeCapacity(.{ .key = k, .value = v });
        }
        return out.toOwnedSlice(d.gpa);
    }

    /// set reads a Set's elements, keeping the first of primitives that
    /// JavaScript compares equal (SameValueZero), as Set.add does.
    fn set(d: *Decoder, h: Head, depth: usize) DecodeError![]Value {
        const all = try d.items(h, depth);
        var index: std.HashMapUnmanaged(Value, void, KeyContext, 80) = .empty;
        defer index.deinit(d.gpa);
        var n: usize = 0;
        for (all, 0..) |element, i| {
            const v = zeroKey(element);
            if (KeyContext.primitive(v)) {
                const found = (index.getOrPut(d.gpa, v) catch |err| {
                    for (all[i..]) |rest| rest.deinit(d.gpa);
                    for (all[0..n]) |kept| kept.deinit(d.gpa);
                    d.gpa.free(all);
                    return err;
                }).found_existing;
                if (found) {
                    v.deinit(d.gpa);
                    continue;
                }
            }
            all[n] = v;
            n += 1;
        }
        return shrink(d.gpa, all, n) catch |err| {
            for (all[0..n]) |kept| kept.deinit(d.gpa);
            d.gpa.free(all);
            return err;
        };
    }

    fn tagged(d: *Decoder, h: Head, depth: usize) DecodeError!Value {
        const c = d.pos; // where the tagged item begins
        switch (h.arg) {
            1 => {
                const ch = try d.head();
                const secs: f64 = switch (ch.major) {
                    0 => @floatFromInt(ch.arg),
                    1 => -@as(f64, @floatFromInt(@as(u65, ch.arg) + 1)),
                    7 => switch (ch.info) {
                        25 => @floatCast(@as(f16, @bitCast(@as(u16, @intCast(ch.arg))))),
                        26 => @floatCast(@as(f32, @bitCast(@as(u32, @intCast(ch.arg))))),
                        27 => @bitCast(ch.arg),
                        else => return d.fail(c, "tag 1 (Date) over something other than a number"),
                    },
                    else => return d.fail(c, "tag 1 (Date) over something other than a number"),
                };
                return .{ .date = timeClip(@round(secs * 1000)) };
            },
            2, 3 => {
                const ch = try d.head();
                if (ch.major != 2) return d.fail(c, "bigint tag over something other than a byte string");
                const m = trimZeros(try d.payload(ch));
                if (h.arg == 2) return .{ .bigint = .{ .magnitude = try d.gpa.dupe(u8, m) } };
                // Tag 3 holds |n| − 1: add 1, a byte longer when every
                // byte carries.
                const grows = std.mem.allEqual(u8, m, 0xff);
                const out = try d.gpa.alloc(u8, m.len + @intFromBool(grows));
                out[0] = 0;
                @memcpy(out[out.len - m.len ..], m);
                var i = out.len;
                while (i > 0) {
                    i -= 1;
                    if (out[i] != 0xff) {
                        out[i] += 1;
                        break;
                    }
                    out[i] = 0;
                }
                return .{ .bigint = .{ .negative = true, .magnitude = out } };
            },
            27 => return d.errorValue(c, depth),
            258 => {
                const ch = try d.head();
                if (ch.major != 4) return d.fail(c, "tag 258 (Set) over something other than an array");
                if (depth >= max_depth) return d.fail(c, "nesting deeper than 256");
                return .{ .set = try d.set(ch, depth + 1) };
            },
            259 => {
                const ch = try d.head();
                if (ch.major != 5) return d.fail(c, "tag 259 (Map) over something other than a map");
                if (depth >= max_depth) return d.fail(c, "nesting deeper than 256");
                return .{ .map = try d.map(ch, depth + 1) };
            },
            else => {
                const kind = TypedArrayKind.fromTag(h.arg) orelse return d.fail(h.at, "unknown tag");
                const ch = try d.head();
                if (ch.major != 2) return d.fail(c, "typed array tag over something other than a byte string");
                const b = try d.payload(ch);
                if (b.len % kind.elementSize() != 0) return d.fail(c, "typed array is not a whole number of elements");
                return .{ .typed_array = .{ .kind = kind, .bytes = try d.gpa.dupe(u8, b) } };
            },
        }
    }

    /// errorValue reads the array ["Error", {name, message, stack?, cause?}]
    /// under tag 27.
    fn errorValue(d: *Decoder, c: usize, depth: usize) DecodeError!Value {
        const bad = "tag 27 (Error) over something other than [\"Error\", {…}]";
        const ah = try d.head();
        if (ah.major != 4 or ah.arg != 2) return d.fail(c, bad);
        const sh = try d.head();
        if (sh.major != 3 or !std.mem.eql(u8, try d.payload(sh), "Error")) return d.fail(c, bad);
        const mh = try d.head();
        if (mh.major != 5) return d.fail(c, bad);
        if (depth + 1 >= max_depth) return d.fail(mh.at, "nesting deeper than 256");
        const props = try d.object(mh, depth + 2);
        // The Error keeps name, message, stack and cause; the rest is freed.
        const box = d.gpa.create(Value) catch |err| {
            for (props) |p| {
                d.gpa.free(p.key);
                p.value.deinit(d.gpa);
            }
            d.gpa.free(props);
            return err;
        };
        var e: ErrorValue = .{};
        var failed: ?[]const u8 = null;
        for (props) |p| {
            defer d.gpa.free(p.key);
            const kept = kept: {
                if (failed != null) break :kept false;
                if (std.mem.eql(u8, p.key, "cause")) {
                    box.* = p.value;
                    e.cause = box;
                    break :kept true;
                }
                const field = std.meta.stringToEnum(enum { name, message, stack }, p.key) orelse break :kept false;
                if (p.value != .string) {
                    failed = switch (field) {
                        .name => "the Error's name is not a string",
                        .message => "the Error's message is not a string",
                        .stack => "the Error's stack is not a string",
                    };
                    break :kept false;
                }
                switch (field) {
                    .name => e.name = std.meta.stringToEnum(ErrorName, p.value.string) orelse .Error,
                    .message => e.message = p.value.string,
                    .stack => e.stack = p.value.string,
                }
                break :kept field != .name;
            };
            if (!kept) p.value.deinit(d.gpa);
        }
        d.gpa.free(props);
        if (e.cause == null) d.gpa.destroy(box);
        if (failed) |why| {
            Value.deinit(.{ .err = e }, d.gpa);
            return d.fail(mh.at, why);
        }
        return .{ .err = e };
    }
};

/// shrink returns buf's first n items as a slice that gpa frees (buf
/// stays the caller's when it fails).
fn shrink(gpa: Allocator, buf: []Value, n: usize) Allocator.Error![]Value {
    if (n == buf.len) return buf;
    if (gpa.resize(buf, n)) return buf[0..n];
    const out = try gpa.dupe(Value, buf[0..n]);
    gpa.free(buf);
    return out;
}

/// max_time is the largest |ms| of a valid JavaScript Date.
const max_time = 8.64e15;

/// timeClip returns ms, or NaN when it is beyond ±8.64e15 (or NaN), and
/// 0 for −0, as JavaScript's TimeClip makes a Date's time.
fn timeClip(ms: f64) f64 {
    if (!(@abs(ms) <= max_time)) return std.math.nan(f64);
    return ms + 0;
}

/// zeroKey returns v with −0 made 0, as Map.prototype.set and
/// Set.prototype.add make a key or element.
fn zeroKey(v: Value) Value {
    if (v == .number and v.number == 0) return .{ .number = 0 };
    return v;
}

/// KeyContext hashes and compares a Map's primitive keys by SameValueZero.
const KeyContext = struct {
    fn primitive(v: Value) bool {
        return switch (v) {
            .undefined, .null, .bool, .number, .bigint, .string => true,
            else => false,
        };
    }

    pub fn hash(_: KeyContext, v: Value) u64 {
        var h = std.hash.Wyhash.init(@backingInt(std.meta.activeTag(v)));
        switch (v) {
            .bool => |b| h.update(&.{@intFromBool(b)}),
            .number => |f| {
                const bits: u64 = if (std.math.isNan(f)) 0x7ff8_0000_0000_0000 else if (f == 0) 0 else @bitCast(f);
                h.update(std.mem.asBytes(&bits));
            },
            .bigint => |b| {
                const m = trimZeros(b.magnitude);
                h.update(&.{@intFromBool(b.negative and m.len > 0)});
                h.update(m);
            },
            .string => |s| h.update(s),
            else => {},
        }
        return h.final();
    }

    pub fn eql(_: KeyContext, a: Value, b: Value) bool {
        if (std.meta.activeTag(a) != std.meta.activeTag(b)) return false;
        return switch (a) {
            .number => |x| x == b.number or std.math.isNan(x) and std.math.isNan(b.number),
            else => a.eql(b),
        };
    }
};
