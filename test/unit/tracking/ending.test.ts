import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../../src/delivery/delivery.js';
import { createTrackingStore, type TaskRecord, type TrackingStore } from '../../../src/store/index.js';
import { createTrackerContext, type TrackerContext } from '../../../src/tracking/context.js';
import { endTask, FINAL_GRACE_MS, finishEnding } from '../../../src/tracking/ending.js';
import type { ProgressPublisher, PublishOutcome } from '../../../src/tracking/tracker.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import { limits, queueStub, recordingPublisher, scriptedApi, seedTrackedTask } from './doubles.js';

/**
 * A task's end on its own: the end recorded, the result delivered, the final state shown in every
 * channel (waiting a short grace for it), and only then the task out of the active index.
 */

const A = '200000000000000001';
const B = '200000000000000002';

/** Delivery that records what it was handed and, unless told otherwise, finishes at once. */
function recordingDelivery(store: TrackingStore, clock: ManualClock) {
  const handed: TaskRecord[] = [];
  const abandoned: string[] = [];
  const state = { finishes: true };
  const delivery: Delivery = {
    async deliver(task) {
      handed.push(task);
      if (!state.finishes) return;
      const latest = (await store.getTask(task.id)) ?? task;
      await store.putTask({ ...latest, delivery: { ...latest.delivery, finishedAt: clock.now() } });
    },
    abandon(task) {
      abandoned.push(task.id);
      return Promise.resolve();
    },
  };
  return { delivery, handed, abandoned, state };
}

/** A publisher whose edits land when the test says so, as when Discord's budget is short. */
function heldPublisher() {
  const held: { channelId: string; land: (outcome: PublishOutcome) => void }[] = [];
  const publisher: ProgressPublisher = {
    create: () => Promise.reject(new Error('not used')),
    update: (sub) => new Promise((land) => held.push({ channelId: sub.channelId, land })),
  };
  return { publisher, held };
}

/** Lets promise chains run until `condition` holds (bounded: no sleeping). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

describe('ending', () => {
  let clock: ManualClock;
  let store: TrackingStore;
  let queue: ReturnType<typeof queueStub>;
  let delivery: ReturnType<typeof recordingDelivery>;
  let task: TaskRecord;

  function context(publisher: ProgressPublisher): TrackerContext {
    const ctx = createTrackerContext({
      store,
      videoApi: scriptedApi().api,
      publisher,
      clock,
      logger: pino({ level: 'silent' }),
      limits,
      delivery: delivery.delivery,
    });
    ctx.queue = queue;
    return ctx;
  }

  /** Ends the task as a poll does: under its lock. */
  const end = (ctx: TrackerContext) => ctx.locks.run(task.id, () => endTask(ctx, task, 'completed'));

  beforeEach(async () => {
    clock = createManualClock();
    store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
    queue = queueStub();
    delivery = recordingDelivery(store, clock);
    task = await seedTrackedTask(store, { id: 'video_abc', channelIds: [A, B], now: clock.now() });
    queue.scheduled.add(task.id);
  });
  afterEach(() => store.close());

  it('records the end, delivers, shows the final state with the delivery, then leaves the active index', async () => {
    const pub = recordingPublisher();
    expect(await end(context(pub.publisher))).toBe(true);

    expect(delivery.handed).toHaveLength(1);
    expect(delivery.handed[0]).toMatchObject({ state: 'ended', endReason: 'completed' });
    expect(pub.updates.map((update) => update.sub.channelId).sort()).toEqual([A, B]);
    for (const update of pub.updates) {
      expect(update.final).toBe(true);
      expect(update.task.delivery?.finishedAt).toBe(clock.now());
    }
    expect(await store.activeTaskIds()).toEqual([]);
    expect(queue.scheduled.has(task.id)).toBe(false);
    // Out of the channels' lists, but remembered: tracking it again links the message that shows the end.
    expect(await store.channelTaskIds(A)).toEqual([]);
    expect(await store.getSubscription(task.id, A)).toMatchObject({ state: 'active' });
  });

  it('posts the message a crash left unposted before delivering, so that channel gets its result too', async () => {
    const sub = (await store.getSubscription(task.id, B))!;
    const { messageId: _lost, ...unposted } = sub;
    await store.putSubscription(unposted);
    const pub = recordingPublisher();
    expect(await end(context(pub.publisher))).toBe(true);
    expect(pub.created.map((created) => created.nonce)).toEqual([sub.nonce]);
    expect(pub.updates.map((update) => update.sub.channelId).sort()).toEqual([A, B]);
  });

  it('stays active while delivery is unfinished, and gives it up after the give-up time', async () => {
    delivery.state.finishes = false;
    const ctx = context(recordingPublisher().publisher);
    expect(await end(ctx)).toBe(false);
    expect(await store.activeTaskIds()).toEqual([task.id]);
    expect(queue.scheduled.has(task.id)).toBe(true);

    await clock.advance(limits.deliveryGiveUpMs - 1);
    const ended = (await store.getTask(task.id))!;
    expect(await ctx.locks.run(task.id, () => finishEnding(ctx, ended))).toBe(false);
    expect(delivery.abandoned).toEqual([]);

    await clock.advance(1);
    expect(await ctx.locks.run(task.id, () => finishEnding(ctx, ended))).toBe(true);
    expect(delivery.handed).toHaveLength(3);
    expect(await store.activeTaskIds()).toEqual([]);
    // What delivery kept for the task (its downloaded file) is let go.
    expect(delivery.abandoned).toEqual([task.id]);
  });

  it('stays active when the final state could not be shown, though delivered', async () => {
    const pub = recordingPublisher();
    pub.byChannel.set(B, { kind: 'failed' });
    expect(await end(context(pub.publisher))).toBe(false);
    expect(await store.activeTaskIds()).toEqual([task.id]);
  });

  it('does not hold the poll past the grace while Discord is slow to show the end; the task leaves once shown', async () => {
    const pub = heldPublisher();
    const ctx = context(pub.publisher);
    const ending = end(ctx);
    await until(() => pub.held.length === 2);
    expect(await Promise.race([ending, Promise.resolve('waiting')])).toBe('waiting');

    await clock.advance(FINAL_GRACE_MS);
    expect(await ending).toBe(true);
    expect(await store.activeTaskIds()).toEqual([task.id]); // not gone before it is shown

    for (const edit of pub.held) edit.land({ kind: 'published', hash: 'final' });
    await ctx.background.settled();
    expect(await store.activeTaskIds()).toEqual([]);
    expect(queue.scheduled.has(task.id)).toBe(false);
  });

  it('polls the task again when the slow final edit then fails', async () => {
    const pub = heldPublisher();
    const ctx = context(pub.publisher);
    const ending = end(ctx);
    await until(() => pub.held.length === 2);
    await clock.advance(FINAL_GRACE_MS);
    expect(await ending).toBe(true);

    queue.scheduled.clear();
    pub.held[0]?.land({ kind: 'published', hash: 'final' });
    pub.held[1]?.land({ kind: 'failed' });
    await ctx.background.settled();
    expect(await store.activeTaskIds()).toEqual([task.id]);
    expect(queue.scheduled.has(task.id)).toBe(true);
  });
});
