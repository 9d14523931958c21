import { describe, expect, it } from 'vitest';
import {
  apiErrorFacts,
  clampStrategyDelay,
  delayAfterError,
  delayAfterSuccess,
  intervalAfter,
  jittered,
  rateLimitWaitMs,
  resolvePollTiming,
  scheduledDueAt,
} from '../../../src/scheduling/poll-backoff.js';

const timing = resolvePollTiming({
  minIntervalMs: 1_000,
  maxIntervalMs: 8_000,
  maxStrategyDelayMs: 20_000,
  jitterRatio: 0.1,
  backoffFactor: 2,
});
/** A random source that always gives `value`. */
const fixed = (value: number) => () => value;

describe('poll timing rules', () => {
  it('applies the defaults and rejects settings no schedule can follow', () => {
    expect(resolvePollTiming({ minIntervalMs: 5, maxIntervalMs: 10 })).toEqual({
      minIntervalMs: 5,
      maxIntervalMs: 10,
      maxStrategyDelayMs: 10,
      jitterRatio: 0.1,
      backoffFactor: 1.5,
    });
    // A strategy may always wait as long as the backoff does.
    expect(
      resolvePollTiming({ minIntervalMs: 5, maxIntervalMs: 10, maxStrategyDelayMs: 3 }).maxStrategyDelayMs,
    ).toBe(10);
    expect(() => resolvePollTiming({ minIntervalMs: 0, maxIntervalMs: 10 })).toThrow(RangeError);
    expect(() => resolvePollTiming({ minIntervalMs: 10, maxIntervalMs: 5 })).toThrow(RangeError);
    expect(() => resolvePollTiming({ minIntervalMs: 5, maxIntervalMs: 10, jitterRatio: 1 })).toThrow(
      RangeError,
    );
    expect(() => resolvePollTiming({ minIntervalMs: 5, maxIntervalMs: 10, backoffFactor: 0.5 })).toThrow(
      RangeError,
    );
  });

  it('jitters by up to ±jitterRatio and keeps the result within [min, max]', () => {
    expect(jittered(timing, 4_000, fixed(0))).toBeCloseTo(3_600);
    expect(jittered(timing, 4_000, fixed(0.5))).toBe(4_000);
    expect(jittered(timing, 4_000, fixed(1))).toBeCloseTo(4_400);
    expect(jittered(timing, 8_000, fixed(1))).toBe(8_000);
    expect(jittered(timing, 1_000, fixed(0))).toBe(1_000);
  });

  it('tightens to the min on a change and backs off while unchanged, up to the max', () => {
    expect(intervalAfter(timing, 'changed', 6_000)).toBe(1_000);
    expect(intervalAfter(timing, 'unchanged', 1_000)).toBe(2_000);
    expect(intervalAfter(timing, 'unchanged', 6_000)).toBe(8_000);
  });

  it('takes a finite strategy delay, clamped and unjittered, else the jittered interval', () => {
    expect(delayAfterSuccess(timing, 12_345, 2_000, fixed(1))).toBe(12_345);
    expect(delayAfterSuccess(timing, 60_000, 2_000, fixed(1))).toBe(20_000);
    expect(delayAfterSuccess(timing, 10, 2_000, fixed(1))).toBe(1_000);
    expect(delayAfterSuccess(timing, undefined, 2_000, fixed(0.5))).toBe(2_000);
    expect(delayAfterSuccess(timing, Infinity, 2_000, fixed(0.5))).toBe(2_000);
    expect(delayAfterSuccess(timing, Number.NaN, 2_000, fixed(0.5))).toBe(2_000);
    expect(clampStrategyDelay(timing, 25_000)).toBe(20_000);
  });

  it('retries a failing task at 2×, 4×, 8× the min, capped, unless Retry-After asks for longer', () => {
    const middle = fixed(0.5);
    expect([1, 2, 3, 4].map((errors) => delayAfterError(timing, errors, undefined, middle))).toEqual([
      2_000, 4_000, 8_000, 8_000,
    ]);
    expect(delayAfterError(timing, 1, 30_000, middle)).toBe(30_000);
    expect(delayAfterError(timing, 3, 500, middle)).toBe(8_000);
  });

  it('pauses for Retry-After after a rate limit, else 1×, 2×, 4×… the min up to the max', () => {
    expect([1, 2, 3, 4, 5].map((streak) => rateLimitWaitMs(timing, streak, undefined))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000,
    ]);
    expect(rateLimitWaitMs(timing, 3, 30_000)).toBe(30_000);
  });

  it('places a scheduled task: the time asked for, one interval away, or spread when new', () => {
    const now = 100_000;
    const task = { intervalMs: 4_000, isNew: true };
    expect(scheduledDueAt(timing, now, { dueAt: 5 }, task, fixed(0.5))).toBe(5);
    expect(scheduledDueAt(timing, now, { intervalMs: 4_000 }, task, fixed(0.5))).toBe(104_000);
    expect(scheduledDueAt(timing, now, {}, task, fixed(0.25))).toBe(100_250);
    expect(scheduledDueAt(timing, now, {}, { ...task, isNew: false }, fixed(0.25))).toBeUndefined();
  });

  it('reads the kind and a positive Retry-After off any error that carries them', () => {
    expect(apiErrorFacts(Object.assign(new Error('x'), { kind: 'rate_limited', retryAfterMs: 30 }))).toEqual({
      kind: 'rate_limited',
      retryAfterMs: 30,
    });
    expect(apiErrorFacts({ kind: 'transient', retryAfterMs: 0 })).toEqual({
      kind: 'transient',
      retryAfterMs: undefined,
    });
    expect(apiErrorFacts({ kind: 'transient', retryAfterMs: '5' })).toEqual({
      kind: 'transient',
      retryAfterMs: undefined,
    });
    expect(apiErrorFacts(new Error('plain'))).toBeUndefined();
    expect(apiErrorFacts({ kind: 7 })).toBeUndefined();
    expect(apiErrorFacts('rate_limited')).toBeUndefined();
    expect(apiErrorFacts(null)).toBeUndefined();
  });
});
