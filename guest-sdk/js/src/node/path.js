// node:path and node:path/posix: POSIX paths, from the path-browserify npm
// package (Node's own path.posix, pinned in guest-sdk/js/package.json).
// resolve() starts from process.cwd() ("/"). path.win32 is a stub whose
// functions throw.
import pb from 'path-browserify';
import { stub } from './stub.js';
import { register } from './builtins.js';

const cwd = () => {
  const p = globalThis.process;
  return p && typeof p.cwd === 'function' ? p.cwd() : '/';
};

/** resolve resolves the paths, right to left, to an absolute path. */
export function resolve(...paths) {
  return pb.resolve(cwd(), ...paths);
}

export const { normalize, isAbsolute, join, relative, dirname, basename, extname, format, parse, sep, delimiter } = pb;

/** toNamespacedPath returns path unchanged (as on POSIX). */
export function toNamespacedPath(path) {
  return path;
}

export const win32 = stub('node:path.win32');

const path = {
  resolve, normalize, isAbsolute, join, relative, dirname, basename, extname, format, parse, sep, delimiter,
  toNamespacedPath, _makeLong: toNamespacedPath, win32,
};
path.posix = path;
export const posix = path;

export default register('path', path);
