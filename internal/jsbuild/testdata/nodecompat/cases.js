// Cases that Node.js and a Bindery Worker with nodejs_compat must answer
// alike: TestNodeCompatMatchesNode runs them in node (with Node's own
// modules) and in the Worker (with the SDK's), and compares the answers.
// Each case returns a string; a case that throws answers "throws <name>".

export function cases({ util, Buffer, bufferModule, path, querystring, url, StringDecoder, assert, EventEmitter }) {
  class Foo {
    constructor() {
      this.x = 1;
    }
  }
  class Bar extends Foo {}
  const circular = { name: 'c', list: [1] };
  circular.self = circular;
  circular.list.push(circular);
  const nullProto = Object.create(null);
  nullProto.a = 1;
  const withGetter = { get g() { return 1; }, set s(v) {}, get gs() { return 2; }, set gs(v) {} };
  const sparse = [1, , 3, , , 6]; // eslint-disable-line no-sparse-arrays
  const holder = [1, 2];
  holder.extra = 'x';
  const fn = function named() {};
  fn.prop = 1;
  const err = new TypeError('bad thing');
  err.code = 'E_BAD';
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);

  const c = {
    // util.inspect
    'inspect primitives': () => [1, -0, 1.5, NaN, -Infinity, 10n, true, null, undefined, Symbol('s')].map((v) => util.inspect(v)).join(' | '),
    'inspect strings': () => ["plain", "it's", `both ' and "`, 'all \' " `', 'tab\tnl\ncr\r', '\x00\x1f\x7f', 'emoji 😀', '\ud800 lone'].map((v) => util.inspect(v)).join(' | '),
    'inspect object': () => util.inspect({ a: 1, b: 'two', c: [1, 2, 3], d: { e: { f: { g: 1 } } }, 'key-with-dash': true, $dollar: 1, 1: 'one' }),
    'inspect nested depth': () => util.inspect({ l1: { l2: { l3: { l4: { l5: 1 } } } }, arr: [[[[1]]]] }),
    'inspect depth 0': () => util.inspect({ a: { b: 1 }, c: [1] }, { depth: 0 }),
    'inspect depth Infinity': () => util.inspect({ l1: { l2: { l3: { l4: { l5: 1 } } } } }, { depth: Infinity }),
    'inspect long object breaks': () => util.inspect({ alpha: 'aaaaaaaaaaaaaaaa', beta: 'bbbbbbbbbbbbbbbbbbbb', gamma: 'cccccccccccccccccccc', delta: 'dddd' }),
    'inspect long array groups': () => util.inspect(Array.from({ length: 30 }, (_, i) => i * 7)),
    'inspect array of strings groups': () => util.inspect(['apple', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'honeydew']),
    'inspect 120 items': () => util.inspect(Array.from({ length: 120 }, (_, i) => i)),
    'inspect empty': () => [[], {}, new Map(), new Set(), '', new Uint8Array(0)].map((v) => util.inspect(v)).join(' | '),
    'inspect sparse': () => util.inspect(sparse),
    'inspect array extra key': () => util.inspect(holder),
    'inspect map set': () => util.inspect({ m: new Map([['k', { v: 1 }], [{ o: 1 }, [2]]]), s: new Set([1, 'a', [3]]) }),
    'inspect class': () => util.inspect([new Foo(), new Bar(), Foo, Bar, class {}]),
    'inspect null proto': () => util.inspect(nullProto),
    'inspect circular': () => util.inspect(circular),
    'inspect functions': () => util.inspect([fn, () => {}, function () {}, Math.max]),
    'inspect getters': () => util.inspect(withGetter),
    'inspect getters on': () => util.inspect(withGetter, { getters: true }),
    'inspect date regexp': () => util.inspect([new Date(0), /a+b/gi, new Date(NaN)]),
    'inspect boxed': () => util.inspect([new Number(3), new String('ab'), new Boolean(false), Object(Symbol('x')), Object(5n)]),
    'inspect typed arrays': () => util.inspect([new Uint8Array([1, 2, 3]), new Float64Array([0.5]), new BigInt64Array([5n])]),
    'inspect buffer': () => util.inspect(Buffer.from('hello world')),
    'inspect arraybuffer': () => util.inspect(new Uint8Array([1, 2, 255]).buffer),
    'inspect symbol keys': () => util.inspect({ [Symbol('k')]: 1, [Symbol.iterator]: 2, plain: 3 }),
    'inspect custom': () => util.inspect({ inner: { [util.inspect.custom](depth, opts) { return `custom(${depth},${typeof opts.stylize})`; } } }),
    'inspect long string in object': () => util.inspect({ s: 'line one is long enough\nline two is also quite long\nline three ends it here' }),
    'inspect maxArrayLength': () => util.inspect([1, 2, 3, 4, 5], { maxArrayLength: 2 }),
    'inspect maxStringLength': () => util.inspect('abcdefghij', { maxStringLength: 4 }),
    'inspect sorted': () => util.inspect({ c: 1, a: 2, b: 3 }, { sorted: true }),
    'inspect breakLength Infinity': () => util.inspect({ a: 'x'.repeat(50), b: 'y'.repeat(50) }, { breakLength: Infinity }),
    'inspect compact false': () => util.inspect({ a: 1, b: [1, 2] }, { compact: false }),
    'inspect nested arrays objects': () => util.inspect([{ id: 1, tags: ['a', 'b'] }, { id: 2, tags: [] }]),
    'inspect numericSeparator': () => util.inspect(1234567.891, { numericSeparator: true }) + ' ' + util.inspect(1234567, { numericSeparator: true }),
    'inspect error props': () => util.inspect(err).split('\n')[0] + ' … ' + util.inspect(err).split('\n').slice(-2).join('|'),
    'inspect colors': () => JSON.stringify(util.inspect({ a: 1, s: 'x', n: null, u: undefined }, { colors: true })),
    'inspect object in array': () => util.inspect([{ a: { b: { c: {} } } }]),
    'inspect legacy args': () => util.inspect({ a: { b: { c: { d: 1 } } } }, false, 0),

    // util.format
    'format basics': () => util.format('%s:%d:%i:%f:%j:%%:%c', 'str', 42.5, 42.5, '3.25', { a: [1] }, 'css'),
    'format extra args': () => util.format('a', 'b', 1, { c: 2 }, [3]),
    'format missing args': () => util.format('%s %s %d', 'only'),
    'format non-string first': () => util.format(1, 'two', { three: 3 }),
    'format %s objects': () => util.format('%s|%s|%s|%s|%s', { a: { b: { c: 1 } } }, [1, [2, [3]]], new Error('e').message, 5n, -0),
    'format %s toString': () => util.format('%s', { toString() { return 'custom!'; } }),
    'format %d odd': () => util.format('%d %d %d %i %f', '0x10', {}, 10n, '42.9px', 'abc'),
    'format %j circular': () => util.format('%j', circular),
    'format %o': () => util.format('%o', { a: 1, b: [1, 2] }),
    'format %O': () => util.format('%O', { a: { b: { c: { d: 1 } } } }),
    'format percent tail': () => util.format('100%', 'x') + '|' + util.format('%', 1) + '|' + util.format('%x', 1),
    'formatWithOptions': () => util.formatWithOptions({ depth: 0 }, '%O', { a: { b: 1 } }),

    // util misc
    'isDeepStrictEqual': () => [
      util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
      util.isDeepStrictEqual([1], ['1']),
      util.isDeepStrictEqual(new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]])),
      util.isDeepStrictEqual(new Set([{ a: 1 }, 2]), new Set([2, { a: 1 }])),
      util.isDeepStrictEqual(0, -0),
      util.isDeepStrictEqual(NaN, NaN),
      util.isDeepStrictEqual(new Date(1), new Date(1)),
      util.isDeepStrictEqual(Buffer.from('a'), new Uint8Array([97])),
      util.isDeepStrictEqual(circular, circular),
      util.isDeepStrictEqual({ a: 1 }, Object.assign(Object.create(null), { a: 1 })),
    ].join(','),
    'types': () => [
      util.types.isDate(new Date()), util.types.isRegExp(/x/), util.types.isMap(new Map()), util.types.isSet(new Set()),
      util.types.isPromise(Promise.resolve()), util.types.isUint8Array(Buffer.alloc(1)), util.types.isTypedArray([]),
      util.types.isArrayBuffer(new ArrayBuffer(1)), util.types.isBoxedPrimitive(new String('')), util.types.isNativeError(new RangeError()),
      util.types.isGeneratorFunction(function* () {}), util.types.isDataView(new DataView(new ArrayBuffer(1))),
    ].join(','),
    'inherits': () => {
      function A() {}
      A.prototype.hi = () => 'hi';
      function B() {}
      util.inherits(B, A);
      return `${new B().hi()} ${B.super_ === A} ${new B() instanceof A}`;
    },
    'stripVTControlCharacters': () => util.stripVTControlCharacters('\u001b[31mred\u001b[39m plain'),
    'toUSVString': () => util.toUSVString('a\ud800b'),

    // Buffer
    'buffer encodings': () => ['utf8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii', 'utf16le', 'ucs2'].map((e) => `${e}=${Buffer.from('héllo wörld €😀').toString(e)}`).join(' '),
    'buffer all bytes': () => ['hex', 'base64', 'base64url', 'latin1'].map((e) => {
      const s = Buffer.from(bytes).toString(e);
      const back = Buffer.from(s, e);
      return `${e}:${back.length}:${Buffer.compare(back, Buffer.from(bytes))}:${s.length}`;
    }).join(' '),
    'buffer decode': () => [
      Buffer.from('aGVsbG8', 'base64').toString(), Buffer.from('aGVsbG8-_w', 'base64url').toString('hex'),
      Buffer.from('zz12ab', 'hex').toString('hex'), Buffer.from('abc', 'hex').toString('hex'),
      Buffer.from('aGVs bG8=\n', 'base64').toString(), Buffer.from([0xe2, 0x82]).toString(), Buffer.from([0xff, 0x61]).toString(),
    ].join('|'),
    'buffer lenient base64 hex': () => [
      ...['YQ==YQ==', 'YQ=YQ', 'Y Q = =', 'YWJj ZA', 'YWJjZ', 'YW*Jj', '-_-_', 'YWJjZA=', 'YW=Jj', '=YWJj', 'Y', 'YWJ\nj', '+/+/', ''].map((s) => Buffer.from(s, 'base64').toString('hex') + '/' + Buffer.from(s, 'base64url').toString('hex')),
      ...['abc', 'abzz', '0g', 'a', 'ABcd', 'ab cd', ''].map((s) => Buffer.from(s, 'hex').toString('hex')),
    ].join(' '),
    'buffer utf16 ascii latin1': () => {
      const src = 'Aé€😀\u0000\uffff';
      const odd = Buffer.concat([Buffer.from([0]), Buffer.from(src, 'utf16le')]).subarray(1);
      return [Buffer.from(src, 'utf16le').toString('hex'), odd.toString('utf16le') === src, Buffer.from([0x41, 0xe9, 0x80, 0xff]).toString('ascii'),
        Buffer.from(src, 'latin1').toString('hex'), Buffer.from(src, 'ascii').toString('hex'), Buffer.from('\ud800x').toString('hex'),
        Buffer.from([0xef, 0xbb, 0xbf, 0x41]).toString(), Buffer.from('abc').toString('utf8', 1, 2), Buffer.from('abcdef').toString('hex', -1, 100)].join(' ');
    },
    'buffer errors': () => {
      const r = [];
      for (const f of [() => Buffer.from('x', 'nope'), () => Buffer.alloc(2).toString('nope'), () => Buffer.alloc(4).write('x', 5)]) {
        try {
          f();
          r.push('ok');
        } catch (e) {
          r.push(`${e.name}:${e.code}`);
        }
      }
      return r.join(' ');
    },
    'buffer write partial': () => {
      const b = Buffer.alloc(5);
      return [b.write('a€b', 0, 3), b.toString('hex'), b.write('ffeeddccbbaa', 1, 'hex'), b.toString('hex'), b.write('abcd', 3, 'utf16le'), b.toString('hex')].join(' ');
    },
    'buffer byteLength': () => ['abc', 'é€😀', 'aGVsbG8=', 'aGVsbG8', 'abcd'].map((s) => [Buffer.byteLength(s), Buffer.byteLength(s, 'base64'), Buffer.byteLength(s, 'base64url'), Buffer.byteLength(s, 'hex'), Buffer.byteLength(s, 'latin1')].join(',')).join(' '),
    'buffer numbers': () => {
      const b = Buffer.alloc(16);
      b.writeUInt32BE(0xdeadbeef, 0);
      b.writeInt16LE(-2, 4);
      b.writeDoubleLE(Math.PI, 6);
      b.writeUInt8(255, 14);
      return [b.toString('hex'), b.readUInt32LE(0), b.readInt16LE(4), b.readDoubleLE(6), b.readInt8(14), b.readBigUInt64BE(0)].join(' ');
    },
    'buffer ops': () => {
      const a = Buffer.from('hello world');
      const s = a.slice(0, 5);
      s[0] = 72;
      return [a.toString(), a.indexOf('o'), a.lastIndexOf('o'), a.includes('wor'), Buffer.concat([a, Buffer.from('!')]).toString(), a.equals(Buffer.from('Hello world')), Buffer.compare(Buffer.from('a'), Buffer.from('b')), a.subarray(6).toString('base64url'), JSON.stringify(Buffer.from([1, 2]))].join('|');
    },
    'buffer fill alloc': () => [Buffer.alloc(5, 'ab').toString(), Buffer.alloc(4, 0xff).toString('hex'), Buffer.alloc(6, 'aGk=', 'base64').toString(), Buffer.from('xyz').fill('q', 1).toString()].join('|'),
    'buffer isEncoding': () => ['utf8', 'UTF-8', 'base64url', 'BASE64URL', 'hex', 'nope', 'latin1', ''].map((e) => Buffer.isEncoding(e)).join(','),
    'buffer toJSON/isBuffer': () => `${Buffer.isBuffer(Buffer.alloc(1))} ${Buffer.isBuffer(new Uint8Array(1))} ${Buffer.from(new Uint16Array([1, 256]).buffer).toString('hex')}`,
    'buffer write': () => {
      const b = Buffer.alloc(10);
      const n1 = b.write('héllo');
      const n2 = b.write('aGk', 7, 'base64url');
      return `${n1} ${n2} ${b.toString('hex')}`;
    },
    'buffer newer': () => [
      bufferModule.isUtf8(Buffer.from('é€')), bufferModule.isUtf8(Buffer.from([0xff])), bufferModule.isAscii(Buffer.from('abc')), bufferModule.isAscii(Buffer.from('é')),
      Buffer.copyBytesFrom(new Uint16Array([1, 2, 3]), 1, 1).toString('hex'), bufferModule.constants.MAX_LENGTH > 2 ** 30, Buffer.alloc(3).fill('€').toString('hex'),
      Buffer.from([1, 2, 3]).readUIntBE(0, 3), Buffer.from('abc').toJSON().data.join(','),
    ].join(' '),
    'buffer swap': () => Buffer.from([1, 2, 3, 4]).swap16().toString('hex') + ' ' + Buffer.from([1, 2, 3, 4]).swap32().toString('hex'),

    // path
    'path': () => [
      path.join('/a/b', '../c', './d'), path.join('a', '', 'b/'), path.normalize('/a//b/../c/.'), path.resolve('/x', 'y', '../z'),
      path.relative('/a/b/c', '/a/d'), path.dirname('/a/b/c.txt'), path.basename('/a/b/c.txt', '.txt'), path.extname('x.tar.gz'),
      JSON.stringify(path.parse('/home/u/file.txt')), path.format({ dir: '/x', name: 'y', ext: '.z' }), path.isAbsolute('a'), path.sep,
      path.delimiter, path.posix === path.posix.posix,
    ].join(' | '),

    // querystring
    'querystring parse': () => util.inspect([
      querystring.parse('a=1&b=2&a=3&c&=e&d=%20x+y&f=%zz&g=%E2%82%AC'), querystring.parse('a:1;b:2', ';', ':'), querystring.parse(''),
      querystring.parse('a=1&b=2&c=3', null, null, { maxKeys: 2 }),
    ]),
    'querystring stringify': () => [
      querystring.stringify({ a: [1, 2], b: 'x y', c: true, d: null, e: undefined, f: NaN, g: 'é€', h: {} }),
      querystring.stringify({ a: 1, b: 2 }, ';', ':'), querystring.escape("a b&c=d/é'()*!~"), querystring.unescape('a%20b%zz%E2%82%AC+c'),
    ].join(' | '),

    // url
    'url parse': () => [
      'http://user:pass@Host.COM:8080/p/a/t/h?query=string#hash', '/just/a/path?x=1', 'https://example.com', 'mailto:me@example.com',
      '//cdn.example.com/lib.js', 'http://a.com/a b<c>', 'HTTP://X.COM\\p\\q?r\\s', 'file:///etc/passwd', 'http://[::1]:3000/ok',
      'javascript:alert(1)', 'http://a.com?x=1', 'relative/path#frag', 'http://a.com:/x',
    ].map((u) => JSON.stringify(url.parse(u))).join('\n'),
    'url parse query': () => JSON.stringify(url.parse('http://a.com/p?x=1&y=2&x=3', true).query) + ' ' + JSON.stringify(url.parse('http://a.com/p', true).query) + ' ' + url.parse('//h.com/p', false, true).host,
    'url format': () => [
      url.format({ protocol: 'https', hostname: 'example.com', pathname: '/some/path', query: { page: 1, format: 'json' } }),
      url.format({ protocol: 'http:', host: 'a.com:80', pathname: 'x', hash: 'h', search: 's=1' }),
      url.format({ protocol: 'mailto', auth: 'me', hostname: 'ex.com' }),
      url.format({ pathname: '/a?b#c' }),
      url.format(new URL('https://u:p@x.com/p?q#h'), { auth: false, fragment: false, search: false }),
      url.format('http://A.com/x y'),
    ].join(' | '),
    'url resolve': () => [
      ['/one/two/three', 'four'], ['http://example.com/', '/one'], ['http://example.com/one', '/two'], ['http://a.com/b/c', '../d'],
      ['http://a.com/b/c', 'https://x.com/y'], ['http://a.com/b/c', '?q=1'], ['http://a.com/b/c', '#f'],
    ].map(([a, b]) => url.resolve(a, b)).join(' | '),
    'url http options': () => JSON.stringify(url.urlToHttpOptions(new URL('https://u:p%20w@[::1]:8443/a/b?c=d#e'))),
    'querystring unescapeBuffer': () => querystring.unescapeBuffer('a%20b%zz%E2%82%AC+c').toString('hex') + ' ' + Buffer.isBuffer(querystring.unescapeBuffer('x')),
    'url file paths': () => [url.fileURLToPath('file:///a/b%20c'), url.pathToFileURL('/x y/#z?').href].join(' | '),

    // string_decoder
    'string_decoder': () => {
      const euro = Buffer.from('€😀é');
      const out = [];
      for (const enc of ['utf8', 'utf16le', 'base64', 'hex', 'latin1', 'base64url']) {
        const src = enc === 'utf16le' ? Buffer.from('€😀é', 'utf16le') : euro;
        const d = new StringDecoder(enc);
        let s = '';
        for (let i = 0; i < src.length; i++) s += d.write(src.subarray(i, i + 1));
        s += d.end();
        out.push(`${enc}=${s}`);
      }
      const d = new StringDecoder('utf8');
      out.push(JSON.stringify(d.write(Buffer.from([0xe2, 0x82])) + d.end()));
      return out.join(' ');
    },

    // assert
    'assert': () => {
      const r = [];
      const t = (f) => {
        try {
          f();
          r.push('ok');
        } catch (e) {
          r.push(`${e.name}:${e.code}:${e.operator}`);
        }
      };
      t(() => assert.strictEqual(1, 1));
      t(() => assert.strictEqual(1, '1'));
      t(() => assert.equal(1, '1'));
      t(() => assert.deepStrictEqual({ a: [1] }, { a: [1] }));
      t(() => assert.deepStrictEqual({ a: [1] }, { a: ['1'] }));
      t(() => assert.deepEqual({ a: [1] }, { a: ['1'] }));
      t(() => assert.notDeepStrictEqual({ a: 1 }, { a: 1 }));
      t(() => assert.throws(() => { throw new TypeError('x'); }, TypeError));
      t(() => assert.throws(() => { throw new TypeError('xyz'); }, /xy/));
      t(() => assert.throws(() => { throw new TypeError('xyz'); }, { name: 'TypeError', message: 'xyz' }));
      t(() => assert.throws(() => {}));
      t(() => assert.doesNotThrow(() => {}));
      t(() => assert.ok(0));
      t(() => assert(1));
      t(() => assert.match('abc', /b/));
      t(() => assert.match('abc', /x/));
      t(() => assert.ifError(null));
      t(() => assert.fail('boom'));
      t(() => assert.strict.equal(1, '1'));
      return r.join(' ');
    },
    'assert message': () => {
      try {
        assert.strictEqual(1, 2);
      } catch (e) {
        return e.message;
      }
      return '';
    },

    // events
    'events': () => {
      const e = new EventEmitter();
      const seen = [];
      e.on('a', (x) => seen.push(`on:${x}`));
      e.once('a', (x) => seen.push(`once:${x}`));
      e.prependListener('a', (x) => seen.push(`first:${x}`));
      e.emit('a', 1);
      e.emit('a', 2);
      seen.push(e.listenerCount('a'), e.eventNames().join(','), EventEmitter.defaultMaxListeners);
      try {
        e.emit('error', new Error('unhandled'));
      } catch (err) {
        seen.push(err.message);
      }
      e.on(EventEmitter.errorMonitor, (er) => seen.push(`monitor:${er.message}`));
      e.on('error', (er) => seen.push(`handled:${er.message}`));
      e.emit('error', new Error('x'));
      e.removeAllListeners('a');
      seen.push(e.emit('a'), e.listenerCount('a'));
      return seen.join(' ');
    },
  };
  const out = {};
  for (const [name, f] of Object.entries(c)) {
    try {
      out[name] = String(f());
    } catch (e) {
      out[name] = `throws ${e && e.name}: ${e && e.message}`;
    }
  }
  return out;
}

