// The queue handler of an AssemblyScript Worker (Cloudflare's
// queue(batch, env, ctx)): the host calls it with a batch of messages of a
// queue the Worker consumes ([[queues.consumers]], docs/queues.md).
//
//   import { Env } from "<path to>/guest-sdk/assemblyscript";
//   import { MessageBatch, serveQueue } from "<path to>/guest-sdk/assemblyscript/queue";
//
//   function queue(batch: MessageBatch): string | null {
//     for (let i = 0; i < batch.messages.length; i++) {
//       const m = batch.messages[i];
//       const e = Env.kv("STORE").putText("job:" + m.id, m.text());
//       if (e != null) m.retry(30); // again in 30 seconds
//       else m.ack();
//     }
//     return null; // or an error's text: Cloudflare's throw
//   }
//   serveQueue(queue);
//
// A Worker that imports this file exports the queue handler
// (bindery:queue/consumer): build.sh's transform adds it to its exports.
// Other Workers do not change. The producer side is Env.queue(name) in
// index.ts.
//
// Errors: AssemblyScript cannot throw and catch, so the handler returns
// what JavaScript would throw, as a string (null: it succeeded). Then, as
// on Cloudflare, every message not explicitly acked or retried is
// retried; a trap (abort) counts as such an error too.
//
// Acknowledgements follow workerd (src/workerd/api/queue.c++): on a
// message the first of ack() and retry() wins, and a later call has no
// effect but a warning in the log (retry() again only updates its
// delay); ack() and retry() after batch.ackAll() have no effect (retry()
// warns); ack() after batch.retryAll() has none (a warning); ackAll()
// after retryAll() and retryAll() after ackAll() have none (a warning).
// The host acknowledges each message acked; retries each message
// retried, and every other one after retryAll() or an error; and
// acknowledges the rest.

import { BinderyError, ErrorCode, NO_DELAY } from "./index";
import { Option, Result } from "./generated/cabi";
import { Level, log as consoleLog } from "./generated/log_console";
import { Message as WitMessage, Outcome, RetryRequest, setQueue } from "./generated/queue_consumer";
import { ContentType } from "./generated/queue_types";
import { SV, decode, fromJSON } from "./structured";

export { ContentType as QueueContentType } from "./generated/queue_types";

/** warn logs a warning: workerd's logWarning. */
function warn(message: string): void {
  consoleLog(Level.Warn, message);
}

/** Record is what the handler decided about one batch: the outcome the host applies. */
class Record {
  acked: Array<u32> = new Array<u32>(0);
  ackedSet: Set<u32> = new Set<u32>();
  retried: Array<RetryRequest> = new Array<RetryRequest>(0);
  retriedAt: Map<u32, i32> = new Map<u32, i32>(); // a message's index -> its place in retried
  ackAll: bool = false;
  retryAll: bool = false;
  retryAllDelay: Option<u32> = new Option<u32>();

  outcome(error: string | null): Outcome {
    const o = new Outcome();
    o.acked = this.acked;
    o.retried = this.retried;
    o.ackAll = this.ackAll;
    o.retryAll = this.retryAll;
    o.retryAllDelay = this.retryAllDelay;
    o.error = error;
    return o;
  }
}

/** delay lowers a delay in seconds (NO_DELAY: none); a negative one is none, with a warning. */
function delay(call: string, seconds: i32): Option<u32> {
  if (seconds == NO_DELAY) return new Option<u32>();
  if (seconds < 0) {
    warn("Received a call to " + call + " with delaySeconds " + seconds.toString() + ", which is negative; it is ignored.");
    return new Option<u32>();
  }
  return Option.some<u32>(<u32>seconds);
}

/** Message is one delivered message (Cloudflare's Message). */
export class Message {
  /** id is the message's id (32 hex digits), the same on every attempt. */
  readonly id: string;
  /** timestamp is when it was sent, in milliseconds since the Unix epoch. */
  readonly timestamp: i64;
  /** attempts is how many times it has been delivered, this one included (1 on the first delivery). */
  readonly attempts: u32;
  /** bytes is the body as sent, encoded as contentType says. */
  readonly bytes: Uint8Array;
  /** contentType is how the body is encoded: Text, Bytes, Json or V8. */
  readonly contentType: ContentType;

  constructor(m: WitMessage, private index: u32, private rec: Record) {
    this.id = m.id;
    this.timestamp = m.timestamp;
    this.attempts = m.attempts;
    this.bytes = m.body;
    this.contentType = m.contentType;
  }

  /** text returns the body as UTF-8 text (a text message's string, a JSON message's JSON text). */
  text(): string {
    return String.UTF8.decodeUnsafe(this.bytes.dataStart, <usize>this.bytes.length);
  }

