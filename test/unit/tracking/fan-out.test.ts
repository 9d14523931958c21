import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTrackingStore, type TaskRecord, type TrackingStore } from '../../../src/store/index.js';
import { createTrackerContext, type TrackerContext } from '../../../src/tracking/context.js';
import { fanOut } from '../../../src/tracking/fan-out.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { limits, queueStub, recordingPublisher, scriptedApi, seedTrackedTask, snapshot } from './doubles.js';

/** One reading of a task written to every channel that follows it. */

const A = '200000000000000001';
const B = '200000000000000002';
const C = '200000000000000003';

describe('fan-out', () => {
  let store: TrackingStore;
  let pub: ReturnType<typeof recordingPublisher>;
  let queue: ReturnType<typeof queueStub>;
  let ctx: TrackerContext;
  let task: TaskRecord;

  beforeEach(async () => {
    const clock = createManualClock();
    store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
    pub = recordingPublisher();
    queue = queueStub();
    ctx = createTrackerContext({
      store,
      videoApi: scriptedApi().api,
      publisher: pub.publisher,
      clock,
      logger: pino({ level: 'silent' }),
      limits,
    });
    ctx.queue = queue;
    task = await seedTrackedTask(store, { id: 'video_abc', channelIds: [A, B, C], now: clock.now() });
    queue.scheduled.add(task.id);
  });
  afterEach(() => store.close());

  /** The task with a reading people would see as a change. */
  const progressed = (progress: number): TaskRecord => ({
    ...task,
    snapshot: snapshot(task.id, { status: 'in_progress', rawStatus: 'in_progress', progress }),
  });

  async function show(next: TaskRecord, changed: boolean): Promise<void> {
    expect(await fanOut(ctx, next, changed, false)).toBe(true);
    await ctx.background.settled();
  }

  const writtenTo = () => pub.updates.map((update) => update.sub.channelId).sort();

  it('writes one reading to every channel that follows the task, and records what each now shows', async () => {
    const next = progressed(40);
    await show(next, true);
    expect(writtenTo()).toEqual([A, B, C]);
    expect(pub.updates.every((update) => update.task === next && !update.final)).toBe(true);
    const hashes = await Promise.all([A, B, C].map((id) => store.getSubscription(task.id, id)));
    expect(hashes.map((sub) => sub?.lastRenderedHash).sort()).toEqual(['h1', 'h2', 'h3']);
  });

  it('writes nothing for a reading that changes nothing people see', async () => {
    await show(progressed(0), false);
    expect(pub.updates).toEqual([]);
  });

  it('leaves out channels the task no longer follows and stopped subscriptions', async () => {
    const sub = await store.getSubscription(task.id, C);
    await store.putSubscription({ ...sub!, state: 'stopped' });
    await show({ ...progressed(40), channelIds: [A, C] }, true);
    expect(writtenTo()).toEqual([A]);
  });

  it('writes again, with the next reading, only to the channel whose write failed', async () => {
    pub.byChannel.set(B, { kind: 'failed' });
    await show(progressed(40), true);
    expect(writtenTo()).toEqual([A, B, C]);

    pub.byChannel.clear();
    pub.updates.length = 0;
    await show(progressed(40), false);
    expect(writtenTo()).toEqual([B]);

    pub.updates.length = 0;
    await show(progressed(40), false);
    expect(writtenTo()).toEqual([]);
  });

  it('drops a channel whose message was deleted and goes on with the others', async () => {
    pub.byChannel.set(B, { kind: 'message_deleted' });
    await show(progressed(40), true);
    expect(await store.getSubscription(task.id, B)).toBeUndefined();
    expect(await store.getTask(task.id)).toMatchObject({ state: 'active', channelIds: [A, C] });
    expect(await store.activeTaskIds()).toEqual([task.id]);

    pub.byChannel.clear();
    pub.updates.length = 0;
    await show({ ...progressed(50), channelIds: [A, C] }, true);
    expect(writtenTo()).toEqual([A, C]);
  });

  it('stops tracking a task once every channel that followed it is gone', async () => {
    for (const channel of [A, B, C]) pub.byChannel.set(channel, { kind: 'channel_lost' });
    await show(progressed(40), true);
    expect(await store.subscriptionsOf(task.id)).toEqual([]);
    expect(await store.getTask(task.id)).toMatchObject({
      state: 'ended',
      endReason: 'untracked',
      channelIds: [],
    });
    expect(await store.activeTaskIds()).toEqual([]);
    expect(queue.scheduled.has(task.id)).toBe(false);
  });

  it('awaits a final state everywhere, and answers false when a channel could not show it', async () => {
    const ended: TaskRecord = { ...task, state: 'ended', endReason: 'completed' };
    expect(await ctx.locks.run(task.id, () => fanOut(ctx, ended, true, true))).toBe(true);
    expect(pub.updates.map((update) => update.final)).toEqual([true, true, true]);

    pub.byChannel.set(C, { kind: 'failed' });
    expect(await ctx.locks.run(task.id, () => fanOut(ctx, ended, true, true))).toBe(false);
  });
});
