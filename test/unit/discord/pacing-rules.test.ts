import { describe, expect, it } from 'vitest';
import { newChannelState, type ChannelState } from '../../../src/discord/pacing/channel-state.js';
import { createChannelRegistry } from '../../../src/discord/pacing/channel-registry.js';
import type { PacedWrite, WritePriority } from '../../../src/discord/pacing/paced-write.js';
import {
  countFinish,
  countStart,
  createWindow,
  freeAt,
  nearlyFull,
  quietAt,
} from '../../../src/discord/pacing/sliding-window.js';
import { chooseWrite, type ChoiceRules } from '../../../src/discord/pacing/write-choice.js';
import { createWriteBook } from '../../../src/discord/pacing/write-book.js';

const HOUR = 3_600_000;

describe('sliding window', () => {
  it('frees a slot a window after the write that holds it finished, never while all slots run', () => {
    expect(() => createWindow({ limit: 0, windowMs: 1_000 })).toThrow(RangeError);
    const window = createWindow({ limit: 2, windowMs: 1_000 });
    expect(freeAt(window, 0)).toBe(0);
    countStart(window);
    countStart(window);
    expect(freeAt(window, 0)).toBe(Infinity);
    expect(quietAt(window)).toBe(Infinity);
    countFinish(window, 100);
    expect(freeAt(window, 200)).toBe(1_100);
    countFinish(window, 300);
    expect(freeAt(window, 1_100)).toBe(1_100); // the first finish has left the window
    expect(window.times).toEqual([300]);
    expect(quietAt(window)).toBe(1_300);
  });

  it('reports a window nearly full at 80 % of its limit, counting the write about to go', () => {
    const window = createWindow({ limit: 10, windowMs: 1_000 });
    for (let i = 0; i < 6; i++) countStart(window);
    expect(nearlyFull(window, 0)).toBe(false);
    countStart(window);
    expect(nearlyFull(window, 0)).toBe(true);
  });
});

describe('write choice', () => {
  const rules: ChoiceRules = { maxProgressWaitMs: 30_000, oldMessageAgeMs: HOUR, globalBusy: () => false };
  const perChannel = { limit: 5, windowMs: 5_000 };
  const oldMessage = { limit: 3, windowMs: 6_000 };

  function channelWith(
    writes: { key: string; priority: WritePriority; queuedAt: number; old?: boolean }[],
  ): ChannelState {
    const state = newChannelState('c1', perChannel, oldMessage);
    for (const { key, priority, queuedAt, old } of writes) {
      const write: PacedWrite = {
        channelId: 'c1',
        key,
        priority,
        ...(old ? { targetCreatedAt: -2 * HOUR } : {}),
        run: () => Promise.resolve(),
      };
      state.queues[priority].set(key, { write, queuedAt });
    }
    return state;
  }
  const chosen = (state: ChannelState, now: number, choiceRules = rules) =>
    chooseWrite(state, now, choiceRules).write?.write.key;

  it('goes by priority, first come first served within each', () => {
    const state = channelWith([
      { key: 'p1', priority: 'progress', queuedAt: 0 },
      { key: 'e1', priority: 'ending', queuedAt: 1 },
      { key: 'f2', priority: 'final', queuedAt: 3 },
      { key: 'f1', priority: 'final', queuedAt: 2 },
    ]);
    expect(chosen(state, 10)).toBe('f2');
    state.queues.final.clear();
    expect(chosen(state, 10)).toBe('e1');
  });

  it('lets a progress write that waited too long go first, unless the global budget is short', () => {
    const state = channelWith([
      { key: 'p1', priority: 'progress', queuedAt: 0 },
      { key: 'f1', priority: 'final', queuedAt: 1_000 },
    ]);
    expect(chosen(state, 29_999)).toBe('f1');
    expect(chosen(state, 30_000)).toBe('p1');
    expect(chosen(state, 30_000, { ...rules, globalBusy: () => true })).toBe('f1');
    state.progressWrittenAt = 10_000; // one jumped the queue lately
    expect(chosen(state, 30_000)).toBe('f1');
  });

  it('waits for a blocked or full channel, and holds back only old messages while their bucket is full', () => {
    const state = channelWith([
      { key: 'old', priority: 'final', queuedAt: 0, old: true },
      { key: 'new', priority: 'progress', queuedAt: 1 },
    ]);
    state.blockedUntil = 2_000;
    expect(chooseWrite(state, 0, rules)).toEqual({ retryAt: 2_000 });
    state.blockedUntil = -Infinity;
    for (let i = 0; i < 3; i++) {
      countStart(state.recentOld);
      countFinish(state.recentOld, 500);
    }
    expect(chosen(state, 1_000)).toBe('new');
    state.queues.progress.clear();
    expect(chooseWrite(state, 1_000, rules)).toEqual({ retryAt: 6_500 });
  });
});

describe('write book', () => {
  const write = (key: string, priority: WritePriority, channelId = 'c1'): PacedWrite => ({
    channelId,
    key,
    priority,
    run: () => Promise.resolve(),
  });

  it('coalesces by key: the latest write keeps the place and age of the one it replaces', () => {
    const channels = createChannelRegistry({ limit: 5, windowMs: 5_000 }, { limit: 3, windowMs: 6_000 });
    const book = createWriteBook(channels);
    const replaced: string[] = [];
    const dropReplaced = (old: PacedWrite) => replaced.push(`${old.key}/${old.priority}`);
    expect(book.enqueue(write('m1', 'progress'), 0, dropReplaced)).toBe(true);
    expect(book.enqueue(write('m1', 'progress'), 5, dropReplaced)).toBe(false);
    expect(book.enqueue(write('m1', 'final'), 9, dropReplaced)).toBe(true);
    expect(replaced).toEqual(['m1/progress', 'm1/progress']);
    const state = channels.channel('c1');
    expect([...state.queues.final.values()].map((queued) => queued.queuedAt)).toEqual([0]);
    expect(state.queues.progress.size).toBe(0);
    expect([book.queuedCount, book.queuedOf('final'), book.queuedOf('progress')]).toEqual([1, 1, 0]);
    expect(channels.ready.has(state)).toBe(true);
    expect(book.clear(() => undefined)).toBe(1);
    expect([book.queuedCount, book.queuedOf('final'), channels.ready.size]).toEqual([0, 0, 0]);
  });
});
