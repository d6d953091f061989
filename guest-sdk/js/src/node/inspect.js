// util.inspect and util.format as Node.js prints values: quoting and
// escaping of strings, `key: value` lists that stay on one line while they
// fit in breakLength (80) and the three inner-most levels (compact: 3),
// arrays of more than six short items in aligned columns, [Circular *n]
// and <ref *n>, [Object] past depth, Map/Set/typed array/ArrayBuffer/
// boxed primitive/class/null-prototype forms, getters, and
// [util.inspect.custom]. Internal to src/node (node:util re-exports it).
import { formatError } from '../console.js';

/** customInspect is util.inspect.custom. */
export const customInspect = Symbol.for('nodejs.util.inspect.custom');

const defaultOptions = {
  showHidden: false,
  depth: 2,
  colors: false,
  customInspect: true,
  showProxy: false,
  maxArrayLength: 100,
  maxStringLength: 10000,
  breakLength: 80,
  compact: 3,
  sorted: false,
  getters: false,
  numericSeparator: false,
};

const colors = {
  reset: [0, 0], bold: [1, 22], dim: [2, 22], italic: [3, 23], underline: [4, 24], blink: [5, 25], inverse: [7, 27],
  hidden: [8, 28], strikethrough: [9, 29], doubleunderline: [21, 24], black: [30, 39], red: [31, 39], green: [32, 39],
  yellow: [33, 39], blue: [34, 39], magenta: [35, 39], cyan: [36, 39], white: [37, 39], bgBlack: [40, 49],
  bgRed: [41, 49], bgGreen: [42, 49], bgYellow: [43, 49], bgBlue: [44, 49], bgMagenta: [45, 49], bgCyan: [46, 49],
  bgWhite: [47, 49], framed: [51, 54], overlined: [53, 55], gray: [90, 39], redBright: [91, 39],
  greenBright: [92, 39], yellowBright: [93, 39], blueBright: [94, 39], magentaBright: [95, 39],
  cyanBright: [96, 39], whiteBright: [97, 39], bgGray: [100, 49], bgRedBright: [101, 49],
  bgGreenBright: [102, 49], bgYellowBright: [103, 49], bgBlueBright: [104, 49], bgMagentaBright: [105, 49],
  bgCyanBright: [106, 49], bgWhiteBright: [107, 49],
};
colors.grey = colors.gray;

const styles = {
  special: 'cyan', number: 'yellow', bigint: 'yellow', boolean: 'yellow', undefined: 'grey', null: 'bold',
  string: 'green', symbol: 'green', date: 'magenta', regexp: 'red', module: 'underline',
};

// --- strings ---------------------------------------------------------------------

const ESCAPES = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '\\': '\\\\' };

function hex(code, width) {
  return code.toString(16).toUpperCase().padStart(width, '0');
}

// quote is s as a JavaScript string literal, as Node chooses the quote:
// single, else double when s has single quotes, else a backtick when it
// has both.
export function quote(s) {
  let q = "'";
  if (s.includes("'")) {
    if (!s.includes('"')) q = '"';
    else if (!s.includes('`') && !s.includes('${')) q = '`';
  }
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = s.charCodeAt(i);
    if (c === q) out += '\\' + c;
    else if (ESCAPES[c]) out += ESCAPES[c];
    else if (code < 0x20 || code === 0x7f) out += '\\x' + hex(code, 2);
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += c + s[i + 1];
        i++;
      } else {
        out += '\\u' + code.toString(16);
      }
    } else out += c;
  }
  return q + out + q;
}

// --- the walk ---------------------------------------------------------------------

function stylizer(ctx) {
  if (!ctx.colors) return (s) => s;
  return (s, type) => {
    const c = colors[ctx.stylesMap[type]];
    return c ? `\x1b[${c[0]}m${s}\x1b[${c[1]}m` : s;
  };
}

function formatNumber(n, separators) {
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  if (!separators || !Number.isFinite(n) || s.includes('e')) return s;
  // The integer part in groups of three from the right, the fraction from the left.
  const [int, frac] = s.split('.');
  const i = int.replace(/\B(?=(\d{3})+(?!\d))/g, '_');
  return frac === undefined ? i : `${i}.${frac.replace(/(\d{3})(?=\d)/g, '$1_')}`;
}

