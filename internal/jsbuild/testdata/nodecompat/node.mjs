// Runs cases.js in Node.js with Node's own modules and prints the answers
// as JSON: TestNodeCompatMatchesNode compares them with the Worker's.
import util from 'node:util';
import bufferModule, { Buffer } from 'node:buffer';
import path from 'node:path';
import querystring from 'node:querystring';
import url from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import assert from 'node:assert';
import EventEmitter from 'node:events';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable, Writable, Transform, PassThrough, pipeline } from 'node:stream';
import { pipeline as pipelinePromise } from 'node:stream/promises';
import { cases, asyncCases } from './cases.js';

const m = {
  util, Buffer, bufferModule, path, querystring, url, StringDecoder, assert, EventEmitter, AsyncLocalStorage, AsyncResource, sleep,
  Readable, Writable, Transform, PassThrough, pipeline, pipelinePromise,
};
process.stdout.write(JSON.stringify({ ...cases(m), ...(await asyncCases(m)) }));
