//! Cron triggers: the Worker's scheduled handler ([`crate::scheduled!`]),
//! which the host calls when one of the config's `[triggers] crons` fires
//! (or one is fired by hand: `bindery trigger cron`, `/__scheduled`).
//! docs/cron.md.
//!
//! ```no_run
//! use bindery::scheduled::Controller;
//! use bindery::{Env, Result};
//!
//! fn scheduled(c: Controller, env: &Env) -> Result<()> {
//!     env.kv("STORE")?.put("last-run", c.scheduled_time().to_string())
//! }
//!
//! # fn fetch(_req: bindery::Request, _env: &Env) -> Result<bindery::Response> { Ok(bindery::Response::new(204)) }
//! bindery::serve!(fetch);
//! bindery::scheduled!(scheduled);
//! ```

use crate::wit::exports::bindery::scheduled::handler as wit;
use crate::{Env, Result};

/// The event: Cloudflare's `ScheduledController`.
#[derive(Clone, Debug)]
pub struct Controller {
    cron: String,
    scheduled_time: i64,
}

impl Controller {
    /// The cron expression that fired, as written in the config.
    pub fn cron(&self) -> &str {
        &self.cron
    }

    /// When the event was scheduled, in milliseconds since the Unix epoch
    /// (a whole minute for a trigger that fired on schedule).
    pub fn scheduled_time(&self) -> i64 {
        self.scheduled_time
    }

    /// Cloudflare's `noRetry()`: accepted, and without effect, since
    /// Bindery never retries a scheduled event.
    pub fn no_retry(&self) {}
}

#[doc(hidden)]
pub fn __scheduled<F>(controller: wit::Controller, handler: F) -> std::result::Result<(), String>
where
    F: FnOnce(Controller, &Env) -> Result<()>,
{
    let c = Controller { cron: controller.cron, scheduled_time: controller.scheduled_time };
    handler(c, &Env::new()).map_err(|e| e.to_string())
}

/// Makes `handler` — any `fn(Controller, &Env) -> Result<()>` or closure of
/// that shape — the Worker's scheduled handler, which the host calls when a
/// cron trigger fires. Use it once, at the top level of the Worker crate,
/// beside [`crate::serve!`]. An `Err` it returns is logged by the host as
/// the event's failure (the event is not retried).
///
/// ```ignore
/// bindery::scheduled!(scheduled);
/// ```
#[macro_export]
macro_rules! scheduled {
    ($handler:expr) => {
        const _: () = {
            struct BinderyScheduled;
            impl $crate::wit::exports::bindery::scheduled::handler::Guest for BinderyScheduled {
                fn scheduled(
                    controller: $crate::wit::exports::bindery::scheduled::handler::Controller,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::scheduled::__scheduled(controller, $handler)
                }
            }
            $crate::__export_bindery_scheduled_handler_0_1_0_cabi!(BinderyScheduled with_types_in $crate::wit::exports::bindery::scheduled::handler);
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn the_handler_gets_the_controller_and_an_err_is_the_events() {
        let tests: Vec<(&str, std::result::Result<(), String>)> = vec![("*/5 * * * *", Ok(())), ("59 23 31 12 *", Err("cron boom".into()))];
        for (cron, want) in tests {
            let got = __scheduled(wit::Controller { cron: cron.into(), scheduled_time: 1_767_225_540_000 }, |c, _env| {
                assert_eq!((c.cron(), c.scheduled_time()), (cron, 1_767_225_540_000));
                c.no_retry();
                if c.cron() == "59 23 31 12 *" { Err(Error::other("cron boom")) } else { Ok(()) }
            });
            assert_eq!(got, want, "{cron}");
        }
    }
}