function formatPrimitive(ctx, v) {
  const st = ctx.stylize;
  switch (typeof v) {
    case 'string': {
      let trailer = '';
      if (v.length > ctx.maxStringLength) {
        const rest = v.length - ctx.maxStringLength;
        v = v.slice(0, ctx.maxStringLength);
        trailer = `... ${rest} more character${rest > 1 ? 's' : ''}`;
      }
      // A long string in a compact layout is cut after its newlines.
      if (ctx.compact !== true && v.length > 16 && v.length > ctx.breakLength - ctx.indentationLvl - 4) {
        const lines = v.split(/(?<=\n)/);
        return lines.map((l) => st(quote(l), 'string')).join(` +\n${' '.repeat(ctx.indentationLvl + 2)}`) + trailer;
      }
      return st(quote(v), 'string') + trailer;
    }
    case 'number':
      return st(formatNumber(v, ctx.numericSeparator), 'number');
    case 'bigint':
      return st(`${v}n`, 'bigint');
    case 'boolean':
      return st(String(v), 'boolean');
    case 'undefined':
      return st('undefined', 'undefined');
    case 'symbol':
      return st(v.toString(), 'symbol');
  }
  return st('null', 'null');
}

const IDENT = /^[a-zA-Z_][a-zA-Z_0-9]*$/;

function formatKey(ctx, key, hidden) {
  let s;
  if (typeof key === 'symbol') s = `[${ctx.stylize(key.toString(), 'symbol')}]`;
  else if (IDENT.test(key)) s = hidden ? `[${key}]` : key;
  else s = hidden ? `[${quote(key)}]` : ctx.stylize(quote(key), 'string');
  return s;
}

function constructorName(v) {
  let o = v;
  while (o !== null && o !== undefined) {
    const d = Object.getOwnPropertyDescriptor(o, 'constructor');
    if (d && typeof d.value === 'function' && d.value.name !== '') return d.value.name;
    o = Object.getPrototypeOf(o);
  }
  return null;
}

// prefix is what goes before the braces: "Foo ", "Map(2) ", "[Object: null prototype] ".
function prefix(name, tag, fallback, size = '') {
  if (name === null) {
    if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== '' && name !== tag) return `${name}${size} [${tag}] `;
  return `${name}${size} `;
}

const typedArrayProto = Object.getPrototypeOf(Uint8Array.prototype);
const typedArrayTag = Object.getOwnPropertyDescriptor(typedArrayProto, Symbol.toStringTag).get;

function isError(v) {
  return v instanceof Error || Object.prototype.toString.call(v) === '[object Error]';
}

function functionBase(v, name, tag) {
  const src = Function.prototype.toString.call(v);
  if (src.startsWith('class') && /^class\b/.test(src)) {
    let s = `[class ${v.name || '(anonymous)'}`;
    const sup = Object.getPrototypeOf(v);
    if (sup && sup !== Function.prototype && sup.name) s += ` extends ${sup.name}`;
    else if (name !== 'Function' && name !== null) s += ` [${name}]`;
    return s + ']';
  }
  let type = 'Function';
  if (tag === 'AsyncFunction' || tag === 'GeneratorFunction' || tag === 'AsyncGeneratorFunction') type = tag;
  let s = `[${type}`;
  if (name === null) s += ' (null prototype)';
  s += v.name ? `: ${v.name}]` : ' (anonymous)]';
  if (tag !== '' && tag !== type && name !== tag) s += ` [${tag}]`;
  return s;
}

function errorBase(ctx, err) {
  let s;
  try {
    s = formatError(err);
  } catch {
    s = Object.prototype.toString.call(err);
  }
  if (ctx.indentationLvl !== 0) s = s.replace(/\n/g, `\n${' '.repeat(ctx.indentationLvl)}`);
  return s;
}

