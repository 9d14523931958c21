/**
 * Compressed time for the benchmark. Every process of a run shares one mapping from real to simulated
 * time: simulated = originSim + (real − originReal) × factor. Until `originReal` is set the simulated time
 * stands still at `originSim`, so a run can be set up (stores filled, messages seeded, a child process
 * loaded) without its timeline moving, and then every process starts it at the same real instant.
 *
 * The bench's own process gives a {@link Clock} on the mapping to the fakes; a tracker's child process
 * installs it globally (Date, timers) before loading anything, so the bot, discord.js and undici run
 * unchanged, just faster. `performance.now()` and `process.hrtime()` stay real: CPU and event-loop figures
 * are real.
 */
import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import type { Clock } from '../src/scheduling/clock.js';

export interface TimeWarp {
  /** Simulated milliseconds per real millisecond. */
  factor: number;
  /** Simulated epoch ms at `originReal`. */
  originSim: number;
  /** Real epoch ms at which the simulated timeline starts moving; Infinity while it stands still. */
  originReal: number;
}

export function createTimeWarp(factor: number, originSim: number): TimeWarp {
  if (!(factor >= 1)) throw new RangeError('time factor must be at least 1');
  return { factor, originSim, originReal: Infinity };
}

/** Starts the simulated timeline now (in every process that is told the same `originReal`). */
export function startTimeline(warp: TimeWarp, originReal = realNow()): void {
  warp.originReal = originReal;
}

/** Real epoch ms with sub-millisecond precision, comparable across processes. */
export function realNow(): number {
  return performance.timeOrigin + performance.now();
}

export function simulatedNow(warp: TimeWarp): number {
  return warp.originSim + Math.max(0, realNow() - warp.originReal) * warp.factor;
}

/** Real milliseconds that `simulatedMs` take. */
export function realDuration(warp: TimeWarp, simulatedMs: number): number {
  return Math.max(0, simulatedMs) / warp.factor;
}

/** A Clock on simulated time for code that takes one (the fake Discord, the fake video API). */
export function createWarpedClock(warp: TimeWarp): Clock {
  return {
    now: () => Math.floor(simulatedNow(warp)),
    setTimeout(callback, ms) {
      const timer = setTimeout(callback, realDuration(warp, ms));
      timer.unref?.();
      return () => clearTimeout(timer);
    },
    sleep(ms, signal) {
      return timersPromises.setTimeout(realDuration(warp, ms), undefined, signal ? { signal } : {});
    },
  };
}

/**
 * Makes this whole process run on simulated time: `Date`, `Date.now()`, `setTimeout`, `setInterval` and
 * `node:timers/promises`. Call once, before importing anything that keeps a reference to them.
 */
export function installTimeWarp(warp: TimeWarp): void {
  const RealDate = Date;
  const now = () => Math.floor(simulatedNow(warp));
  const scale = (ms: unknown) => realDuration(warp, Number(ms) || 0);

  function WarpedDate(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(now()).toString();
    // A plain `new Date` builds a real Date: with WarpedDate as new.target, V8 would give every
    // instance a hidden class of its own (20,000 extra maps at 10,000 tasks, none in a real run).
    const target = new.target === WarpedDate ? RealDate : new.target;
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, target);
  }
  WarpedDate.prototype = RealDate.prototype;
  Object.setPrototypeOf(WarpedDate, RealDate);
  Object.defineProperty(WarpedDate, 'now', { value: now, writable: true, configurable: true });
  globalThis.Date = WarpedDate as unknown as DateConstructor;

  const realSetTimeout = globalThis.setTimeout;
  const realSetInterval = globalThis.setInterval;
  const warpedSetTimeout = (callback: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) =>
    realSetTimeout(callback, scale(ms), ...rest);
  const warpedSetInterval = (callback: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) =>
    realSetInterval(callback, scale(ms), ...rest);
  globalThis.setTimeout = warpedSetTimeout as typeof setTimeout;
  globalThis.setInterval = warpedSetInterval as typeof setInterval;
  timers.setTimeout = globalThis.setTimeout;
  timers.setInterval = globalThis.setInterval;

  const realSleep = timersPromises.setTimeout;
  const realEvery = timersPromises.setInterval;
  timersPromises.setTimeout = ((ms?: number, value?: unknown, options?: object) =>
    realSleep(scale(ms), value, options)) as typeof timersPromises.setTimeout;
  timersPromises.setInterval = ((ms?: number, value?: unknown, options?: object) =>
    realEvery(scale(ms), value, options)) as typeof timersPromises.setInterval;
  // ESM imports of built-ins are snapshots of the CommonJS exports until synced.
  syncBuiltinESMExports();
}
