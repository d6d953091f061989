// node:util/types: type checks by brand (the engine's internal slots, as
// far as a script can test them), not by Symbol.toStringTag where a brand
// test exists. isProxy and isExternal are always false (a script cannot
// tell), and isAsyncFunction is false for the Worker's own async functions
// when esbuild rewrote them (a bundle that uses node:async_hooks).
import { register } from './builtins.js';

const tag = (v) => Object.prototype.toString.call(v);
const brand = (fn) => (v) => {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  try {
    fn(v);
    return true;
  } catch {
    return false;
  }
};
const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
const typedArrayTag = getter(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag);
const typedArray = (name) => (v) => typedArrayTag.call(v) === name;

export const isArrayBuffer = brand((v) => getter(ArrayBuffer.prototype, 'byteLength').call(v));
export const isSharedArrayBuffer = typeof SharedArrayBuffer === 'function' ? brand((v) => getter(SharedArrayBuffer.prototype, 'byteLength').call(v)) : () => false;
export const isAnyArrayBuffer = (v) => isArrayBuffer(v) || isSharedArrayBuffer(v);
export const isArrayBufferView = (v) => ArrayBuffer.isView(v);
export const isDataView = brand((v) => getter(DataView.prototype, 'byteLength').call(v));
export const isTypedArray = (v) => typedArrayTag.call(v) !== undefined;
export const isUint8Array = typedArray('Uint8Array');
export const isUint8ClampedArray = typedArray('Uint8ClampedArray');
export const isUint16Array = typedArray('Uint16Array');
export const isUint32Array = typedArray('Uint32Array');
export const isInt8Array = typedArray('Int8Array');
export const isInt16Array = typedArray('Int16Array');
export const isInt32Array = typedArray('Int32Array');
export const isFloat16Array = typedArray('Float16Array');
export const isFloat32Array = typedArray('Float32Array');
export const isFloat64Array = typedArray('Float64Array');
export const isBigInt64Array = typedArray('BigInt64Array');
export const isBigUint64Array = typedArray('BigUint64Array');
export const isDate = brand((v) => Date.prototype.getTime.call(v));
export const isRegExp = (v) => v !== RegExp.prototype && brand((x) => getter(RegExp.prototype, 'source').call(x))(v);
export const isMap = brand((v) => Map.prototype.has.call(v));
export const isSet = brand((v) => Set.prototype.has.call(v));
export const isWeakMap = brand((v) => WeakMap.prototype.has.call(v, {}));
export const isWeakSet = brand((v) => WeakSet.prototype.has.call(v, {}));
export const isPromise = (v) => v instanceof Promise || tag(v) === '[object Promise]';
export const isNativeError = (v) => v instanceof Error || tag(v) === '[object Error]';
export const isNumberObject = (v) => typeof v === 'object' && brand((x) => Number.prototype.valueOf.call(x))(v);
export const isStringObject = (v) => typeof v === 'object' && brand((x) => String.prototype.valueOf.call(x))(v);
export const isBooleanObject = (v) => typeof v === 'object' && brand((x) => Boolean.prototype.valueOf.call(x))(v);
export const isBigIntObject = (v) => typeof v === 'object' && brand((x) => BigInt.prototype.valueOf.call(x))(v);
export const isSymbolObject = (v) => typeof v === 'object' && brand((x) => Symbol.prototype.valueOf.call(x))(v);
export const isBoxedPrimitive = (v) => isNumberObject(v) || isStringObject(v) || isBooleanObject(v) || isBigIntObject(v) || isSymbolObject(v);
export const isAsyncFunction = (v) => typeof v === 'function' && /^\[object Async(Generator)?Function\]$/.test(tag(v));
export const isGeneratorFunction = (v) => typeof v === 'function' && /^\[object (Async)?GeneratorFunction\]$/.test(tag(v));
export const isGeneratorObject = (v) => tag(v) === '[object Generator]' || tag(v) === '[object AsyncGenerator]';
export const isMapIterator = (v) => tag(v) === '[object Map Iterator]';
export const isSetIterator = (v) => tag(v) === '[object Set Iterator]';
export const isArgumentsObject = (v) => tag(v) === '[object Arguments]';
export const isModuleNamespaceObject = (v) => tag(v) === '[object Module]';
export const isProxy = () => false;
export const isExternal = () => false;
export const isKeyObject = (v) => v != null && v[Symbol.for('bindery.node.KeyObject')] === true;
export const isCryptoKey = (v) => typeof CryptoKey === 'function' && v instanceof CryptoKey;

export default register('util/types', {
  isArrayBuffer, isSharedArrayBuffer, isAnyArrayBuffer, isArrayBufferView, isDataView, isTypedArray, isUint8Array,
  isUint8ClampedArray, isUint16Array, isUint32Array, isInt8Array, isInt16Array, isInt32Array, isFloat16Array,
  isFloat32Array, isFloat64Array, isBigInt64Array, isBigUint64Array, isDate, isRegExp, isMap, isSet, isWeakMap,
  isWeakSet, isPromise, isNativeError, isNumberObject, isStringObject, isBooleanObject, isBigIntObject,
  isSymbolObject, isBoxedPrimitive, isAsyncFunction, isGeneratorFunction, isGeneratorObject, isMapIterator,
  isSetIterator, isArgumentsObject, isModuleNamespaceObject, isProxy, isExternal, isKeyObject, isCryptoKey,
});