function formatValue(ctx, v, depth, typed) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return formatPrimitive(ctx, v);
  if (ctx.customInspect) {
    const f = v[customInspect];
    if (typeof f === 'function' && f !== inspect && !(v.constructor && v.constructor.prototype === v)) {
      const opts = { ...ctx.userOptions, ...ctx.options(), depth: ctx.depth === null ? null : ctx.depth - depth };
      const r = f.call(v, opts.depth, opts, inspect);
      if (r !== v) return typeof r === 'string' ? r.replace(/\n/g, `\n${' '.repeat(ctx.indentationLvl)}`) : formatValue(ctx, r, depth);
    }
  }
  if (ctx.seen.includes(v)) {
    let n = ctx.circular.get(v);
    if (n === undefined) {
      n = ctx.circular.size + 1;
      ctx.circular.set(v, n);
    }
    return ctx.stylize(`[Circular *${n}]`, 'special');
  }
  return formatRaw(ctx, v, depth, typed);
}

function formatRaw(ctx, v, depth, typed) {
  const name = constructorName(v);
  let tag = v[Symbol.toStringTag];
  if (typeof tag !== 'string') tag = '';
  let keys = ownKeys(ctx, v);
  let base = '';
  let braces = ['{', '}'];
  let entries = null; // (ctx, v, depth) => string[]
  let kind = 'object';
  let noEntries = false;
  const st = ctx.stylize;

  if (Array.isArray(v)) {
    keys = keys.filter((k) => typeof k === 'symbol' || !isIndex(k));
    const p = name === 'Array' && tag === '' ? '' : prefix(name, tag, 'Array', `(${v.length})`);
    braces = [`${p}[`, ']'];
    kind = 'array';
    entries = () => listEntries(ctx, v, v.length, depth);
    noEntries = v.length === 0;
  } else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    keys = keys.filter((k) => typeof k === 'symbol' || !isIndex(k));
    const arrayTag = typedArrayTag.call(v) || 'TypedArray';
    braces = [`${prefix(name, tag === arrayTag ? '' : tag, arrayTag, `(${v.length})`)}[`, ']'];
    kind = 'array';
    entries = () => {
      const n = Math.min(v.length, ctx.maxArrayLength);
      const out = [];
      for (let i = 0; i < n; i++) out.push(formatPrimitive(ctx, v[i]));
      if (v.length > n) out.push(`... ${v.length - n} more item${v.length - n > 1 ? 's' : ''}`);
      return out;
    };
    noEntries = v.length === 0;
  } else if (v instanceof Set) {
    braces = [`${prefix(name, tag, 'Set', `(${v.size})`)}{`, '}'];
    entries = () => {
      const out = [];
      ctx.indentationLvl += 2;
      for (const x of v) out.push(formatValue(ctx, x, depth + 1));
      ctx.indentationLvl -= 2;
      return out;
    };
    noEntries = v.size === 0;
  } else if (v instanceof Map) {
    braces = [`${prefix(name, tag, 'Map', `(${v.size})`)}{`, '}'];
    entries = () => {
      const out = [];
      ctx.indentationLvl += 2;
      for (const [k, x] of v) out.push(`${formatValue(ctx, k, depth + 1)} => ${formatValue(ctx, x, depth + 1)}`);
      ctx.indentationLvl -= 2;
      return out;
    };
    noEntries = v.size === 0;
  } else if (typeof v === 'function') {
    base = functionBase(v, name, tag);
    keys = keys.filter((k) => k !== 'prototype' || Object.getOwnPropertyDescriptor(v, k).enumerable);
    if (keys.length === 0) return st(base, 'special');
  } else if (v instanceof RegExp) {
    base = RegExp.prototype.toString.call(v);
    if (name !== 'RegExp') base = `${prefix(name, '', 'RegExp')}${base}`;
    keys = keys.filter((k) => k !== 'lastIndex');
    if (keys.length === 0) return st(base, 'regexp');
  } else if (v instanceof Date) {
    base = Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (name !== 'Date') base = `${prefix(name, '', 'Date')}${base}`;
    if (keys.length === 0) return st(base, 'date');
  } else if (isError(v)) {
    base = errorBase(ctx, v);
    keys = keys.filter((k) => k !== 'stack' && k !== 'message' && k !== 'cause');
    if (keys.length === 0) return base;
  } else if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer)) {
    const arrayType = v instanceof ArrayBuffer ? 'ArrayBuffer' : 'SharedArrayBuffer';
    braces[0] = `${prefix(name, tag, arrayType)}{`;
    entries = () => {
      const bytes = new Uint8Array(v, 0, Math.min(v.byteLength, ctx.maxArrayLength));
      let hexes = Array.from(bytes, (b) => hex(b, 2).toLowerCase()).join(' ');
      if (v.byteLength > bytes.length) hexes += ` ... ${v.byteLength - bytes.length} more byte${v.byteLength - bytes.length > 1 ? 's' : ''}`;
      return [`${st('[Uint8Contents]', 'special')}: <${hexes}>`, `byteLength: ${formatNumber(v.byteLength)}`];
    };
  } else if (v instanceof DataView) {
    braces[0] = `${prefix(name, tag, 'DataView')}{`;
    entries = () => [`byteLength: ${formatNumber(v.byteLength)}`, `byteOffset: ${formatNumber(v.byteOffset)}`, `buffer: ${formatValue(ctx, v.buffer, depth + 1)}`];
  } else if (v instanceof Promise) {
    braces[0] = `${prefix(name, tag, 'Promise')}{`;
    entries = () => [st('<unknown>', 'special')];
  } else if (v instanceof WeakMap || v instanceof WeakSet) {
    const t = v instanceof WeakMap ? 'WeakMap' : 'WeakSet';
    braces[0] = `${prefix(name, tag, t)}{`;
    entries = () => [st('<items unknown>', 'special')];
  } else if (v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt || v instanceof Symbol) {
    let prim, t;
    if (v instanceof Number) [prim, t] = [Number.prototype.valueOf.call(v), 'Number'];
    else if (v instanceof String) [prim, t] = [String.prototype.valueOf.call(v), 'String'];
    else if (v instanceof Boolean) [prim, t] = [Boolean.prototype.valueOf.call(v), 'Boolean'];
    else if (v instanceof BigInt) [prim, t] = [BigInt.prototype.valueOf.call(v), 'BigInt'];
    else [prim, t] = [Symbol.prototype.valueOf.call(v), 'Symbol'];
    if (t === 'String') keys = keys.filter((k) => typeof k === 'symbol' || !isIndex(k) && k !== 'length');
    base = `[${t}${name !== t ? (name === null ? ' (null prototype)' : ` (${name})`) : ''}: ${formatPrimitive({ ...ctx, stylize: (s) => s, compact: true }, prim)}]`;
    if (tag !== '' && tag !== name) base += ` [${tag}]`;
    if (keys.length === 0) return st(base, t.toLowerCase());
  } else if (isArguments(v)) {
    keys = keys.filter((k) => typeof k === 'symbol' || !isIndex(k));
    braces = ['[Arguments] [', ']'];
    kind = 'array';
    entries = () => listEntries(ctx, v, v.length, depth);
    noEntries = v.length === 0;
  } else {
    if (name !== 'Object' || tag !== '') braces[0] = `${prefix(name, tag, 'Object')}{`;
  }

  if (noEntries && keys.length === 0) return `${braces[0]}${braces[1]}`;
  if (!entries && keys.length === 0) {
    return base !== '' ? base : `${braces[0]}}`;
  }

  if (ctx.depth !== null && depth > ctx.depth) {
    const n = name === null ? 'Object: null prototype' : tag !== '' && name !== tag ? `${name} [${tag}]` : name;
    return st(`[${kind === 'array' && name === 'Array' ? 'Array' : n}]`, 'special');
  }

  ctx.seen.push(v);
  ctx.currentDepth = depth;
  let output;
  try {
    output = entries ? entries() : [];
    for (const k of keys) output.push(formatProperty(ctx, v, k, depth, kind));
  } finally {
    ctx.seen.pop();
  }
  if (ctx.sorted) {
    const cmp = ctx.sorted === true ? undefined : ctx.sorted;
    if (kind === 'object') output.sort(cmp);
  }
  const ref = ctx.circular.get(v);
  if (ref !== undefined) {
    const r = st(`<ref *${ref}>`, 'special');
    if (base === '') braces[0] = `${r} ${braces[0]}`;
    else base = `${r} ${base}`;
  }
  return reduce(ctx, output, base, braces, kind, depth, v);
}

