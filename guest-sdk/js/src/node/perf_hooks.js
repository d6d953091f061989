// node:perf_hooks: the Worker's performance (the engine's global); the
// observers and histograms are inert.
import { register } from './builtins.js';

export const performance = globalThis.performance;
export const constants = Object.freeze({ NODE_PERFORMANCE_GC_MAJOR: 4, NODE_PERFORMANCE_GC_MINOR: 1, NODE_PERFORMANCE_GC_INCREMENTAL: 8, NODE_PERFORMANCE_GC_WEAKCB: 16 });

/** PerformanceObserver never calls back (no entries are recorded). */
export class PerformanceObserver {
  static supportedEntryTypes = Object.freeze([]);
  constructor(callback) {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
  }
  observe() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}

function histogram() {
  return { min: 0, max: 0, mean: 0, stddev: 0, count: 0, exceeds: 0, percentiles: new Map(), percentile: () => 0, reset() {}, enable: () => true, disable: () => true, record() {}, recordDelta() {} };
}

export const monitorEventLoopDelay = () => histogram();
export const createHistogram = () => histogram();

export default register('perf_hooks', { performance, constants, PerformanceObserver, monitorEventLoopDelay, createHistogram });
