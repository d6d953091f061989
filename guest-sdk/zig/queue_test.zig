//! Native tests of queue_batch.zig (guest-sdk/zig/build.sh --test): the
//! outcome a handler's calls record, with workerd's first-call-wins rules
//! and their warnings.
const std = @import("std");
const qb = @import("queue_batch.zig");
const structured = @import("structured.zig");

var warnings: std.ArrayList(u8) = .empty;

fn capture(msg: []const u8) void {
    warnings.appendSlice(std.testing.allocator, msg) catch {};
    warnings.append(std.testing.allocator, '\n') catch {};
}

const Call = union(enum) { ack: usize, retry: struct { usize, ?u32 }, ack_all, retry_all: ?u32 };

const Want = struct {
    decisions: []const qb.Decision,
    delays: []const ?u32 = &.{ null, null },
    ack_all: bool = false,
    retry_all: bool = false,
    retry_all_delay: ?u32 = null,
    /// How many warnings are logged, and a text they contain.
    warnings: usize = 0,
    warning: []const u8 = "",
};

test "first call wins" {
    const cases = [_]struct { name: []const u8, calls: []const Call, want: Want }{
        .{ .name = "ack", .calls = &.{.{ .ack = 0 }}, .want = .{ .decisions = &.{ .ack, .none } } },
        .{ .name = "retry with a delay", .calls = &.{.{ .retry = .{ 1, 30 } }}, .want = .{ .decisions = &.{ .none, .retry }, .delays = &.{ null, 30 } } },
        .{ .name = "ack then retry", .calls = &.{ .{ .ack = 0 }, .{ .retry = .{ 0, null } } }, .want = .{ .decisions = &.{ .ack, .none }, .warnings = 1, .warning = "retry() on message m0 after ack()" } },
        .{ .name = "retry then ack", .calls = &.{ .{ .retry = .{ 0, null } }, .{ .ack = 0 } }, .want = .{ .decisions = &.{ .retry, .none }, .warnings = 1, .warning = "ack() on message m0 after retry()" } },
        .{ .name = "retry twice: the later delay", .calls = &.{ .{ .retry = .{ 0, 5 } }, .{ .retry = .{ 0, 9 } } }, .want = .{ .decisions = &.{ .retry, .none }, .delays = &.{ 9, null } } },
        .{ .name = "ack twice", .calls = &.{ .{ .ack = 1 }, .{ .ack = 1 } }, .want = .{ .decisions = &.{ .none, .ack } } },
        .{ .name = "ackAll then retryAll", .calls = &.{ .ack_all, .{ .retry_all = 7 } }, .want = .{ .decisions = &.{ .none, .none }, .ack_all = true, .warnings = 1, .warning = "retryAll() after ackAll()" } },
        .{ .name = "retryAll then ackAll", .calls = &.{ .{ .retry_all = 7 }, .ack_all }, .want = .{ .decisions = &.{ .none, .none }, .retry_all = true, .retry_all_delay = 7, .warnings = 1, .warning = "ackAll() after retryAll()" } },
        .{ .name = "ack after ackAll: silent", .calls = &.{ .ack_all, .{ .ack = 0 } }, .want = .{ .decisions = &.{ .none, .none }, .ack_all = true } },
        .{ .name = "retry after ackAll", .calls = &.{ .ack_all, .{ .retry = .{ 0, null } } }, .want = .{ .decisions = &.{ .none, .none }, .ack_all = true, .warnings = 1, .warning = "retry() on message m0 after ackAll()" } },
        .{ .name = "ack after retryAll", .calls = &.{ .{ .retry_all = null }, .{ .ack = 1 } }, .want = .{ .decisions = &.{ .none, .none }, .retry_all = true, .warnings = 1, .warning = "ack() on message m1 after retryAll()" } },
        .{ .name = "retry after retryAll", .calls = &.{ .{ .retry_all = null }, .{ .retry = .{ 1, 3 } } }, .want = .{ .decisions = &.{ .none, .retry }, .delays = &.{ null, 3 }, .retry_all = true } },
        .{ .name = "ack before ackAll and retryAll", .calls = &.{ .{ .ack = 0 }, .ack_all, .{ .retry_all = null } }, .want = .{ .decisions = &.{ .ack, .none }, .ack_all = true, .warnings = 1 } },
    };
    for (cases) |tc| {
        defer warnings.clearAndFree(std.testing.allocator);
        var arena: std.heap.ArenaAllocator = .init(std.testing.allocator);
        defer arena.deinit();
        var b: qb.Batch = .{ .queue = "q", .messages = &.{}, .arena = arena.allocator(), .logWarning = capture };
        var msgs = [_]qb.Message{
            .{ .id = "m0", .timestamp = 1, .body = "a", .content_type = .text, .attempts = 1, .batch = &b },
            .{ .id = "m1", .timestamp = 2, .body = "b", .content_type = .text, .attempts = 1, .batch = &b },
        };
        b.messages = &msgs;
        for (tc.calls) |call| switch (call) {
            .ack => |i| b.messages[i].ack(),
            .retry => |r| b.messages[r[0]].retry(.{ .delay_seconds = r[1] }),
            .ack_all => b.ackAll(),
            .retry_all => |d| b.retryAll(.{ .delay_seconds = d }),
        };
        errdefer std.debug.print("case {s}: warnings {s}\n", .{ tc.name, warnings.items });
        for (b.messages, tc.want.decisions, tc.want.delays) |m, d, delay| {
            try std.testing.expectEqual(d, m.decision);
            try std.testing.expectEqual(delay, m.retry_delay);
        }
        try std.testing.expectEqual(tc.want.ack_all, b.ack_all);
        try std.testing.expectEqual(tc.want.retry_all, b.retry_all);
        try std.testing.expectEqual(tc.want.retry_all_delay, b.retry_all_delay);
        try std.testing.expectEqual(tc.want.warnings, std.mem.count(u8, warnings.items, "\n"));
        try std.testing.expect(std.mem.indexOf(u8, warnings.items, tc.want.warning) != null);
    }
}

test "fail keeps the first reason" {
    var arena: std.heap.ArenaAllocator = .init(std.testing.allocator);
    defer arena.deinit();
    var b: qb.Batch = .{ .queue = "q", .messages = &.{}, .arena = arena.allocator(), .logWarning = capture };
    b.fail("boom a");
    b.fail("boom b");
    try std.testing.expectEqualStrings("boom a", b.failure.?);
}

test "value decodes a v8 body and refuses another" {
    var arena: std.heap.ArenaAllocator = .init(std.testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    var b: qb.Batch = .{ .queue = "q", .messages = &.{}, .arena = a, .logWarning = capture };
    const body = try structured.encode(a, .{ .key = "k", .n = 1.5 }, null);
    var m: qb.Message = .{ .id = "m0", .timestamp = 1, .body = body, .content_type = .v8, .attempts = 1, .batch = &b };
    const v = try m.value(a, null);
    try std.testing.expectEqualStrings("k", v.get("key").?.string);
    try std.testing.expectEqual(@as(f64, 1.5), v.get("n").?.number);
    m.content_type = .json;
    var diag: structured.Diagnostics = .{};
    try std.testing.expectError(error.Malformed, m.value(a, &diag));
    try std.testing.expect(std.mem.indexOf(u8, diag.reason, "not v8") != null);
}
