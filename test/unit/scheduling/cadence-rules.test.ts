import { describe, expect, it } from 'vitest';
import { cadenceDelay, type DelayContext } from '../../../src/scheduling/cadence-delay.js';
import {
  dueAfter,
  endWindowStart,
  expectedEnd,
  progressRate,
} from '../../../src/scheduling/cadence-estimate.js';
import { learnedLateness, learnedPeriod, learnProgress } from '../../../src/scheduling/cadence-learning.js';
import { newCadence, type TaskCadence } from '../../../src/scheduling/cadence-state.js';
import { snapshot } from '../render/fixtures.js';

const settings = { defaultPeriodMs: 15_000, minMarginMs: 500 };

/** A task last refreshed at `stamp`, on a learnt 15 s beat with no spread or lateness. */
function task(stamp: number, overrides: Partial<TaskCadence> = {}): TaskCadence {
  return { ...newCadence(settings, stamp, 0, undefined), spreadMs: 0, refreshesSeen: 4, ...overrides };
}

describe('cadence estimates', () => {
  it('aims just after the next refresh due after a moment, by the beat and the margin', () => {
    const beat = task(100_000, { spreadMs: 200, lateMs: 300 });
    expect(dueAfter(beat, 0, 500)).toBe(116_000);
    expect(dueAfter(beat, 116_000, 500)).toBe(116_000);
    expect(dueAfter(beat, 120_000, 500)).toBe(131_000);
    expect(dueAfter(beat, 140_000, 500)).toBe(146_000);
    // A relay clock ahead of ours refreshes sooner by our clock.
    expect(dueAfter({ ...beat, aheadMs: 2_000 }, 0, 500)).toBe(114_000);
  });

  it('estimates the progress rate and the end from the first and latest running readings', () => {
    const running = task(160_000, {
      firstRunning: { stamp: 100_000, progress: 10 },
      lastRunning: { stamp: 160_000, progress: 40 },
    });
    expect(progressRate(running)).toBeCloseTo(30 / 60_000);
    expect(expectedEnd(running)).toBeCloseTo(280_000);
    // Not moved yet: no rate, no end, no window.
    const still = task(100_000, {
      firstRunning: { stamp: 100_000, progress: 10 },
      lastRunning: { stamp: 130_000, progress: 10 },
    });
    expect(progressRate(still)).toBeUndefined();
    expect(expectedEnd(still)).toBeUndefined();
    expect(endWindowStart(still)).toBe(Infinity);
  });

  it('takes a task seen queued then running as started in between, and doubts that estimate by two beats', () => {
    const point = { stamp: 130_000, progress: 20 };
    const started = task(130_000, { lastQueued: 100_000, firstRunning: point, lastRunning: point });
    expect(progressRate(started)).toBeCloseTo(20 / 30_000);
    expect(expectedEnd(started)).toBeCloseTo(250_000);
    expect(endWindowStart(started)).toBeCloseTo(250_000 - 30_000);
  });

  it('opens the end window a beat early for an estimate not yet checked, and by twice its last move after', () => {
    const base = {
      firstRunning: { stamp: 100_000, progress: 10 },
      lastRunning: { stamp: 160_000, progress: 40 },
    };
    const unchecked = task(160_000, base);
    // Readings are whole points: progress may be going up to a point faster than read.
    const earliest = 160_000 + 59 / (31 / 60_000);
    expect(endWindowStart(unchecked)).toBeCloseTo(Math.min(earliest, 280_000 - 2_000 - 15_000));
    const checked = task(160_000, { ...base, endEarlierMs: 1_000 });
    expect(endWindowStart(checked)).toBeCloseTo(Math.min(earliest, 280_000 - 2_000 - 2_000));
  });
});

describe('cadence learning', () => {
  it('moves the beat towards the interval seen, more when the refreshes were consecutive', () => {
    const known = task(100_000, { spreadMs: 1_000 });
    expect(learnedPeriod(known, 116_000)).toEqual({ periodMs: 15_300, spreadMs: 1_000 });
    const consecutive = learnedPeriod({ ...known, staleReadAt: 110_000 }, 116_000)!;
    expect(consecutive.periodMs).toBeCloseTo(15_700);
    // Two refreshes apart: a sample of 16 s per refresh.
    expect(learnedPeriod(known, 132_000)?.periodMs).toBeCloseTo(15_300);
    // Too many refreshes missed to learn anything.
    expect(learnedPeriod(known, 180_000)).toBeUndefined();
  });

  it('learns how late refreshes show from a read that missed one, and forgets it slowly', () => {
    const known = task(100_000, { lateMs: 1_000 });
    // Read at 117 s still showing 100 s; the refresh stamped 115 s showed later.
    expect(learnedLateness({ ...known, staleReadAt: 117_000 }, 115_000, 118_000, 500)).toBe(3_500);
    expect(learnedLateness({ ...known, staleReadAt: 140_000 }, 115_000, 141_000, 500)).toBe(7_500);
    expect(learnedLateness(known, 115_000, 116_000, 500)).toBeCloseTo(995);
  });

  it('keeps the first and latest running readings and tracks how far the end estimate moved earlier', () => {
    const state = task(0);
    learnProgress(state, snapshot({ status: 'queued', progress: 0 }), 10_000);
    learnProgress(state, snapshot({ status: 'in_progress', progress: 10 }), 40_000);
    learnProgress(state, snapshot({ status: 'in_progress', progress: 20 }), 70_000);
    expect(state.lastQueued).toBe(10_000);
    expect(state.firstRunning).toEqual({ stamp: 40_000, progress: 10 });
    expect(state.endEstimate).toBeCloseTo(310_000);
    learnProgress(state, snapshot({ status: 'in_progress', progress: 40 }), 100_000);
    expect(state.endEstimate).toBeCloseTo(220_000);
    expect(state.endEarlierMs).toBeCloseTo(90_000);
    learnProgress(state, snapshot({ status: 'in_progress', progress: 99 }), 100_000); // the same refresh
    expect(state.lastRunning).toEqual({ stamp: 100_000, progress: 40 });
  });
});

describe('cadence delay', () => {
  const context = (overrides: Partial<DelayContext> = {}): DelayContext => ({
    now: 101_000,
    consecutiveUnchanged: 0,
    backlogMs: 0,
    minMarginMs: 500,
    intervalMs: undefined,
    ...overrides,
  });

  it('polls after the next refresh while learning, and every other one once only a bar moves', () => {
    expect(cadenceDelay(task(100_000, { refreshesSeen: 1 }), context())).toBe(14_500);
    const moving = task(100_000, { lastRunning: { stamp: 100_000, progress: 5 } });
    expect(cadenceDelay(moving, context())).toBe(29_500);
    expect(cadenceDelay(task(100_000), context({ consecutiveUnchanged: 2 }))).toBe(29_500);
  });

  it('honours the poll-after hint and the longest gap', () => {
    expect(cadenceDelay(task(100_000, { pollAfterMs: 40_000 }), context())).toBe(40_000);
    const queued = context({
      consecutiveUnchanged: 5,
      intervalMs: { min: 10_000, max: 20_000, backloggedMax: 60_000 },
    });
    expect(cadenceDelay(task(100_000), queued)).toBe(20_000);
  });

  it('polls about as often as Discord can show while it is backlogged', () => {
    expect(cadenceDelay(task(100_000), context({ backlogMs: 50_000 }))).toBe(59_500);
  });
});