function isIndex(k) {
  return typeof k === 'string' && /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 2 ** 32 - 1;
}

function isArguments(v) {
  return Object.prototype.toString.call(v) === '[object Arguments]';
}

function ownKeys(ctx, v) {
  const keys = ctx.showHidden ? Object.getOwnPropertyNames(v) : Object.keys(v);
  const symbols = Object.getOwnPropertySymbols(v);
  for (const s of symbols) {
    if (ctx.showHidden || Object.getOwnPropertyDescriptor(v, s).enumerable) keys.push(s);
  }
  if (ctx.showHidden && Array.isArray(v)) {
    // length goes last, as Node prints it.
    const i = keys.indexOf('length');
    if (i >= 0) keys.push(keys.splice(i, 1)[0]);
  }
  return keys;
}

function listEntries(ctx, v, length, depth) {
  const out = [];
  const n = Math.min(length, ctx.maxArrayLength);
  ctx.indentationLvl += 2;
  let i = 0;
  while (i < n) {
    if (!Object.prototype.hasOwnProperty.call(v, i)) {
      let j = i;
      while (j < length && !Object.prototype.hasOwnProperty.call(v, j)) j++;
      const holes = j - i;
      out.push(ctx.stylize(`<${holes} empty item${holes > 1 ? 's' : ''}>`, 'undefined'));
      i = j;
      continue;
    }
    out.push(formatValue(ctx, v[i], depth + 1));
    i++;
  }
  ctx.indentationLvl -= 2;
  if (length > i) out.push(`... ${length - i} more item${length - i > 1 ? 's' : ''}`);
  return out;
}