async function alsChecks({ AsyncLocalStorage, AsyncResource, EventEmitter, sleep }) {
  const als = new AsyncLocalStorage();
  const other = new AsyncLocalStorage();
  const out = {};
  out.outside = als.getStore() === undefined;
  out.afterAwaits = await als.run({ id: 'a' }, async () => {
    await null;
    await sleep(1);
    await Promise.resolve().then(() => {});
    return als.getStore().id;
  });
  // Interleaved chains: each sees its own store after every await.
  const worker = async (id, delays) => {
    const seen = [];
    for (const d of delays) {
      await sleep(d);
      seen.push(als.getStore());
    }
    return seen;
  };
  const results = await Promise.all([
    als.run('one', () => worker('one', [3, 0, 2])),
    als.run('two', () => worker('two', [0, 2, 1])),
    als.run('three', () => worker('three', [1, 1, 0])),
  ]);
  out.interleaved = results.map((r) => r.join(','));
  // then/catch/finally callbacks and promise combinators.
  out.thenChain = await als.run('chain', () => Promise.resolve(1)
    .then(() => als.getStore())
    .then((s) => Promise.reject(new Error(s)))
    .catch((e) => `${e.message}+${als.getStore()}`)
    .finally(() => {}));
  out.combinators = await als.run('all', () => Promise.all([sleep(1).then(() => als.getStore()), Promise.race([sleep(2).then(() => als.getStore())])]));
  // Nested run, exit, two storages.
  out.nested = await als.run('outer', async () => {
    const inner = await als.run('inner', async () => {
      await sleep(1);
      return als.getStore();
    });
    await null;
    const exited = als.exit(() => als.getStore());
    return `${inner}/${als.getStore()}/${String(exited)}`;
  });
  out.twoStorages = await als.run('x', () => other.run('y', async () => {
    await sleep(1);
    return `${als.getStore()}${other.getStore()}`;
  }));
  // Timers, nextTick, queueMicrotask, setImmediate and EventEmitter callbacks.
  out.timers = await als.run('timer', () => new Promise((resolve) => {
    const seen = [];
    setTimeout(() => seen.push(`timeout:${als.getStore()}`), 1);
    process.nextTick(() => seen.push(`tick:${als.getStore()}`));
    queueMicrotask(() => seen.push(`micro:${als.getStore()}`));
    setImmediate(() => seen.push(`immediate:${als.getStore()}`));
    setTimeout(() => resolve(seen.sort().join(',')), 5);
  }));
  // A callback bound with AsyncResource carries the store to where it runs.
  const emitter = new EventEmitter();
  const bound = als.run('bound', () => AsyncResource.bind(() => als.getStore()));
  const unbound = als.run('unbound', () => () => als.getStore());
  out.bound = `${bound()}/${String(unbound())}`;
  out.snapshot = als.run('snap', () => AsyncLocalStorage.snapshot())(() => als.getStore());
  emitter.on('e', () => {
    out.emitter = String(als.getStore());
  });
  als.run('emit', () => emitter.emit('e'));
  // An async generator and for await.
  out.asyncIter = await als.run('iter', async () => {
    async function* gen() {
      for (let i = 0; i < 2; i++) {
        await sleep(1);
        yield als.getStore();
      }
    }
    const got = [];
    for await (const s of gen()) got.push(s);
    return got.join(',');
  });
  out.enterWith = await (async () => {
    als.enterWith('entered');
    await sleep(1);
    return als.getStore();
  })();
  out.after = String(als.getStore());
  return out;
}

