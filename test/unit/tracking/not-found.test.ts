import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../../src/store/index.js';
import { NOT_FOUND_RULE, afterNotFound } from '../../../src/tracking/not-found.js';
import { applySnapshot } from '../../../src/tracking/rules.js';
import { snapshot } from './doubles.js';

/** When "not found" for a task the API knew ends it: only once the answer has persisted. */

const TRACKED = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

const task = (overrides: Partial<TaskRecord> = {}): TaskRecord => ({
  v: 1,
  id: 'video_abc',
  state: 'active',
  snapshot: snapshot('video_abc', { status: 'in_progress', rawStatus: 'in_progress', progress: 30 }),
  trackedAt: TRACKED,
  lastChangeAt: TRACKED,
  lastPolledAt: TRACKED,
  channelIds: ['200000000000000001'],
  ...overrides,
});

/** Answers "not found" at each of `times`, recording the streak as the tracker does. */
function notFoundAt(start: TaskRecord, times: number[]) {
  let current = start;
  const verdicts = times.map((now) => {
    const verdict = afterNotFound(current, now);
    current = { ...current, notFound: verdict.streak };
    return verdict;
  });
  return { verdicts, task: current };
}

describe('afterNotFound', () => {
  it('keeps a task after one "not found", and a reading afterwards clears the count', () => {
    const later = TRACKED + 60 * MINUTE;
    const first = afterNotFound(task(), later);
    expect(first).toEqual({ ended: false, streak: { since: later, count: 1 } });

    const { next } = applySnapshot(task({ notFound: first.streak }), task().snapshot!, later + 20_000);
    expect(next.notFound).toBeUndefined();
    // The next "not found" starts a new count.
    expect(afterNotFound(next, later + 40_000).streak).toEqual({ since: later + 40_000, count: 1 });
  });

  it('does not end a task after three "not found" answers within the grace', () => {
    const start = TRACKED + 60 * MINUTE;
    const { verdicts } = notFoundAt(task(), [start, start + 20_000, start + 60_000]);
    expect(verdicts.map((v) => v.ended)).toEqual([false, false, false]);
    expect(verdicts.at(-1)!.streak).toEqual({ since: start, count: 3 });
  });

  it('ends a task as "not found" once the answer has persisted past the grace', () => {
    const start = TRACKED + 60 * MINUTE;
    const { verdicts } = notFoundAt(task(), [start, start + MINUTE, start + NOT_FOUND_RULE.graceMs]);
    expect(verdicts.map((v) => v.ended)).toEqual([false, false, true]);
  });

  it('does not end on the grace alone: it takes several answers too', () => {
    const start = TRACKED + 60 * MINUTE;
    const { verdicts } = notFoundAt(task(), [start, start + 10 * MINUTE]);
    expect(verdicts.map((v) => v.ended)).toEqual([false, false]);
  });

  it('waits longer just after tracking started, when relays lag the most', () => {
    const { verdicts, task: counted } = notFoundAt(task(), [
      TRACKED + 10_000,
      TRACKED + MINUTE,
      TRACKED + 3 * MINUTE,
    ]);
    expect(verdicts.map((v) => v.ended)).toEqual([false, false, false]);
    expect(afterNotFound(counted, TRACKED + NOT_FOUND_RULE.afterTrackingMs).ended).toBe(true);
  });

  it('goes on counting from a streak recorded before a restart', () => {
    const start = TRACKED + 60 * MINUTE;
    const restored = task({ notFound: { since: start, count: 2 } });
    expect(afterNotFound(restored, start + 5 * MINUTE)).toEqual({
      ended: true,
      streak: { since: start, count: 3 },
    });
  });

  it('ends at once after the video expired: the relay has dropped it', () => {
    const expiresAt = new Date(TRACKED + 30 * MINUTE);
    const expiring = task({ snapshot: snapshot('video_abc', { expiresAt }) });
    expect(afterNotFound(expiring, expiresAt.getTime() - 1).ended).toBe(false);
    expect(afterNotFound(expiring, expiresAt.getTime()).ended).toBe(true);
  });
});
