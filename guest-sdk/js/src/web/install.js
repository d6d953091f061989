// The Web APIs the Bindery JavaScript runtime adds to StarlingMonkey's
// (componentize-js 0.23) so that Cloudflare Workers run unchanged; what
// each supports and how it differs from Cloudflare is in docs/sdk-js.md
// ("Web APIs").
//
// runtime.js imports this module first, and the bundle's entry imports
// runtime.js before the Worker's module, so all of it is in place when the
// Worker's top-level code runs (a service worker's addEventListener, a
// URLPattern built at the top level).
import { installBody } from './body.js';
import { installEvents } from './events.js';
import { installGlobals } from './globals.js';
import { installStreams } from './streams.js';

installBody();
installStreams();
installGlobals();
installEvents();
