//! The consumer's side of Queues that needs no host: a batch and its
//! messages, and what the handler asks for them, recorded with workerd's
//! rules (src/workerd/api/queue.c++): on a message, the first of `ack` and
//! `retry` wins; `ackAll` and `retryAll` exclude each other; `ack` after
//! `ackAll` is silently ignored; every other refused call logs a warning.
//! queue.zig hands the record to the host, which applies it. This file
//! uses only std, so `zig test queue_test.zig` runs natively.
const std = @import("std");
const structured = @import("structured.zig");

/// ContentType is how a message's body is encoded (Cloudflare's
/// `contentType`); the values are bindery:queue/types' content-type.
pub const ContentType = enum(u8) {
    /// UTF-8 text.
    text = 0,
    /// Raw bytes.
    bytes = 1,
    /// JSON text.
    json = 2,
    /// A structured value (bindery.structured's encoding; JavaScript's
    /// default).
    v8 = 3,
};

/// RetryOptions are the optional parts of a retry.
pub const RetryOptions = struct {
    /// Seconds before the retry; null means the consumer's retry_delay.
    delay_seconds: ?u32 = null,
};

/// Decision is what the handler asked for one message.
pub const Decision = enum { none, ack, retry };

/// Message is one delivered message. Its slices belong to the SDK until
/// the handler returns.
pub const Message = struct {
    /// The message's id (32 hex digits), the same on every attempt.
    id: []const u8,
    /// When it was sent, in milliseconds since the Unix epoch.
    timestamp: i64,
    /// The body's bytes, as content_type says (decode a v8 body with
    /// `value`, JSON with std.json).
    body: []const u8,
    content_type: ContentType,
    /// How many times it has been delivered, this time included (1 on the
    /// first delivery).
    attempts: u32,
    /// What the handler asked for it (read-only: call ack or retry).
    decision: Decision = .none,
    /// The delay of its retry.
    retry_delay: ?u32 = null,
    batch: *Batch,

    /// value decodes a v8 body (the structured value the producer sent),
    /// allocating from arena (batch.arena suits it). Another content type,
    /// or a body the decoder refuses, is error.Malformed (diag says why).
    pub fn value(m: *const Message, arena: std.mem.Allocator, diag: ?*structured.Diagnostics) structured.DecodeError!structured.Value {
        if (m.content_type != .v8) {
            if (diag) |d| d.* = .{ .reason = "the message's content type is not v8" };
            return error.Malformed;
        }
        return structured.decode(arena, m.body, diag);
    }

    /// ack acknowledges the message (ack()). After retry or
    /// Batch.retryAll it has no effect (a warning is logged), after
    /// Batch.ackAll none either.
    pub fn ack(m: *Message) void {
        const b = m.batch;
        if (b.ack_all) return;
        if (b.retry_all) return b.warn("Received a call to ack() on message {s} after retryAll() was already called. " ++
            "Calling ack() on a message after calling retryAll() has no effect.", .{m.id});
        if (m.decision == .retry) return b.warn("Received a call to ack() on message {s} after retry() was already called. " ++
            "Calling ack() on a message after calling retry() has no effect.", .{m.id});
        m.decision = .ack;
    }

    /// retry retries the message (retry()). After ack or Batch.ackAll it
    /// has no effect (a warning is logged); a second retry changes the
    /// delay.
    pub fn retry(m: *Message, opts: RetryOptions) void {
        const b = m.batch;
        if (b.ack_all) return b.warn("Received a call to retry() on message {s} after ackAll() was already called. " ++
            "Calling retry() on a message after calling ackAll() has no effect.", .{m.id});
        if (m.decision == .ack) return b.warn("Received a call to retry() on message {s} after ack() was already called. " ++
            "Calling retry() on a message after calling ack() has no effect.", .{m.id});
        m.decision = .retry;
        if (opts.delay_seconds) |d| m.retry_delay = d;
    }
};

/// Batch is a batch of messages of one queue, handed to the queue handler.
pub const Batch = struct {
    /// The queue's name (the config's queue, e.g. "jobs").
    queue: []const u8,
    messages: []Message,
    /// An arena freed when the handler returns.
    arena: std.mem.Allocator,
    /// ackAll() was called (read-only).
    ack_all: bool = false,
    /// retryAll() was called (read-only), with this delay.
    retry_all: bool = false,
    retry_all_delay: ?u32 = null,
    /// The handler failed: the first reason given to fail (read-only).
    failure: ?[]const u8 = null,
    /// logWarning logs a console warning (the host's log; tests capture it).
    logWarning: *const fn (msg: []const u8) void,

    /// ackAll acknowledges every message not retried with Message.retry
    /// (ackAll()). After retryAll it has no effect (a warning is logged).
    pub fn ackAll(b: *Batch) void {
        if (b.retry_all) return b.warn("Received a call to ackAll() after retryAll() was already called. " ++
            "Calling ackAll() after calling retryAll() has no effect.", .{});
        b.ack_all = true;
    }

    /// retryAll retries every message not acked with Message.ack
    /// (retryAll()). After ackAll it has no effect (a warning is logged).
    pub fn retryAll(b: *Batch, opts: RetryOptions) void {
        if (b.ack_all) return b.warn("Received a call to retryAll() after ackAll() was already called. " ++
            "Calling retryAll() after calling ackAll() has no effect.", .{});
        b.retry_all = true;
        if (opts.delay_seconds) |d| b.retry_all_delay = d;
    }

    /// fail makes the handler fail, as a thrown error: the host logs
    /// reason and retries every message not acked. The first reason is
    /// kept. (Returning an error from the handler does the same, with the
    /// error's name as the reason.)
    pub fn fail(b: *Batch, reason: []const u8) void {
        if (b.failure != null) return;
        b.failure = b.arena.dupe(u8, reason) catch "the queue handler failed (out of memory)";
    }

    fn warn(b: *Batch, comptime format: []const u8, args: anytype) void {
        var buf: [320]u8 = undefined;
        const msg = std.fmt.bufPrint(&buf, format, args) catch buf[0..];
        b.logWarning(msg);
    }
};
