//! Cron triggers: the Worker's scheduled handler, which the host calls
//! when one of the config's cron triggers fires (or one is fired by hand).
//!
//!     pub fn scheduled(controller: *bindery.ScheduledController) !void {
//!         std.log.info("{s} at {d}", .{ controller.cron, controller.scheduled_time });
//!     }
//!
//! build.sh compiles the handler's export (the C glue in
//! guest-sdk/c/generated-scheduled) only into a Worker whose root file
//! declares `pub fn scheduled`, so a Worker without one does not export it.
const std = @import("std");
const bindery = @import("bindery.zig");

const c = bindery.c;
const in = bindery.internal;
const str = in.str;
const wit = in.wit;

/// gpa is libc's malloc: what the generated bindings free results with.
const gpa = std.heap.c_allocator;

/// Controller is a cron trigger's event (Cloudflare's
/// ScheduledController). Its slices belong to the SDK until the handler
/// returns.
pub const Controller = struct {
    /// The cron expression that fired, as written in the config.
    cron: []const u8,
    /// When the event was scheduled, in milliseconds since the Unix epoch
    /// (a whole minute for a trigger that fired on schedule).
    scheduled_time: i64,
    /// An arena freed when the handler returns.
    arena: std.mem.Allocator,
    /// The handler failed: the first reason given to fail (read-only).
    failure: ?[]const u8 = null,

    /// noRetry is Cloudflare's noRetry(): accepted, with no effect, as
    /// Bindery never retries a scheduled event.
    pub fn noRetry(_: *Controller) void {}

    /// fail makes the handler fail, as a thrown error: the host logs
    /// reason. The first reason is kept. (Returning an error from the
    /// handler does the same, with the error's name as the reason.)
    pub fn fail(ctl: *Controller, reason: []const u8) void {
        if (ctl.failure != null) return;
        ctl.failure = ctl.arena.dupe(u8, reason) catch "the scheduled handler failed (out of memory)";
    }
};

/// serve makes handler (fn (*Controller) !void) the Worker's scheduled
/// handler: it exports the handler the generated bindings call. build.sh's
/// entry.zig calls it with the `scheduled` of your root file.
pub fn serve(comptime handler: anytype) void {
    const H = struct {
        fn handle(controller: c.scheduled_handler_controller_t, err_out: *c.bindery_string_t) callconv(.c) bool {
            var ctl_in = controller;
            defer c.scheduled_handler_controller_free(&ctl_in);
            in.clearLastError();
            var arena_state = std.heap.ArenaAllocator.init(gpa);
            defer arena_state.deinit();
            var ctl: Controller = .{ .cron = str(ctl_in.cron), .scheduled_time = ctl_in.scheduled_time, .arena = arena_state.allocator() };
            handler(&ctl) catch |err| {
                var buf: [1024]u8 = undefined;
                ctl.fail(if (bindery.lastError().len > 0)
                    std.fmt.bufPrint(&buf, "scheduled handler returned error.{s} (last SDK error: {s})", .{ @errorName(err), bindery.lastError() }) catch @errorName(err)
                else
                    std.fmt.bufPrint(&buf, "scheduled handler returned error.{s}", .{@errorName(err)}) catch @errorName(err));
            };
            const f = ctl.failure orelse return true;
            // The bindings free it after the host has read it; the host
            // logs the text: make it UTF-8.
            const text = std.fmt.allocPrint(gpa, "{f}", .{std.unicode.fmtUtf8(f)}) catch @panic("out of memory");
            err_out.* = wit(text);
            return false;
        }
    };
    @export(&H.handle, .{ .name = "exports_scheduled_handler_scheduled" });
}