async function streamChecks({ Readable, Writable, Transform, PassThrough, pipeline, pipelinePromise, Buffer }) {
  const out = {};
  const upper = new Transform({
    transform(chunk, enc, cb) {
      cb(null, chunk.toString().toUpperCase());
    },
  });
  const got = [];
  const sink = new Writable({
    write(chunk, enc, cb) {
      got.push(chunk.toString());
      cb();
    },
  });
  await new Promise((resolve, reject) => pipeline(Readable.from(['ab', 'cd', 'ef']), upper, sink, (err) => (err ? reject(err) : resolve())));
  out.pipeline = got.join('|');
  // stream/promises, objectMode, PassThrough and async iteration.
  const items = [];
  await pipelinePromise(Readable.from([{ n: 1 }, { n: 2 }]), new PassThrough({ objectMode: true }), async function* (source) {
    for await (const x of source) items.push(x.n * 10);
  });
  out.promises = items.join(',');
  // An error in the middle fails the pipeline.
  try {
    await pipelinePromise(Readable.from(['x']), new Transform({ transform(c, e, cb) { cb(new Error('broken')); } }), new PassThrough());
    out.error = 'none';
  } catch (e) {
    out.error = e.message;
  }
  // Backpressure: a Readable with a small highWaterMark pushed 1000 chunks.
  let n = 0;
  const src = new Readable({
    highWaterMark: 4,
    read() {
      this.push(n < 1000 ? Buffer.from([n++ & 0xff]) : null);
    },
  });
  let total = 0;
  for await (const chunk of src) total += chunk.length;
  out.backpressure = total;
  // Between Node and web streams.
  const web = Readable.toWeb(Readable.from([Buffer.from('we'), Buffer.from('b!')]));
  out.toWeb = await new Response(web).text();
  const fromWeb = Readable.fromWeb(new Response('from web').body);
  let text = '';
  fromWeb.setEncoding('utf8');
  for await (const s of fromWeb) text += s;
  out.fromWeb = text;
  return out;
}

/** asyncCases are the cases that take time: AsyncLocalStorage and streams. */
export async function asyncCases(m) {
  const out = {};
  for (const [group, f] of [['als', alsChecks], ['stream', streamChecks]]) {
    let r;
    try {
      r = await f(m);
    } catch (e) {
      r = { error: `throws ${e && e.name}: ${e && e.message}` };
    }
    for (const [k, v] of Object.entries(r)) out[`${group} ${k}`] = JSON.stringify(v);
  }
  return out;
}
