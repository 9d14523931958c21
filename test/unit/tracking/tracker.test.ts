import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTrackingStore, type TrackingStore } from '../../../src/store/index.js';
import { createTracker, type Tracker, type TrackRequest } from '../../../src/tracking/tracker.js';
import { VideoApiError } from '../../../src/video-api/errors.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import { queueStub, recordingPublisher, scriptedApi, snapshot } from './doubles.js';

/**
 * The tracking workflow with a real (memory) store, a scripted video API and a recording publisher:
 * what gets posted, edited and ended, independent of Discord.
 */

const request = (overrides: Partial<TrackRequest> = {}): TrackRequest => ({
  taskId: 'video_abc',
  channelId: '200000000000000001',
  guildId: '100000000000000001',
  requesterId: '300000000000000001',
  locale: 'en-US',
  requesterLocale: 'en-US',
  uploadLimitBytes: undefined,
  notify: false,
  ...overrides,
});

describe('tracker', () => {
  let clock: ManualClock;
  let store: TrackingStore;
  let api: ReturnType<typeof scriptedApi>;
  let pub: ReturnType<typeof recordingPublisher>;
  let queue: ReturnType<typeof queueStub>;
  let tracker: Tracker;
  const limits = {
    maxTasksPerUser: 2,
    maxTasksPerGuild: 3,
    idleTimeoutMs: 60 * 60_000,
    maxAgeMs: 24 * 60 * 60_000,
    resumeSpreadMs: 10_000,
    refreshCooldownMs: 5_000,
    deliveryGiveUpMs: 60 * 60_000,
  };

  beforeEach(async () => {
    clock = createManualClock();
    store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
    api = scriptedApi();
    pub = recordingPublisher();
    queue = queueStub();
    tracker = createTracker({
      store,
      videoApi: api.api,
      publisher: pub.publisher,
      clock,
      logger: pino({ level: 'silent' }),
      limits,
      random: () => 0.5,
    });
    tracker.attach(queue);
  });
  afterEach(() => store.close());

  it('posts one progress message, schedules polling, and answers a second track with the same message', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    const first = await tracker.track(request());
    expect(first.kind).toBe('tracked');
    expect(pub.created).toHaveLength(1);
    expect(queue.scheduled.has('video_abc')).toBe(true);

    const second = await tracker.track(request({ requesterId: '300000000000000009' }));
    expect(second.kind).toBe('already_tracked');
    expect(pub.created).toHaveLength(1);
    if (first.kind === 'tracked' && second.kind === 'already_tracked') {
      expect(second.subscription.messageId).toBe(first.subscription.messageId);
    }
  });

  it('asked again for a task an earlier try left off the index and the schedule, repairs both', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    // As a store outage between the subscription and the index would leave it, with nothing scheduled.
    await store.setActive('video_abc', false);
    queue.scheduled.clear();

    const again = await tracker.track(request());
    expect(again.kind).toBe('already_tracked');
    expect(await store.isActive('video_abc')).toBe(true);
    expect(await store.countActiveForUser(request().requesterId)).toBe(1);
    expect(queue.scheduled.has('video_abc')).toBe(true);
    expect(pub.created).toHaveLength(1);
  });

  it('a track that fails after recording the task still leaves it on the schedule', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    const failing = { ...pub.publisher, create: () => Promise.reject(new Error('store went away mid-post')) };
    const withFailingPost = createTracker({
      store,
      videoApi: api.api,
      publisher: failing,
      clock,
      logger: pino({ level: 'silent' }),
      limits,
      random: () => 0.5,
    });
    withFailingPost.attach(queue);
    await expect(withFailingPost.track(request())).rejects.toThrow('store went away mid-post');
    expect(queue.scheduled.has('video_abc')).toBe(true);
  });

  it('refuses an invalid id without asking the API, and tracks nothing for an unknown task', async () => {
    expect((await tracker.track(request({ taskId: '../etc/passwd' }))).kind).toBe('invalid_id');
    expect(api.calls).toEqual([]);

    await expect(tracker.track(request({ taskId: 'video_missing' }))).rejects.toMatchObject({
      kind: 'not_found',
    });
    expect(pub.created).toHaveLength(0);
    expect(await store.activeTaskIds()).toEqual([]);
    expect(await store.getSubscription('video_missing', request().channelId)).toBeUndefined();
  });

  it('keeps a failed edit to retry only while the task is polled, and nothing once it has left', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    pub.nextUpdate.push({ kind: 'failed' });
    api.answers.set(
      'video_abc',
      snapshot('video_abc', { status: 'in_progress', rawStatus: 'in_progress', progress: 40 }),
    );
    await tracker.poll('video_abc');
    await tracker.settled();
    expect(tracker.inMemory().republish).toBe(1);

    // The next poll writes it again even though nothing changed.
    await tracker.poll('video_abc');
    await tracker.settled();
    expect(pub.updates).toHaveLength(2);
    expect(tracker.inMemory().republish).toBe(0);

    pub.nextUpdate.push({ kind: 'failed' });
    api.answers.set(
      'video_abc',
      snapshot('video_abc', { status: 'in_progress', rawStatus: 'in_progress', progress: 60 }),
    );
    await tracker.poll('video_abc');
    await tracker.settled();
    expect(tracker.inMemory().republish).toBe(1);
    // The scheduler lets go of the task (untracked, ended elsewhere): its retry goes with it.
    tracker.forget('video_abc');
    expect(tracker.inMemory().republish).toBe(0);
  });

  it('edits only when something visible changed, and ends the task when it completes', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());

    expect(await tracker.poll('video_abc')).toBe('unchanged');
    expect(pub.updates).toHaveLength(0);

    api.answers.set(
      'video_abc',
      snapshot('video_abc', { status: 'in_progress', rawStatus: 'in_progress', progress: 40 }),
    );
    expect(await tracker.poll('video_abc')).toBe('changed');
    expect(pub.updates).toHaveLength(1);
    expect(pub.updates[0]?.final).toBe(false);

    api.answers.set(
      'video_abc',
      snapshot('video_abc', { status: 'completed', rawStatus: 'completed', progress: 100 }),
    );
    expect(await tracker.poll('video_abc')).toBe('terminal');
    expect(pub.updates.at(-1)).toMatchObject({
      final: true,
      task: { state: 'ended', endReason: 'completed' },
    });
    expect(await store.activeTaskIds()).toEqual([]);
    expect(queue.scheduled.has('video_abc')).toBe(false);
  });

  it('keeps a task whose final state could not be shown, and shows it on the next poll', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    api.answers.set('video_abc', snapshot('video_abc', { status: 'failed', rawStatus: 'failed' }));
    pub.nextUpdate.push({ kind: 'failed' });
    expect(await tracker.poll('video_abc')).toBe('unchanged');
    expect(await store.activeTaskIds()).toEqual(['video_abc']);
    api.calls.length = 0;

    expect(await tracker.poll('video_abc')).toBe('terminal');
    expect(api.calls).toEqual([]); // an ended task is not asked about again
    expect(pub.updates.at(-1)).toMatchObject({ final: true, task: { endReason: 'failed' } });
    expect(await store.activeTaskIds()).toEqual([]);
  });

  it('polls a task tracked in two channels once and updates both messages', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    await tracker.track(request({ channelId: '200000000000000002' }));
    expect(pub.created).toHaveLength(2);
    api.calls.length = 0;

    api.answers.set(
      'video_abc',
      snapshot('video_abc', { status: 'in_progress', rawStatus: 'in_progress', progress: 10 }),
    );
    await tracker.poll('video_abc');
    await tracker.settled();
    expect(api.calls).toEqual(['video_abc']);
    expect(pub.updates.map((u) => u.sub.channelId).sort()).toEqual([
      '200000000000000001',
      '200000000000000002',
    ]);
  });

  it('keeps a task through a brief "not found", showing its last reading, until a reading comes back', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    await clock.advance(10 * 60_000);

    api.answers.delete('video_abc');
    await expect(tracker.poll('video_abc')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(tracker.poll('video_abc')).rejects.toMatchObject({ kind: 'not_found' });
    await tracker.settled();
    expect(pub.updates).toEqual([]); // nothing flashed "not found"
    expect(await store.activeTaskIds()).toEqual(['video_abc']);
    expect((await store.getTask('video_abc'))?.notFound).toEqual({ since: clock.now(), count: 2 });

    api.answers.set(
      'video_abc',
      snapshot('video_abc', { status: 'in_progress', rawStatus: 'in_progress', progress: 40 }),
    );
    expect(await tracker.poll('video_abc')).toBe('changed');
    expect((await store.getTask('video_abc'))?.notFound).toBeUndefined();
  });

  it('ends a task whose "not found" persists past the grace, counting on across a restart', async () => {
    // No record cache: what a restarted process reads is what the store kept.
    const kept = await createTrackingStore({
      url: 'memory://',
      logger: pino({ level: 'silent' }),
      maxCachedRecords: 0,
    });
    const start = () =>
      createTracker({
        store: kept,
        videoApi: api.api,
        publisher: pub.publisher,
        clock,
        logger: pino({ level: 'silent' }),
        limits,
      });
    const before = start();
    api.answers.set('video_abc', snapshot('video_abc'));
    await before.track(request());
    await clock.advance(10 * 60_000);
    api.answers.delete('video_abc');
    await expect(before.poll('video_abc')).rejects.toMatchObject({ kind: 'not_found' });
    await clock.advance(60_000);
    await expect(before.poll('video_abc')).rejects.toMatchObject({ kind: 'not_found' });

    const after = start();
    await clock.advance(60_000);
    expect(await after.poll('video_abc')).toBe('terminal');
    expect((await kept.getTask('video_abc'))?.endReason).toBe('not_found');
    expect(pub.updates.map((u) => [u.final, u.task.endReason])).toEqual([[true, 'not_found']]);
    await kept.close();
  });

  it('ends a task that shows no change for too long', async () => {
    api.answers.set('video_idle', snapshot('video_idle'));
    await tracker.track(request({ taskId: 'video_idle' }));
    await clock.advance(limits.idleTimeoutMs);
    expect(await tracker.poll('video_idle')).toBe('terminal');
    expect((await store.getTask('video_idle'))?.endReason).toBe('idle_timeout');
  });

  it('keeps a task through an outage and rethrows so the scheduler backs off', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    api.answers.set('video_abc', new VideoApiError({ kind: 'transient', message: 'down', status: 502 }));
    await expect(tracker.poll('video_abc')).rejects.toMatchObject({ kind: 'transient' });
    expect(await store.activeTaskIds()).toEqual(['video_abc']);
  });

  it('enforces the per-user and per-guild limits', async () => {
    for (const id of ['video_1', 'video_2', 'video_3', 'video_4']) api.answers.set(id, snapshot(id));
    expect((await tracker.track(request({ taskId: 'video_1' }))).kind).toBe('tracked');
    expect((await tracker.track(request({ taskId: 'video_2' }))).kind).toBe('tracked');
    expect(await tracker.track(request({ taskId: 'video_3' }))).toEqual({ kind: 'user_limit', limit: 2 });
    expect(
      (await tracker.track(request({ taskId: 'video_3', requesterId: '300000000000000002' }))).kind,
    ).toBe('tracked');
    expect(await tracker.track(request({ taskId: 'video_4', requesterId: '300000000000000003' }))).toEqual({
      kind: 'guild_limit',
      limit: 3,
    });
  });

  it('stops updating a channel whose message was deleted, and stops polling when nobody watches', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    pub.nextUpdate.push({ kind: 'message_deleted' });
    api.answers.set(
      'video_abc',
      snapshot('video_abc', { status: 'in_progress', rawStatus: 'in_progress', progress: 5 }),
    );
    await tracker.poll('video_abc');
    await tracker.settled();
    expect(await store.getSubscription('video_abc', request().channelId)).toBeUndefined();
    expect(await store.activeTaskIds()).toEqual([]);
    expect(queue.scheduled.has('video_abc')).toBe(false);
  });

  it('untrack shows who stopped it and forgets the channel', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    const result = await tracker.untrack('video_abc', request().channelId, '300000000000000042');
    expect(result.kind).toBe('untracked');
    expect(pub.updates.at(-1)).toMatchObject({
      final: true,
      sub: { state: 'stopped', stoppedBy: '300000000000000042' },
    });
    expect(await tracker.listChannel(request().channelId)).toEqual([]);
    expect((await tracker.untrack('video_abc', request().channelId, 'x')).kind).toBe('not_tracked');
  });

  it('a failed post leaves nothing tracked', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    pub.createOutcomes.push({ kind: 'channel_lost' });
    expect((await tracker.track(request())).kind).toBe('channel_lost');
    expect(await store.activeTaskIds()).toEqual([]);
    expect(await tracker.listChannel(request().channelId)).toEqual([]);
  });

  it('resume re-creates a message whose create did not finish (same nonce) and reschedules the task', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    // Simulate a crash between posting and recording the message id.
    const sub = (await store.getSubscription('video_abc', request().channelId))!;
    const { messageId: _dropped, ...withoutMessage } = sub;
    await store.putSubscription(withoutMessage);

    const resumedQueue = queueStub();
    const result = await tracker.resume(resumedQueue);
    expect(result).toEqual({ resumed: 1, finished: 0 });
    expect(pub.created.at(-1)?.nonce).toBe(sub.nonce);
    expect(resumedQueue.scheduled.has('video_abc')).toBe(true);
    expect((await store.getSubscription('video_abc', request().channelId))?.messageId).toBeDefined();
  });

  it('resume finishes a task that was ended but not yet shown as ended', async () => {
    api.answers.set('video_abc', snapshot('video_abc'));
    await tracker.track(request());
    const task = (await store.getTask('video_abc'))!;
    await store.putTask({ ...task, state: 'ended', endReason: 'failed' });

    const resumedQueue = queueStub();
    expect(await tracker.resume(resumedQueue)).toEqual({ resumed: 0, finished: 1 });
    expect(pub.updates.at(-1)).toMatchObject({ final: true, task: { endReason: 'failed' } });
    expect(await store.activeTaskIds()).toEqual([]);
    expect(resumedQueue.scheduled.size).toBe(0);
  });
});
