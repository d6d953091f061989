// HTMLRewriter: Cloudflare's streaming HTML rewriter (lol-html semantics)
// for Bindery JavaScript Workers. runtime.js installs it as a global.
//
// The host does the parsing (bindery:html/rewriter, host/htmlrewriter): it
// tokenizes the body as it streams, matches the selectors and writes the
// output. This module only runs the user's handlers: the host stops at each
// token a handler must see and hands it over as an event; the handlers run
// (one after the other, each awaited), and what they changed goes back as
// a list of mutations with `resume`. The body is never held whole: one
// chunk of input and one event at a time.
//
// The body's bytes skip JS when they can (bodies.js): a source that is a
// host stream nothing has read (a request or R2 object body) is read by the
// host (read-from), and a transformed body that the runtime sends as the
// response is written by the host (write-to). Otherwise they pass through
// JS chunk by chunk.
import { Rewriter } from 'bindery:html/rewriter@0.1.0';
import { hostStreams, bodySenders } from './bodies.js';

const dispose = Symbol.dispose || Symbol.for('dispose');

// No host call can be made while the Worker's module is evaluated for the
// build's snapshot (wizer traps it), and Workers often build their
// HTMLRewriter at the top level. Until the first request, on() keeps its
// selector unchecked; transform() checks it (creating the host rewriter
// checks every selector). From the first request on, on() checks at once,
// as Cloudflare's does.
let live = false;

/** requestStarted tells the module that host calls can be made; runtime.js calls it per request. */
export function requestStarted() {
  live = true;
}

const encoder = new TextEncoder();
const INVALID = 'This content token is no longer valid. Content tokens are only valid during the execution of the relevant content handler.';

// parserError is a host error (a WIT error variant) as workerd reports
// lol-html's: a TypeError "Parser error: …". A client that went away stays
// the host's error, which the runtime ends the request on quietly.
function parserError(e) {
  const p = e && e.payload;
  if (p && typeof p === 'object' && 'tag' in p && p.tag !== 'closed') {
    return new TypeError('Parser error: ' + (typeof p.val === 'string' ? p.val : p.tag));
  }
  return e;
}

function host(f) {
  try {
    return f();
  } catch (e) {
    throw parserError(e);
  }
}

// asciiLower lower-cases ASCII letters only, as HTML names are compared.
const asciiLower = (s) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

// The checks lol-html makes, made here too so that the handler that broke
// one gets the error (the host checks again).
function checkTagName(name) {
  if (name === '') throw new TypeError("Parser error: Tag name can't be empty.");
  if (!/^[A-Za-z]/.test(name)) throw new TypeError('Parser error: The first character of the tag name should be an ASCII alphabetical character.');
  const bad = /[ \t\n\r\f/>]/.exec(name);
  if (bad) throw new TypeError('Parser error: `' + bad[0] + '` character is forbidden in the tag name');
}

function checkAttributeName(name) {
  if (name === '') throw new TypeError("Parser error: Attribute name can't be empty.");
  const bad = /[ \t\n\r\f/>=]/.exec(name);
  if (bad) throw new TypeError('Parser error: `' + bad[0] + '` character is forbidden in the attribute name');
}

// content is a mutation's content: a string (other values become one), as
// HTML or as text the host escapes.
function content(value, options) {
  if (value instanceof ReadableStream || value instanceof Response) {
    throw new TypeError('Replacing HTML content using a ReadableStream or Response object is not implemented. You must provide a string.');
  }
  return { text: String(value), html: !!(options && options.html) };
}

