import { describe, expect, it } from 'vitest';
import type { SubscriptionRecord, TaskRecord } from '../../../src/store/index.js';
import {
  applySnapshot,
  deadlineReason,
  deliveryGivenUp,
  endingVerdict,
  endReasonAfterPoll,
  isDelivered,
  isUnposted,
  terminalReason,
  visiblyDifferent,
  withKnownFacts,
} from '../../../src/tracking/rules.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';
import { limits, snapshot } from './doubles.js';

/** The tracker's decisions that need no I/O. */

const NOW = Date.UTC(2026, 0, 1);

const task = (overrides: Partial<TaskRecord> = {}): TaskRecord => ({
  v: 1,
  id: 'video_abc',
  state: 'active',
  snapshot: snapshot('video_abc'),
  trackedAt: NOW - 60_000,
  lastChangeAt: NOW - 10_000,
  lastPolledAt: NOW - 5_000,
  channelIds: ['200000000000000001'],
  ...overrides,
});

describe('visiblyDifferent', () => {
  const before = snapshot('video_abc', { status: 'in_progress', rawStatus: 'in_progress', progress: 40.2 });

  it('sees every first reading as a change', () => {
    expect(visiblyDifferent(undefined, before)).toBe(true);
  });

  it('ignores what the message does not show: a fraction of a percent, the status stamp', () => {
    expect(visiblyDifferent(before, { ...before, progress: 40.9 })).toBe(false);
    expect(visiblyDifferent(before, { ...before, statusUpdatedAt: new Date(NOW) })).toBe(false);
  });

  it.each<[string, Partial<VideoSnapshot>]>([
    ['status', { status: 'completed' }],
    ['raw status', { rawStatus: 'processing' }],
    ['a whole percent', { progress: 41 }],
    ['queue position', { queuePosition: 3 }],
    ['estimated wait', { estimatedWaitSeconds: 90 }],
    ['video url', { videoUrl: 'https://example.test/v.mp4' }],
    ['failure reason', { failure: { reason: 'blocked', moderation: true } }],
    ['model', { model: 'sora-2-pro' }],
    ['size', { size: '720x1280' }],
    ['duration', { durationSeconds: 12 }],
    ['prompt', { prompt: 'another prompt' }],
  ])('sees a change of %s', (_name, change) => {
    expect(visiblyDifferent(before, { ...before, ...change })).toBe(true);
  });
});

describe('withKnownFacts', () => {
  it('keeps the facts an earlier reading gave when the new one leaves them out', () => {
    const earlier = snapshot('video_abc', { prompt: 'a cat', model: 'sora-2', enhancedPrompt: 'a fine cat' });
    const later = snapshot('video_abc', {
      status: 'completed',
      prompt: undefined,
      model: undefined,
      enhancedPrompt: undefined,
      size: undefined,
      durationSeconds: undefined,
      createdAt: undefined,
    });
    expect(withKnownFacts(earlier, later)).toMatchObject({
      status: 'completed',
      prompt: 'a cat',
      model: 'sora-2',
      enhancedPrompt: 'a fine cat',
      size: earlier.size,
      durationSeconds: earlier.durationSeconds,
      createdAt: earlier.createdAt,
    });
  });

  it('lets a new reading override a fact, and takes a first reading as it is', () => {
    const earlier = snapshot('video_abc', { model: 'sora-2' });
    expect(withKnownFacts(earlier, snapshot('video_abc', { model: 'sora-2-pro' })).model).toBe('sora-2-pro');
    const first = snapshot('video_abc', { prompt: undefined });
    expect(withKnownFacts(undefined, first)).toBe(first);
  });
});