function formatProperty(ctx, v, key, depth, kind) {
  const desc = Object.getOwnPropertyDescriptor(v, key) || { value: v[key], enumerable: true };
  const hidden = !desc.enumerable;
  let value;
  if ('value' in desc) {
    const diff = ctx.compact !== true || kind !== 'object' ? 2 : 3;
    ctx.indentationLvl += diff;
    value = formatValue(ctx, desc.value, depth + 1);
    ctx.indentationLvl -= diff;
  } else if (desc.get) {
    const label = desc.set ? 'Getter/Setter' : 'Getter';
    if (ctx.getters && (ctx.getters === true || (ctx.getters === 'get' && !desc.set) || (ctx.getters === 'set' && desc.set))) {
      try {
        const got = desc.get.call(v);
        ctx.indentationLvl += 2;
        value = got !== null && typeof got === 'object'
          ? `${ctx.stylize(`[${label}]`, 'special')} ${formatValue(ctx, got, depth + 1)}`
          : `${ctx.stylize(`[${label}:`, 'special')} ${formatPrimitive(ctx, got)}${ctx.stylize(']', 'special')}`;
        ctx.indentationLvl -= 2;
      } catch (e) {
        value = ctx.stylize(`[${label}: <Inspection threw (${e.message})>]`, 'special');
      }
    } else {
      value = ctx.stylize(`[${label}]`, 'special');
    }
  } else if (desc.set) {
    value = ctx.stylize('[Setter]', 'special');
  } else {
    value = ctx.stylize('undefined', 'undefined');
  }
  return `${formatKey(ctx, key, hidden)}: ${value}`;
}

// group lays out more than six short array items in columns (numbers
// right-aligned), as Node does, returning the rows.
function group(ctx, output, v) {
  let count = output.length;
  if (ctx.maxArrayLength < output.length || /^\.\.\. \d+ more item/.test(output[count - 1])) count--;
  const sep = 2;
  const lens = [];
  let total = 0;
  let widest = 0;
  for (let i = 0; i < count; i++) {
    const len = visibleLength(ctx, output[i]);
    lens.push(len);
    total += len + sep;
    widest = Math.max(widest, len);
  }
  const cell = widest + sep;
  if (!(cell * 3 + ctx.indentationLvl < ctx.breakLength && (total / cell > 5 || widest <= 6))) return output;
  const bias = Math.sqrt(cell - total / output.length);
  const biased = Math.max(cell - 3 - bias, 1);
  const columns = Math.min(
    Math.round(Math.sqrt(2.5 * biased * count) / biased),
    Math.floor((ctx.breakLength - ctx.indentationLvl) / cell),
    ctx.compact * 4,
    15,
  );
  if (columns <= 1) return output;
  const widths = [];
  for (let c = 0; c < columns; c++) {
    let w = 0;
    for (let j = c; j < count; j += columns) w = Math.max(w, lens[j]);
    widths.push(w + sep);
  }
  let numeric = v !== undefined;
  if (numeric) {
    for (let i = 0; i < count; i++) {
      if (typeof v[i] !== 'number' && typeof v[i] !== 'bigint') {
        numeric = false;
        break;
      }
    }
  }
  const rows = [];
  for (let i = 0; i < count; i += columns) {
    const end = Math.min(i + columns, count);
    let row = '';
    for (let j = i; j < end; j++) {
      const pad = widths[j - i] + output[j].length - lens[j];
      const last = j === end - 1;
      const cellText = last ? output[j] : `${output[j]}, `;
      if (numeric) row += cellText.padStart(last ? pad - sep : pad, ' ');
      else row += last ? cellText : cellText.padEnd(pad, ' ');
    }
    rows.push(row);
  }
  for (let i = count; i < output.length; i++) rows.push(output[i]);
  return rows;
}

function visibleLength(ctx, s) {
  return ctx.colors ? s.replace(/\x1b\[\d\d?m/g, '').length : s.length;
}

function reduce(ctx, output, base, braces, kind, depth, v) {
  if (ctx.compact !== true) {
    if (typeof ctx.compact === 'number' && ctx.compact >= 1) {
      const n = output.length;
      if (kind === 'array' && n > 6) output = group(ctx, output, v);
      if (ctx.currentDepth - depth < ctx.compact && n === output.length) {
        const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
        if (fits(ctx, output, start, base)) {
          const joined = output.join(', ');
          if (!joined.includes('\n')) return `${base ? `${base} ` : ''}${braces[0]} ${joined} ${braces[1]}`;
        }
      }
    }
    const indent = `\n${' '.repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ''}${braces[0]}${indent}  ${output.join(`,${indent}  `)}${indent}${braces[1]}`;
  }
  if (fits(ctx, output, 0, base)) {
    return `${braces[0]}${base ? ` ${base}` : ''} ${output.join(', ')} ${braces[1]}`;
  }
  const indent = ' '.repeat(ctx.indentationLvl);
  const ln = base === '' && braces[0].length === 1 ? ' ' : `${base ? ` ${base}` : ''}\n${indent}  `;
  return `${braces[0]}${ln}${output.join(`,\n${indent}  `)} ${braces[1]}`;
}

function fits(ctx, output, start, base) {
  let total = output.length + start;
  if (total + output.length > ctx.breakLength) return false;
  for (const s of output) {
    total += visibleLength(ctx, s);
    if (total > ctx.breakLength) return false;
  }
  return base === '' || !base.includes('\n');
}

function makeContext(options) {
  const ctx = {
    ...defaultOptions,
    ...inspect.defaultOptions,
    seen: [],
    circular: new Map(),
    indentationLvl: 0,
    currentDepth: 0,
    stylesMap: inspect.styles,
    userOptions: options || {},
  };
  if (options) {
    for (const k of Object.keys(defaultOptions)) if (options[k] !== undefined) ctx[k] = options[k];
  }
  if (ctx.depth === Infinity) ctx.depth = null;
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  ctx.stylize = stylizer(ctx);
  ctx.options = () => {
    const o = {};
    for (const k of Object.keys(defaultOptions)) o[k] = ctx[k];
    o.stylize = ctx.stylize;
    return o;
  };
  return ctx;
}

/** inspect returns a string representation of v, as Node's util.inspect does. */
export function inspect(v, options, ...legacy) {
  if (typeof options !== 'object' || options === null) {
    // inspect(v, showHidden, depth, colors)
    const o = {};
    if (options !== undefined) o.showHidden = options;
    if (legacy[0] !== undefined) o.depth = legacy[0];
    if (legacy[1] !== undefined) o.colors = legacy[1];
    options = o;
  }
  return formatValue(makeContext(options), v, 0);
}
inspect.custom = customInspect;
inspect.colors = colors;
inspect.styles = styles;
inspect.defaultOptions = { ...defaultOptions };

// --- format ----------------------------------------------------------------------------

const builtinPrototypes = new Set([
  Object.prototype, Error.prototype, Array.prototype, Date.prototype, RegExp.prototype, Function.prototype,
  Number.prototype, String.prototype, Boolean.prototype, Symbol.prototype, BigInt.prototype, typedArrayProto,
]);

// hasOwnToString reports whether v's toString is the program's own (then
// %s prints String(v)), not a built-in's (then %s inspects v).
function hasOwnToString(v) {
  for (let o = v; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.prototype.hasOwnProperty.call(o, 'toString')) return !builtinPrototypes.has(o);
  }
  return false;
}

function formatWith(inspectOptions, args) {
  const first = args[0];
  let out = '';
  let next = 0;
  if (typeof first === 'string') {
    if (args.length === 1) return first;
    next = 1;
    let last = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first[i] !== '%') continue;
      const c = first[i + 1];
      if (c === '%') {
        out += first.slice(last, i) + '%';
        last = i + 2;
        i++;
        continue;
      }
      if (next >= args.length || !'sdifjoOc'.includes(c)) continue;
      const a = args[next];
      let s;
      switch (c) {
        case 's':
          if (typeof a === 'bigint') s = `${a}n`;
          else if (typeof a === 'number') s = formatNumber(a);
          else if (typeof a === 'object' && a !== null && !hasOwnToString(a)) s = inspect(a, { ...inspectOptions, depth: 0, colors: false, compact: 3 });
          else if (typeof a === 'symbol') s = a.toString();
          else s = String(a);
          break;
        case 'j':
          try {
            s = JSON.stringify(a);
          } catch (e) {
            if (e instanceof TypeError && /circular|cyclic/i.test(e.message)) s = '[Circular]';
            else throw e;
          }
          break;
        case 'd':
          s = typeof a === 'bigint' ? `${a}n` : typeof a === 'symbol' || (typeof a === 'object' && a !== null) ? 'NaN' : formatNumber(Number(a));
          break;
        case 'i':
          s = typeof a === 'bigint' ? `${a}n` : typeof a === 'symbol' ? 'NaN' : formatNumber(parseInt(a));
          break;
        case 'f':
          s = typeof a === 'symbol' ? 'NaN' : formatNumber(parseFloat(a));
          break;
        case 'o':
          s = inspect(a, { ...inspectOptions, showHidden: true, showProxy: true, depth: 4 });
          break;
        case 'O':
          s = inspect(a, inspectOptions);
          break;
        case 'c':
          s = '';
          break;
      }
      out += first.slice(last, i) + s;
      last = i + 2;
      i++;
      next++;
    }
    out += first.slice(last);
  }
  for (; next < args.length; next++) {
    const a = args[next];
    if (out !== '' || next > 0) out += ' ';
    out += typeof a === 'string' ? a : inspect(a, inspectOptions);
  }
  return out;
}

/** format formats its arguments as printf does, as Node's util.format. */
export function format(...args) {
  return formatWith(undefined, args);
}

/** formatWithOptions is format with inspect's options for the values it inspects. */
export function formatWithOptions(inspectOptions, ...args) {
  if (typeof inspectOptions !== 'object' || inspectOptions === null) {
    throw new TypeError('The "inspectOptions" argument must be of type object');
  }
  return formatWith(inspectOptions, args);
}
