// The scheduled (cron) handler of an AssemblyScript Worker (Cloudflare's
// scheduled(controller, env, ctx)): the host calls it when one of the
// config's cron triggers ([triggers] crons) fires, or when one is fired by
// hand (bindery trigger cron, /__scheduled); docs/cron.md.
//
//   import { Env } from "<path to>/guest-sdk/assemblyscript";
//   import { ScheduledController, serveScheduled } from "<path to>/guest-sdk/assemblyscript/scheduled";
//
//   function scheduled(c: ScheduledController): string | null {
//     const e = Env.kv("STORE").putText("last-run", c.scheduledTime.toString());
//     return e != null ? e.message : null; // null, or an error's text
//   }
//   serveScheduled(scheduled);
//
// A Worker that imports this file exports the scheduled handler
// (bindery:scheduled/handler): build.sh's transform adds it to its
// exports. Other Workers do not change.
//
// Errors: the handler returns what JavaScript would throw, as a string
// (null: it succeeded); the host logs it. Bindery never retries a
// scheduled event.

import { Controller, setScheduled } from "./generated/scheduled_handler";

/** ScheduledController is the event (Cloudflare's ScheduledController). */
export class ScheduledController {
  /** cron is the cron expression that fired, as written in the config. */
  readonly cron: string;
  /** scheduledTime is when the event was scheduled, in milliseconds since the Unix epoch (a whole minute for a trigger that fired on schedule). */
  readonly scheduledTime: i64;
  /** type is always "scheduled". */
  readonly type: string = "scheduled";

  constructor(c: Controller) {
    this.cron = c.cron;
    this.scheduledTime = c.scheduledTime;
  }

  /** noRetry is accepted for Cloudflare's API and has no effect: Bindery never retries a scheduled event. */
  noRetry(): void {}
}

let handler: ((controller: ScheduledController) => string | null) | null = null;

/**
 * serveScheduled makes scheduled the Worker's scheduled handler; call it
 * at the top level of your entry file. scheduled returns null, or an
 * error's text (what JavaScript would throw), which the host logs.
 */
export function serveScheduled(scheduled: (controller: ScheduledController) => string | null): void {
  handler = scheduled;
  setScheduled(handleScheduled);
}

function handleScheduled(c: Controller): string | null {
  const fn = handler;
  if (fn == null) return "no scheduled handler: call serveScheduled(scheduled)";
  return fn(new ScheduledController(c));
}