describe('a task after a poll', () => {
  it('moves lastChangeAt only when people see a change', () => {
    const before = task();
    const same = applySnapshot(before, { ...before.snapshot! }, NOW);
    expect(same.changed).toBe(false);
    expect(same.next).toMatchObject({ lastPolledAt: NOW, lastChangeAt: before.lastChangeAt });

    const moved = applySnapshot(before, { ...before.snapshot!, progress: 50 }, NOW);
    expect(moved.changed).toBe(true);
    expect(moved.next).toMatchObject({ lastPolledAt: NOW, lastChangeAt: NOW, snapshot: { progress: 50 } });
  });

  it('ends on a terminal status, and only then', () => {
    expect(terminalReason('completed')).toBe('completed');
    expect(terminalReason('failed')).toBe('failed');
    expect(terminalReason('queued')).toBeUndefined();
    expect(terminalReason('in_progress')).toBeUndefined();
  });

  it('gives up a task tracked too long or idle too long, age first', () => {
    expect(deadlineReason(task(), NOW, limits)).toBeUndefined();
    expect(deadlineReason(task({ trackedAt: NOW - limits.maxAgeMs }), NOW, limits)).toBe('max_age');
    expect(deadlineReason(task({ lastChangeAt: NOW - limits.idleTimeoutMs }), NOW, limits)).toBe(
      'idle_timeout',
    );
    const both = task({ trackedAt: NOW - limits.maxAgeMs, lastChangeAt: NOW - limits.idleTimeoutMs });
    expect(deadlineReason(both, NOW, limits)).toBe('max_age');
  });

  it('names the status before a deadline when both apply', () => {
    const expired = task({ trackedAt: NOW - limits.maxAgeMs });
    expect(endReasonAfterPoll(expired, NOW, limits)).toBe('max_age');
    const completed = { ...expired, snapshot: snapshot('video_abc', { status: 'completed' }) };
    expect(endReasonAfterPoll(completed, NOW, limits)).toBe('completed');
    expect(endReasonAfterPoll(task(), NOW, limits)).toBeUndefined();
  });
});

describe('an ended task', () => {
  const ended = task({ state: 'ended', endReason: 'completed' });

  it('is delivered once delivery finished, when there is no delivery, or when it was untracked', () => {
    expect(isDelivered(ended, true)).toBe(false);
    expect(isDelivered(undefined, true)).toBe(false);
    expect(isDelivered({ ...ended, delivery: { finishedAt: NOW } }, true)).toBe(true);
    expect(isDelivered(ended, false)).toBe(true);
    expect(isDelivered({ ...ended, endReason: 'untracked' }, true)).toBe(true);
  });

  it('is given up once delivery has failed for the give-up time since it started (or the last poll)', () => {
    const giveUp = limits.deliveryGiveUpMs;
    const started = { ...ended, delivery: { startedAt: NOW - giveUp } };
    expect(deliveryGivenUp(started, NOW, giveUp)).toBe(true);
    expect(deliveryGivenUp(started, NOW - 1, giveUp)).toBe(false);
    expect(deliveryGivenUp({ ...ended, lastPolledAt: NOW - giveUp }, NOW, giveUp)).toBe(true);
    expect(deliveryGivenUp({ ...ended, lastPolledAt: undefined }, NOW, giveUp)).toBe(false);
  });

  it('finishes when delivered and shown, is given up when delivery is, and is retried otherwise', () => {
    expect(endingVerdict({ shown: true, delivered: true, givenUp: false })).toBe('finished');
    expect(endingVerdict({ shown: true, delivered: true, givenUp: true })).toBe('finished');
    expect(endingVerdict({ shown: false, delivered: true, givenUp: false })).toBe('retry');
    expect(endingVerdict({ shown: true, delivered: false, givenUp: false })).toBe('retry');
    expect(endingVerdict({ shown: false, delivered: false, givenUp: true })).toBe('given_up');
  });
});

describe('isUnposted', () => {
  const sub = (overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
    v: 1,
    taskId: 'video_abc',
    channelId: '200000000000000001',
    requesterId: '300000000000000001',
    nonce: 'n',
    notifyUserIds: [],
    locale: 'en-US',
    requesterLocale: 'en-US',
    createdAt: NOW,
    state: 'active',
    ...overrides,
  });

  it('is an active subscription of a channel the task follows, with no message yet', () => {
    expect(isUnposted(sub(), task())).toBe(true);
    expect(isUnposted(sub({ messageId: '900000000000000001' }), task())).toBe(false);
    expect(isUnposted(sub({ state: 'stopped' }), task())).toBe(false);
    expect(isUnposted(sub(), task({ channelIds: [] }))).toBe(false);
  });
});
