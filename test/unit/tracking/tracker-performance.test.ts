import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTrackingStore,
  type SubscriptionRecord,
  type TaskRecord,
  type TrackingStore,
} from '../../../src/store/index.js';
import {
  createTracker,
  type ProgressPublisher,
  type PublishOutcome,
  type Tracker,
  type TrackerOptions,
} from '../../../src/tracking/tracker.js';
import type { VideoApiClient } from '../../../src/video-api/client.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';
import { snapshot as baseSnapshot } from '../render/fixtures.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';

/**
 * What keeps 10,000 tasks cheap (docs/performance.md#what-makes-the-difference): a restart reads records in batches and aims each first poll,
 * a poll that changes nothing reads nothing more, and a task whose end waits for Discord does not hold
 * its poll.
 */

const CHANNEL = '200000000000000001';
const limits = {
  maxTasksPerUser: 100,
  maxTasksPerGuild: 10_000,
  idleTimeoutMs: 60 * 60_000,
  maxAgeMs: 24 * 60 * 60_000,
  resumeSpreadMs: 10_000,
  refreshCooldownMs: 5_000,
  deliveryGiveUpMs: 60 * 60_000,
};

const snapshot = (id: string, overrides: Partial<VideoSnapshot> = {}) =>
  baseSnapshot({ id, status: 'in_progress', rawStatus: 'in_progress', progress: 10, ...overrides });

/** Counts calls of the store methods named, passing them through. */
function countingStore(store: TrackingStore, counts: Record<string, number>): TrackingStore {
  const wrapped = { ...store } as Record<string, unknown>;
  for (const name of Object.keys(counts)) {
    const original = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!;
    wrapped[name] = (...args: unknown[]) => {
      counts[name]! += 1;
      return original(...args);
    };
  }
  return wrapped as unknown as TrackingStore;
}

/** Lets promise chains run until `condition` holds (bounded: no sleeping). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

async function saveTask(store: TrackingStore, id: string, now: number): Promise<void> {
  const task: TaskRecord = {
    v: 1,
    id,
    state: 'active',
    snapshot: snapshot(id, { statusUpdatedAt: new Date(now - 5_000) }),
    trackedAt: now - 60_000,
    lastChangeAt: now - 5_000,
    channelIds: [CHANNEL],
  };
  const sub: SubscriptionRecord = {
    v: 1,
    taskId: id,
    channelId: CHANNEL,
    requesterId: '300000000000000001',
    nonce: `n${id}`.slice(0, 25),
    notifyUserIds: [],
    locale: 'en-US',
    requesterLocale: 'en-US',
    createdAt: now - 60_000,
    state: 'active',
    messageId: `9${id.replace(/\D/g, '').padStart(17, '0')}`,
    lastRenderedHash: 'shown',
  };
  await store.putTask(task);
  await store.putSubscription(sub);
  await store.setActive(id, true, { userId: sub.requesterId });
}

describe('tracker at scale', () => {
  let clock: ManualClock;
  let store: TrackingStore;
  let answers: Map<string, VideoSnapshot>;
  let updates: { task: TaskRecord; final: boolean; settle: (outcome: PublishOutcome) => void }[];
  let scheduled: Map<string, number | undefined>;

  const api = (): VideoApiClient => ({
    getVideo: (id) => Promise.resolve(answers.get(id)!),
    downloadVideo: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  });
  /** A publisher whose edits land when the test says so, as when Discord's budget is short. */
  const publisher: ProgressPublisher = {
    create: () => Promise.reject(new Error('not used')),
    update: (_sub, task, { final }) => new Promise((settle) => updates.push({ task, final, settle })),
  };
  const queue = {
    schedule: (id: string, options?: { dueAt?: number }) => void scheduled.set(id, options?.dueAt),
    unschedule: (id: string) => void scheduled.delete(id),
    pollNow: () => Promise.resolve(undefined),
  };

  function tracker(overrides: Partial<TrackerOptions> = {}): Tracker {
    const created = createTracker({
      store,
      videoApi: api(),
      publisher,
      clock,
      logger: pino({ level: 'silent' }),
      limits,
      random: () => 0.5,
      ...overrides,
    });
    created.attach(queue);
    return created;
  }

  beforeEach(async () => {
    clock = createManualClock();
    store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
    answers = new Map();
    updates = [];
    scheduled = new Map();
  });
  afterEach(() => store.close());

  it('resumes 1,000 tasks from batched reads, first polling each when firstPollAt says', async () => {
    const now = clock.now();
    for (let i = 0; i < 1_000; i++) await saveTask(store, `task_${i}`, now);
    const counts = { getTask: 0, getTasks: 0 };
    const aimedAt = (task: TaskRecord) => task.snapshot!.statusUpdatedAt!.getTime() + 15_500;
    const resumed = await tracker({
      store: countingStore(store, counts),
      firstPollAt: (task) => aimedAt(task),
    }).resume(queue);

    expect(resumed).toEqual({ resumed: 1_000, finished: 0 });
    expect(counts.getTask).toBe(0);
    expect(counts.getTasks).toBeLessThanOrEqual(10);
    expect(scheduled.size).toBe(1_000);
    for (const dueAt of scheduled.values()) expect(dueAt).toBe(now - 5_000 + 15_500);
  });

  it('reads no subscriptions for a poll that changes nothing people see', async () => {
    const now = clock.now();
    await saveTask(store, 'task_1', now);
    answers.set('task_1', snapshot('task_1', { statusUpdatedAt: new Date(now) }));
    const counts = { subscriptionsOf: 0 };
    const subject = tracker({ store: countingStore(store, counts) });

    expect(await subject.poll('task_1')).toBe('unchanged');
    expect(counts.subscriptionsOf).toBe(0);
    expect(updates).toHaveLength(0);
  });

  it('does not hold a poll while Discord is too busy to show a task’s end; the task leaves once shown', async () => {
    const now = clock.now();
    await saveTask(store, 'task_1', now);
    answers.set('task_1', snapshot('task_1', { status: 'completed', rawStatus: 'completed', progress: 100 }));
    const subject = tracker();
    let apiDone = 0;

    const polling = subject.poll('task_1', undefined, () => (apiDone += 1));
    await until(() => updates.length === 1 && clock.pending() > 0);
    expect(apiDone).toBe(1); // the scheduler's slot was handed on before the end was shown
    expect(updates[0]).toMatchObject({ final: true, task: { state: 'ended', endReason: 'completed' } });

    await clock.advance(2_000);
    expect(await Promise.race([polling, Promise.resolve('still waiting')])).toBe('terminal');
    expect(await store.activeTaskIds()).toEqual(['task_1']); // not gone before it is shown

    updates[0]!.settle({ kind: 'published', hash: 'final' });
    await subject.settled();
    expect(await store.activeTaskIds()).toEqual([]);
    expect(scheduled.has('task_1')).toBe(false);
  });

  it('polls again later for a task whose end could not be shown once Discord answered', async () => {
    const now = clock.now();
    await saveTask(store, 'task_1', now);
    answers.set('task_1', snapshot('task_1', { status: 'failed', rawStatus: 'failed' }));
    const subject = tracker();

    const polling = subject.poll('task_1');
    await until(() => updates.length === 1 && clock.pending() > 0);
    await clock.advance(2_000);
    expect(await polling).toBe('terminal');
    updates[0]!.settle({ kind: 'failed' });
    await subject.settled();

    expect(await store.activeTaskIds()).toEqual(['task_1']);
    expect(scheduled.get('task_1')).toBe(clock.now() + limits.resumeSpreadMs);
  });
});
