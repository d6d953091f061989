// The Web APIs the Bindery JavaScript runtime adds to StarlingMonkey's
// (componentize-js 0.23) so that Cloudflare Workers run unchanged; what
// each supports and how it differs from Cloudflare is in docs/sdk-js.md
// ("Web APIs").
//
// runtime.js imports this module first.
import { installBody } from './body.js';
import { installGlobals } from './globals.js';
import { installStreams } from './streams.js';

installBody();
installStreams();
installGlobals();
