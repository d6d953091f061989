//! The conformance Worker in Zig: the contract every language implements
//! (see conformance/harness_test.go), written with guest-sdk/zig.
//!
//!     guest-sdk/zig/build.sh -o zig.wasm conformance/zig/main.zig
const std = @import("std");
const bindery = @import("bindery");

const Request = bindery.Request;
const Response = bindery.Response;

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
    } else if (req.is("GET", "/trap")) {
        @trap(); // a wasm trap (unreachable)
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
