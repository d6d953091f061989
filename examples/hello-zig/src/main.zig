//! hello-zig is the smallest Zig Worker: GET /hello answers "hello from
//! Zig", and GET /count counts visits in KV (binding STORE).
//!
//!     bindery dev            (runs the [build] command in wrangler.toml)
//!     ../../guest-sdk/zig/build.sh -o hello-zig.wasm src/main.zig
const std = @import("std");
const bindery = @import("bindery");

pub fn fetch(req: *bindery.Request, res: *bindery.Response) !void {
    if (std.mem.eql(u8, req.path, "/hello")) {
        const greeting = bindery.vars.get("GREETING") orelse "hello";
        try res.header("content-type", "text/plain; charset=utf-8");
        try res.print("{s} from Zig\n", .{greeting});
        return;
    }
    if (std.mem.eql(u8, req.path, "/count")) {
        const store = try bindery.kv.open("STORE");
        var n: u64 = 0;
        if (try store.get(req.arena, "count")) |v| {
            n = std.fmt.parseInt(u64, v, 10) catch 0;
        }
        const num = try std.fmt.allocPrint(req.arena, "{d}", .{n + 1});
        try store.put("count", num);
        try res.text(200, num);
        return;
    }
    try res.text(404, "not found\n");
}