  /**
   * body returns the body as Cloudflare's message.body gives it: a
   * string for text, bytes (Kind.Bytes) for bytes, the parsed JSON value
   * for json, the decoded structured value for v8; or why it cannot be
   * decoded (ErrorCode.Invalid).
   */
  body(): Result<SV, BinderyError> {
    switch (this.contentType) {
      case ContentType.Text:
        return Result.ok<SV, BinderyError>(SV.string(this.text()));
      case ContentType.Bytes:
        return Result.ok<SV, BinderyError>(SV.bytes(this.bytes));
      case ContentType.Json: {
        const v = fromJSON(this.text());
        if (v.isErr) return Result.err<SV, BinderyError>(new BinderyError(ErrorCode.Invalid, "queue: message " + this.id + ": " + v.error.message));
        return Result.ok<SV, BinderyError>(v.value);
      }
    }
    const v = decode(this.bytes);
    if (v.isErr) return Result.err<SV, BinderyError>(new BinderyError(ErrorCode.Invalid, "queue: message " + this.id + ": " + v.error.message));
    return Result.ok<SV, BinderyError>(v.value);
  }

  /** ack acknowledges the message: it is not delivered again, whatever happens to the batch. */
  ack(): void {
    const r = this.rec;
    if (r.ackAll) return;
    if (r.retryAll) {
      warn("Received a call to ack() on message " + this.id + " after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.");
      return;
    }
    if (r.retriedAt.has(this.index)) {
      warn("Received a call to ack() on message " + this.id + " after retry() was already called. Calling ack() on a message after calling retry() has no effect.");
      return;
    }
    if (r.ackedSet.has(this.index)) return;
    r.ackedSet.add(this.index);
    r.acked.push(this.index);
  }

  /**
   * retry asks for the message again, after delaySeconds (NO_DELAY: the
   * consumer's retry_delay); after max_retries attempts it goes to the
   * dead letter queue, if any.
   */
  retry(delaySeconds: i32 = NO_DELAY): void {
    const r = this.rec;
    if (r.ackAll) {
      warn("Received a call to retry() on message " + this.id + " after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect.");
      return;
    }
    if (r.ackedSet.has(this.index)) {
      warn("Received a call to retry() on message " + this.id + " after ack() was already called. Calling retry() on a message after calling ack() has no effect.");
      return;
    }
    const d = delay("retry()", delaySeconds);
    if (r.retriedAt.has(this.index)) {
      if (d.isSome) r.retried[r.retriedAt.get(this.index)].delaySeconds = d;
      return;
    }
    const rr = new RetryRequest();
    rr.index = this.index;
    rr.delaySeconds = d;
    r.retriedAt.set(this.index, r.retried.length);
    r.retried.push(rr);
  }
}

/** MessageBatch is a batch of messages of one queue (Cloudflare's MessageBatch). */
export class MessageBatch {
  /** messages are the batch's messages, oldest first. */
  readonly messages: Array<Message>;

  constructor(
    /** queue is the name of the queue (the config's queue, not a binding name). */
    public readonly queue: string,
    messages: Array<WitMessage>,
    private rec: Record,
  ) {
    const ms = new Array<Message>(0);
    for (let i = 0; i < messages.length; i++) ms.push(new Message(messages[i], <u32>i, rec));
    this.messages = ms;
  }

  /** ackAll acknowledges every message not explicitly retried. */
  ackAll(): void {
    const r = this.rec;
    if (r.retryAll) {
      warn("Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.");
      return;
    }
    r.ackAll = true;
  }

  /** retryAll retries every message not explicitly acked, after delaySeconds (NO_DELAY: the consumer's retry_delay). */
  retryAll(delaySeconds: i32 = NO_DELAY): void {
    const r = this.rec;
    if (r.ackAll) {
      warn("Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.");
      return;
    }
    r.retryAll = true;
    const d = delay("retryAll()", delaySeconds);
    if (d.isSome) r.retryAllDelay = d;
  }
}

let handler: ((batch: MessageBatch) => string | null) | null = null;

/**
 * serveQueue makes queue the Worker's queue handler; call it at the top
 * level of your entry file. queue returns null, or an error's text (what
 * JavaScript would throw): then every message it did not ack or retry is
 * retried.
 */
export function serveQueue(queue: (batch: MessageBatch) => string | null): void {
  handler = queue;
  setQueue(handleBatch);
}

/**
 * handleBatch runs the queue handler on a batch and returns what it
 * decided (the export's implementation; tests call it directly).
 */
export function handleBatch(queue: string, messages: Array<WitMessage>): Outcome {
  const rec = new Record();
  const fn = handler;
  if (fn == null) return rec.outcome("no queue handler: call serveQueue(queue)");
  const batch = new MessageBatch(queue, messages, rec);
  return rec.outcome(fn(batch));
}
