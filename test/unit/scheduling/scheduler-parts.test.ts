import { describe, expect, it } from 'vitest';
import { createDueQueue } from '../../../src/scheduling/due-queue.js';
import { resolvePollTiming } from '../../../src/scheduling/poll-backoff.js';
import { createPollSlots } from '../../../src/scheduling/poll-slots.js';
import { createRateLimitPause } from '../../../src/scheduling/rate-limit-pause.js';
import { createCaptureLogger } from '../../../testkit/logging/capture-logger.js';

describe('poll slots', () => {
  it('caps polls at once and counts a slot given back only once', () => {
    expect(() => createPollSlots(0)).toThrow(RangeError);
    const slots = createPollSlots(2);
    const first = slots.take();
    const second = slots.take();
    expect(slots.hasFree()).toBe(false);
    expect(first.release()).toBe(true);
    expect(first.release()).toBe(false);
    expect(slots.used).toBe(1);
    expect(slots.hasFree()).toBe(true);
    second.release();
    expect(slots.used).toBe(0);
  });
});

describe('rate-limit pause', () => {
  const timing = resolvePollTiming({ minIntervalMs: 1_000, maxIntervalMs: 8_000 });

  it('backs off rate limits in a row, starts afresh after a success, and never shortens a pause', () => {
    const { logger, lines } = createCaptureLogger();
    const pause = createRateLimitPause(timing, logger);
    expect(pause.pause(0, undefined)).toBe(1_000);
    expect(pause.pause(0, undefined)).toBe(2_000);
    expect(pause.pause(0, 500)).toBe(2_000); // a shorter Retry-After does not cut the pause short
    pause.succeeded();
    expect(pause.pause(10_000, undefined)).toBe(11_000);
    expect(pause.until).toBe(11_000);
    expect(lines.map((line) => line.msg)).toEqual([
      'video API rate limited: pausing all polls',
      'video API rate limited: pausing all polls',
      'video API rate limited: pausing all polls',
    ]);
  });

  it('asks once, after a rate limit, for the backlog to be spread', () => {
    const pause = createRateLimitPause(timing, createCaptureLogger().logger);
    expect(pause.takeResume()).toBe(false);
    pause.pause(0, 5_000);
    expect(pause.takeResume()).toBe(true);
    expect(pause.takeResume()).toBe(false);
  });
});

describe('due queue', () => {
  it('serves tasks by due time, a Refresh first, and skips tasks that left the schedule', () => {
    const queue = createDueQueue();
    const a = queue.admit('a', 0, 1_000).task;
    const b = queue.admit('b', 0, 1_000).task;
    const c = queue.admit('c', 0, 1_000).task;
    queue.request(a, 300);
    queue.request(b, 100);
    queue.request(c, 200);
    queue.makeUrgent(a);
    queue.remove(c);
    expect(queue.nextDueAt()).toBe(-Infinity);
    expect(queue.popDue(250)?.taskId).toBe('a');
    expect(queue.popDue(250)?.taskId).toBe('b');
    expect(queue.popDue(250)).toBeUndefined();
    expect(queue.nextDueAt()).toBe(Infinity);
  });

  it('keeps a due time asked for while a poll runs until the poll settles', () => {
    const queue = createDueQueue();
    const { task, isNew } = queue.admit('a', 0, 1_000);
    expect(isNew).toBe(true);
    expect(queue.admit('a', 5, 1_000)).toEqual({ task, isNew: false });
    task.running = Promise.resolve(undefined);
    queue.markRunning(task);
    expect(queue.request(task, 500)).toBe(false);
    expect(queue.nextDueAt()).toBe(Infinity);
    task.running = undefined;
    queue.markSettled(task);
    queue.reinsert(task, 9_000); // what the poll's outcome asked for loses to the request
    expect(queue.nextDueAt()).toBe(500);
  });

  it('gives a task unscheduled mid-poll its history back when scheduled again, as new', () => {
    const queue = createDueQueue();
    const { task } = queue.admit('a', 0, 1_000);
    task.history.consecutiveUnchanged = 3;
    queue.markRunning(task);
    queue.remove(task);
    expect(queue.isScheduled(task)).toBe(false);
    const again = queue.admit('a', 10, 1_000);
    expect(again).toEqual({ task, isNew: true });
    expect(queue.isScheduled(task)).toBe(true);
    expect(again.task.history.consecutiveUnchanged).toBe(3);
  });

  it('spreads overdue tasks but keeps one a Refresh waits for urgent', () => {
    const queue = createDueQueue();
    const a = queue.admit('a', 0, 1_000).task;
    const b = queue.admit('b', 0, 1_000).task;
    const later = queue.admit('later', 0, 1_000).task;
    queue.request(a, 10);
    queue.request(b, 20);
    queue.request(later, 5_000);
    b.waiters.push(() => undefined);
    queue.spreadOverdue(100, (now) => now + 700);
    expect(queue.popDue(100)?.taskId).toBe('b');
    expect(queue.popDue(100)).toBeUndefined();
    expect(queue.nextDueAt()).toBe(800);
  });
});