// Token is what every content token shares: its mutations, in order, and
// its validity, which ends when its handlers have run.
class Token {
  #valid = true;
  #mutations = [];
  check() {
    if (!this.#valid) throw new TypeError(INVALID);
  }
  push(tag, val) {
    this.check();
    this.#mutations.push(val === undefined ? { tag } : { tag, val });
    return this;
  }
  // end invalidates the token and returns its mutations.
  end() {
    this.#valid = false;
    return this.#mutations;
  }
}

const state = Symbol('state');

const NAMESPACES = {
  html: 'http://www.w3.org/1999/xhtml',
  svg: 'http://www.w3.org/2000/svg',
  mathml: 'http://www.w3.org/1998/Math/MathML',
};

/** Element is a start tag a selector matched: read it, change it, or hang content around it. */
class Element extends Token {
  constructor(ev, run) {
    super();
    this[state] = {
      ev, run, tagName: ev.tagName, removed: ev.removed, endTag: false,
      attrs: Array.from(ev.attributes, ([k, v]) => [k, v]),
    };
  }
  get tagName() { this.check(); return this[state].tagName; }
  set tagName(name) {
    this.check();
    name = String(name);
    checkTagName(name);
    this.push('set-name', name);
    this[state].tagName = asciiLower(name);
  }
  get attributes() {
    this.check();
    return this[state].attrs.map(([k, v]) => [k, v])[Symbol.iterator]();
  }
  get removed() { this.check(); return this[state].removed; }
  get namespaceURI() { this.check(); return NAMESPACES[this[state].ev.namespace]; }
  get selfClosing() { this.check(); return this[state].ev.selfClosing; }
  get canHaveContent() { this.check(); return this[state].ev.canHaveContent; }
  getAttribute(name) {
    this.check();
    name = asciiLower(String(name));
    const a = this[state].attrs.find(([k]) => k === name);
    return a ? a[1] : null;
  }
  hasAttribute(name) {
    this.check();
    name = asciiLower(String(name));
    return this[state].attrs.some(([k]) => k === name);
  }
  setAttribute(name, value) {
    this.check();
    name = asciiLower(String(name));
    value = String(value);
    checkAttributeName(name);
    this.push('set-attribute', [name, value]);
    const a = this[state].attrs.find(([k]) => k === name);
    if (a) a[1] = value;
    else this[state].attrs.push([name, value]);
    return this;
  }
  removeAttribute(name) {
    name = asciiLower(String(name));
    this.push('remove-attribute', name);
    this[state].attrs = this[state].attrs.filter(([k]) => k !== name);
    return this;
  }
  before(c, options) { return this.push('before', content(c, options)); }
  after(c, options) { return this.push('after', content(c, options)); }
  prepend(c, options) { return this.push('prepend', content(c, options)); }
  append(c, options) { return this.push('append', content(c, options)); }
  setInnerContent(c, options) { return this.push('set-inner-content', content(c, options)); }
  replace(c, options) {
    this.push('replace', content(c, options));
    this[state].removed = true;
    return this;
  }
  remove() {
    this.push('remove');
    this[state].removed = true;
    return this;
  }
  removeAndKeepContent() {
    this.push('remove-and-keep-content');
    this[state].removed = true;
    return this;
  }
  onEndTag(handler) {
    this.check();
    if (typeof handler !== 'function') throw new TypeError('onEndTag: the handler is not a function');
    const s = this[state];
    if (!s.ev.canHaveContent) throw new TypeError(`Parser error: ${s.tagName} can't have content`);
    s.run.endTags.set(s.ev.id, handler); // a later call replaces the handler, as in workerd
    if (!s.endTag) {
      s.endTag = true;
      this.push('on-end-tag');
    }
  }
}

/** EndTag is the end tag of an element whose handler called onEndTag. */
class EndTag extends Token {
  #name;
  constructor(ev) {
    super();
    this.#name = ev.name;
  }
  get name() { this.check(); return this.#name; }
  set name(name) {
    this.check();
    name = String(name);
    checkTagName(name);
    this.push('set-name', name);
    this.#name = asciiLower(name);
  }
  before(c, options) { return this.push('before', content(c, options)); }
  after(c, options) { return this.push('after', content(c, options)); }
  remove() { return this.push('remove'); }
}

/** Text is a chunk of a text node, as it arrived; the last chunk of a node is empty. */
class Text extends Token {
  #ev;
  #removed = false;
  constructor(ev) {
    super();
    this.#ev = ev;
  }
  get text() { this.check(); return this.#ev.text; }
  get lastInTextNode() { this.check(); return this.#ev.lastInTextNode; }
  get removed() { this.check(); return this.#removed; }
  before(c, options) { return this.push('before', content(c, options)); }
  after(c, options) { return this.push('after', content(c, options)); }
  replace(c, options) {
    this.push('replace', content(c, options));
    this.#removed = true;
    return this;
  }
  remove() {
    this.push('remove');
    this.#removed = true;
    return this;
  }
}

/** Comment is an HTML comment. */
class Comment extends Token {
  #text;
  #removed = false;
  constructor(ev) {
    super();
    this.#text = ev.text;
  }
  get text() { this.check(); return this.#text; }
  set text(t) {
    this.check();
    t = String(t);
    if (t.includes('-->')) throw new TypeError("Parser error: Comment text shouldn't contain comment closing sequence (`-->`).");
    this.push('set-text', t);
    this.#text = t;
  }
  get removed() { this.check(); return this.#removed; }
  before(c, options) { return this.push('before', content(c, options)); }
  after(c, options) { return this.push('after', content(c, options)); }
  replace(c, options) {
    this.push('replace', content(c, options));
    this.#removed = true;
    return this;
  }
  remove() {
    this.push('remove');
    this.#removed = true;
    return this;
  }
}

/** Doctype is the document's doctype: read only. */
class Doctype extends Token {
  #ev;
  constructor(ev) {
    super();
    this.#ev = ev;
  }
  get name() { this.check(); return this.#ev.name ?? null; }
  get publicId() { this.check(); return this.#ev.publicId ?? null; }
  get systemId() { this.check(); return this.#ev.systemId ?? null; }
}

/** DocumentEnd is the end of the document: content can be appended. */
class DocumentEnd extends Token {
  append(c, options) { return this.push('append', content(c, options)); }
}

// handlerFunctions reads the handler methods of a handlers object when it
// is registered (later changes to the object do not count), as workerd does.
function handlerFunctions(obj, names) {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
    throw new TypeError('HTMLRewriter: the handlers must be an object');
  }
  const fns = {};
  for (const n of names) {
    const f = obj[n];
    if (f == null) continue;
    if (typeof f !== 'function') throw new TypeError(`HTMLRewriter: handler "${n}" is not a function`);
    fns[n] = f;
  }
  return fns;
}

const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';

// Run is one transformed body: the host rewriter, its source (a reader of
// a JS stream, or null when the host reads a host stream itself), and the
// end-tag handlers elements registered.
class Run {
  constructor(regs, rw, reader) {
    this.regs = regs;
    this.rw = rw;
    this.reader = reader;
    this.endTags = new Map();
    this.parts = [];
    this.controller = null;
    this.started = false;
    this.finished = false;
  }

  // step feeds the rewriter its next input and answers events until the
  // host has used it up; it returns the last step (done at the end).
  async step() {
    let s;
    if (this.reader === null) {
      s = host(() => this.rw.next());
    } else {
      const { done, value } = await this.reader.read();
      s = host(() => (done ? this.rw.end() : this.rw.write(bytes(value))));
    }
    for (;;) {
      if (s.output.length) this.parts.push(s.output);
      if (s.event === undefined) return s;
      const mutations = await this.dispatch(s.event);
      s = host(() => this.rw.resume(mutations));
    }
  }

  // pull runs the rewriter until it has output to enqueue, or the
  // document ends: the transformed body read in JS.
  async pull(controller) {
    this.started = true;
    this.controller = controller;
    try {
      for (;;) {
        const s = await this.step();
        if (s.done) {
          this.flush();
          this.finish();
          controller.close();
          return;
        }
        if (this.flush()) return;
      }
    } catch (e) {
      // A handler threw, or the source failed: the transformed body errors
      // with it, and the source is cancelled.
      await this.abandon(e);
      controller.error(e);
    }
  }

  // sendTo runs the whole document with the output going to os inside the
  // host: the transformed body sent as the response.
  async sendTo(os) {
    this.started = true;
    try {
      host(() => this.rw.writeTo(os));
      while (!(await this.step()).done);
      this.finish();
    } catch (e) {
      await this.abandon(e);
      throw e;
    }
  }

  async abandon(e) {
    this.finish();
    if (this.reader !== null) {
      try { await this.reader.cancel(e); } catch {}
    }
  }

  cancel(reason) {
    this.finish();
    return this.reader === null ? undefined : this.reader.cancel(reason);
  }

  finish() {
    if (this.finished) return;
    this.finished = true;
    this.endTags.clear();
    this.rw[dispose](); // ends the output stream and lets go of a host source
  }

  // flush enqueues the output collected so far and reports whether there was any.
  flush() {
    const parts = this.parts;
    if (parts.length === 0 || this.controller === null) return false;
    this.parts = [];
    let out = parts[0];
    if (parts.length > 1) {
      out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
    }
    this.controller.enqueue(out);
    return true;
  }

  // call runs one handler; before waiting for a promise it returns, the
  // output so far goes out.
  async call(fn, self, token) {
    const r = fn.call(self, token);
    if (isThenable(r)) {
      this.flush();
      await r;
    }
  }

  async each(handlers, name, token) {
    for (const i of handlers) {
      const reg = this.regs[i];
      await this.call(reg.fns[name], reg.obj, token);
    }
    return token.end();
  }

  async dispatch(ev) {
    const v = ev.val;
    switch (ev.tag) {
      case 'element':
        return this.each(v.handlers, 'element', new Element(v, this));
      case 'end-tag': {
        const fn = this.endTags.get(v.element);
        this.endTags.delete(v.element);
        const tag = new EndTag(v);
        if (fn) await this.call(fn, undefined, tag);
        return tag.end();
      }
      case 'text':
        return this.each(v.handlers, 'text', new Text(v));
      case 'comment':
        return this.each(v.handlers, 'comments', new Comment(v));
      case 'doctype':
        return this.each(v.handlers, 'doctype', new Doctype(v));
      case 'document-end':
        return this.each(v, 'end', new DocumentEnd());
    }
    throw new TypeError('HTMLRewriter: unknown event ' + ev.tag);
  }
}

function bytes(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') return encoder.encode(v);
  throw new TypeError('HTMLRewriter: the body gave a chunk that is not bytes: ' + Object.prototype.toString.call(v));
}

/**
 * HTMLRewriter rewrites HTML responses as they stream: register handlers
 * with on(selector, handlers) and onDocument(handlers), then transform(response).
 */
export class HTMLRewriter {
  #regs = [];

  /** on registers element, comments and text handlers for the elements selector matches. */
  on(selector, handlers) {
    selector = String(selector);
    if (live) host(() => Rewriter.checkSelector(selector));
    const fns = handlerFunctions(handlers, ['element', 'comments', 'text']);
    this.#regs.push({
      obj: handlers, fns,
      spec: { tag: 'selector', val: { selector, element: !!fns.element, comments: !!fns.comments, text: !!fns.text } },
    });
    return this;
  }

  /** onDocument registers doctype, comments, text and end handlers for the whole document. */
  onDocument(handlers) {
    const fns = handlerFunctions(handlers, ['doctype', 'comments', 'text', 'end']);
    this.#regs.push({
      obj: handlers, fns,
      spec: { tag: 'document', val: { doctype: !!fns.doctype, comments: !!fns.comments, text: !!fns.text, end: !!fns.end } },
    });
    return this;
  }

  /**
   * transform returns a Response like response whose body is the rewritten
   * body. Nothing runs until the new body is read; reading it drives the
   * handlers. The Content-Length header goes, as the length changes. A
   * selector registered before the first request is checked here.
   */
  transform(response) {
    if (!(response instanceof Response)) throw new TypeError('HTMLRewriter.transform: the argument is not a Response');
    const body = response.body;
    if (body === null) return response;
    const regs = this.#regs.slice();
    const rw = host(() => Rewriter.create(regs.map((r) => r.spec)));
    let reader = null;
    const hs = hostStreams.get(body);
    if (hs && hs.available()) {
      const src = hs.take();
      host(() => rw.readFrom(src));
    } else {
      reader = body.getReader();
    }
    const run = new Run(regs, rw, reader);
    const stream = new ReadableStream({
      pull: (controller) => run.pull(controller),
      cancel: (reason) => run.cancel(reason),
    }, { highWaterMark: 0 });
    bodySenders.set(stream, {
      available: () => !run.started && !stream.locked,
      send: (os) => run.sendTo(os),
    });
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    return new Response(stream, { status: response.status, statusText: response.statusText, headers });
  }
}

globalThis.HTMLRewriter = HTMLRewriter;
