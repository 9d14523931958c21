import pino from 'pino';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createDelivery, type Delivery, type ResultPublisher } from '../../src/delivery/delivery.js';
import {
  createTrackingStore,
  type SubscriptionRecord,
  type TaskRecord,
  type TrackingStore,
} from '../../src/store/index.js';
import {
  createTracker,
  type ProgressPublisher,
  type PublishOutcome,
  type Tracker,
  type TrackRequest,
} from '../../src/tracking/tracker.js';
import type { VideoApiClient } from '../../src/video-api/client.js';
import type { VideoSnapshot } from '../../src/domain/video.js';
import { snapshot as baseSnapshot } from '../unit/render/fixtures.js';
import { createManualClock } from '../../testkit/clock/manual-clock.js';

/**
 * What the fault campaign found in the tracking workflow, each pinned by the smallest scenario that
 * shows it: a person whose answer was lost in a crash tracks the task again, and nothing may be posted
 * or delivered twice, nor any channel forgotten.
 */

const CHANNEL_A = '200000000000000001';
const CHANNEL_B = '200000000000000002';

const completed = (id: string): VideoSnapshot =>
  baseSnapshot({ id, status: 'completed', rawStatus: 'completed', progress: 100 });

function recordingPublisher() {
  let nextMessageId = 5000;
  const created: SubscriptionRecord[] = [];
  const publisher: ProgressPublisher = {
    create(sub) {
      created.push(sub);
      return Promise.resolve({
        kind: 'created',
        messageId: String(nextMessageId++),
        createdAt: 0,
        hash: 'h',
      });
    },
    update: () => Promise.resolve({ kind: 'published', hash: `h${Math.random()}` }),
  };
  return { publisher, created };
}

/** Delivery that records each call and finishes only when told to (a result post failing meanwhile). */
function controllableDelivery(store: TrackingStore) {
  const calls: TaskRecord[] = [];
  let succeed = true;
  const delivery: Delivery = {
    async deliver(task) {
      calls.push(task);
      if (!succeed) return;
      const latest = (await store.getTask(task.id)) ?? task;
      await store.putTask({ ...latest, delivery: { ...latest.delivery, finishedAt: 1 } });
    },
  };
  return {
    delivery,
    calls,
    failFromNowOn: () => (succeed = false),
    succeedFromNowOn: () => (succeed = true),
  };
}

const request = (overrides: Partial<TrackRequest> = {}): TrackRequest => ({
  taskId: 'video_retry',
  channelId: CHANNEL_A,
  guildId: '100000000000000001',
  requesterId: '300000000000000001',
  locale: 'en-US',
  requesterLocale: 'en-US',
  uploadLimitBytes: undefined,
  notify: false,
  ...overrides,
});

describe('tracking again after a crash or a lost answer', () => {
  let store: TrackingStore;
  let pub: ReturnType<typeof recordingPublisher>;
  let delivery: ReturnType<typeof controllableDelivery>;
  let tracker: Tracker;
  let clock: ReturnType<typeof createManualClock>;
  const answers = new Map<string, VideoSnapshot>();

  beforeEach(async () => {
    answers.clear();
    clock = createManualClock();
    store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
    pub = recordingPublisher();
    delivery = controllableDelivery(store);
    const api: VideoApiClient = {
      getVideo: (id) => Promise.resolve(answers.get(id) ?? completed(id)),
      downloadVideo: () => Promise.reject(new Error('not used')),
      close: () => Promise.resolve(),
    };
    tracker = createTracker({
      store,
      videoApi: api,
      publisher: pub.publisher,
      delivery: delivery.delivery,
      clock,
      logger: pino({ level: 'silent' }),
      limits: {
        maxTasksPerUser: 100,
        maxTasksPerGuild: 100,
        idleTimeoutMs: 60 * 60_000,
        maxAgeMs: 24 * 60 * 60_000,
        resumeSpreadMs: 1_000,
        refreshCooldownMs: 5_000,
        deliveryGiveUpMs: 60 * 60_000,
      },
    });
    tracker.attach({
      schedule: () => undefined,
      unschedule: () => undefined,
      pollNow: () => Promise.resolve(undefined),
    });
  });

  it('a finished task tracked again in its channel links its message: nothing is posted or delivered again', async () => {
    const first = await tracker.track(request({ notify: true }));
    expect(first.kind).toBe('tracked');
    expect(await tracker.poll('video_retry')).toBe('terminal');
    expect(delivery.calls).toHaveLength(1);

    const again = await tracker.track(request({ notify: true }));
    expect(again.kind).toBe('already_tracked');
    if (first.kind === 'tracked' && again.kind === 'already_tracked')
      expect(again.subscription.messageId).toBe(first.subscription.messageId);
    expect(pub.created).toHaveLength(1);
    expect(await store.isActive('video_retry')).toBe(false);
    // Finished: out of the channel's list, and nothing left to stop.
    expect(await tracker.listChannel(CHANNEL_A)).toEqual([]);
    expect((await tracker.untrack('video_retry', CHANNEL_A, 'someone')).kind).toBe('not_tracked');
    expect(await tracker.subscription('video_retry', CHANNEL_A)).toBeUndefined();
  });

  it('a subscription a crash left without its message is created again with the same nonce', async () => {
    answers.set(
      'video_retry',
      baseSnapshot({ id: 'video_retry', status: 'in_progress', rawStatus: 'in_progress' }),
    );
    await tracker.track(request({ notify: true }));
    const sub = (await store.getSubscription('video_retry', CHANNEL_A))!;
    const { messageId: _lost, ...withoutMessage } = sub;
    await store.putSubscription(withoutMessage);

    const retried = await tracker.track(request({ requesterId: '300000000000000002' }));
    expect(retried.kind).toBe('tracked');
    // Discord returns the message the interrupted create may have posted, instead of a second one.
    expect(pub.created.map((created) => created.nonce)).toEqual([sub.nonce, sub.nonce]);
    expect((await store.getSubscription('video_retry', CHANNEL_A))?.notifyUserIds).toEqual([
      '300000000000000001',
    ]);
  });

  it('resume re-creating a message never overwrites what a /sora track wrote meanwhile', async () => {
    answers.set(
      'video_retry',
      baseSnapshot({ id: 'video_retry', status: 'in_progress', rawStatus: 'in_progress' }),
    );
    await tracker.track(request());
    const sub = (await store.getSubscription('video_retry', CHANNEL_A))!;
    const { messageId: _lost, ...withoutMessage } = sub;
    await store.putSubscription(withoutMessage);

    // Discord answers the first create (resume's) only when told; a create with a known nonce returns
    // the same message, as enforce_nonce does.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let creates = 0;
    pub.publisher.create = async (created) => {
      creates += 1;
      if (creates === 1) await gate;
      return { kind: 'created', messageId: `msg-${created.nonce}`, createdAt: 0, hash: 'h' };
    };
    const queue = {
      schedule: () => undefined,
      unschedule: () => undefined,
      pollNow: () => Promise.resolve(undefined),
    };
    const resumed = tracker.resume(queue);
    await vi.waitFor(() => expect(creates).toBe(1));
    // Meanwhile someone else asks for a DM on the same task in the same channel. Nothing to await
    // until the release: a moment lets this track go as far as it can (with the fix, to the task lock).
    const tracked = tracker.track(request({ requesterId: '300000000000000002', notify: true }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await Promise.all([resumed, tracked]);

    const final = (await store.getSubscription('video_retry', CHANNEL_A))!;
    expect(final.messageId).toBe(`msg-${sub.nonce}`);
    expect(final.notifyUserIds).toContain('300000000000000002');
  });

  it('a channel joining while the first channel’s final edit is still queued at Discord is not dropped when it lands', async () => {
    await tracker.track(request());
    // The final edit waits its turn at Discord past the poll's grace.
    let land: (outcome: PublishOutcome) => void = () => undefined;
    const edit = new Promise<PublishOutcome>((resolve) => (land = resolve));
    pub.publisher.update = (_sub, _task, { final }) =>
      final ? edit : Promise.resolve({ kind: 'published', hash: 'h' });
    const polling = tracker.poll('video_retry');
    await vi.waitFor(() => expect(delivery.calls).toHaveLength(1));
    await clock.advance(10_000);
    expect(await polling).toBe('terminal');

    // Channel B tracks the ended task before the edit lands: it joins the delivery.
    expect((await tracker.track(request({ channelId: CHANNEL_B }))).kind).toBe('tracked');
    land({ kind: 'published', hash: 'final' });
    await tracker.settled();

    expect(await store.isActive('video_retry')).toBe(true);
    pub.publisher.update = () => Promise.resolve({ kind: 'published', hash: 'h2' });
    expect(await tracker.poll('video_retry')).toBe('terminal');
    expect(delivery.calls.at(-1)?.channelIds).toEqual([CHANNEL_A, CHANNEL_B]);
  });

  it('a second channel tracking a task whose delivery is still under way joins it: the first keeps its result', async () => {
    await tracker.track(request());
    delivery.failFromNowOn();
    // Ended, its result in channel A not yet posted (Discord failed): the task stays active for a retry.
    expect(await tracker.poll('video_retry')).toBe('unchanged');

    expect((await tracker.track(request({ channelId: CHANNEL_B }))).kind).toBe('tracked');
    const task = (await store.getTask('video_retry'))!;
    expect(task.state).toBe('ended');
    expect(task.channelIds).toEqual([CHANNEL_A, CHANNEL_B]);

    delivery.succeedFromNowOn();
    expect(await tracker.poll('video_retry')).toBe('terminal');
    expect(delivery.calls.at(-1)?.channelIds).toEqual([CHANNEL_A, CHANNEL_B]);
  });

  /** The tracker with the real delivery, and a Discord side that records results and DMs. */
  function withRealDelivery() {
    const posted: string[] = [];
    const dms: string[] = [];
    const results: ResultPublisher = {
      channelUploadLimit: () => 10 * 1024 * 1024,
      dmUploadLimit: 10 * 1024 * 1024,
      postResult: (sub) => {
        posted.push(sub.channelId);
        return Promise.resolve({ kind: 'posted', messageId: `result-${sub.channelId}` });
      },
      sendDm: (userId) => {
        dms.push(userId);
        return Promise.resolve({ kind: 'sent', messageId: `dm-${dms.length}` });
      },
    };
    const api: VideoApiClient = {
      getVideo: (id) => Promise.resolve(answers.get(id) ?? completed(id)),
      downloadVideo: () => Promise.reject(new Error('no video in this test')),
      close: () => Promise.resolve(),
    };
    const logger = pino({ level: 'silent' });
    tracker = createTracker({
      store,
      videoApi: api,
      publisher: pub.publisher,
      delivery: createDelivery({ store, videoApi: api, publisher: results, clock, logger }),
      clock,
      logger,
      limits: {
        maxTasksPerUser: 100,
        maxTasksPerGuild: 100,
        idleTimeoutMs: 60 * 60_000,
        maxAgeMs: 24 * 60 * 60_000,
        resumeSpreadMs: 1_000,
        refreshCooldownMs: 5_000,
        deliveryGiveUpMs: 60 * 60_000,
      },
    });
    tracker.attach({
      schedule: () => undefined,
      unschedule: () => undefined,
      pollNow: () => Promise.resolve(undefined),
    });
    return { posted, dms };
  }

  it('a channel whose progress message a crash left unposted still gets its result when another channel ends the task first', async () => {
    const { posted } = withRealDelivery();
    answers.set(
      'video_retry',
      baseSnapshot({ id: 'video_retry', status: 'in_progress', rawStatus: 'in_progress' }),
    );
    await tracker.track(request());
    // The process died in channel A's create: the records are there, the message id is not.
    const sub = (await store.getSubscription('video_retry', CHANNEL_A))!;
    const { messageId: _lost, ...withoutMessage } = sub;
    await store.putSubscription(withoutMessage);

    // Before anything resumes channel A, channel B tracks the task, which has just failed.
    answers.set('video_retry', baseSnapshot({ id: 'video_retry', status: 'failed', rawStatus: 'failed' }));
    expect((await tracker.track(request({ channelId: CHANNEL_B }))).kind).toBe('tracked');
    expect(await tracker.poll('video_retry')).toBe('terminal');

    expect(posted.sort()).toEqual([CHANNEL_A, CHANNEL_B]);
    expect((await store.getSubscription('video_retry', CHANNEL_A))?.messageId).toBeDefined();
  });

  it('a person who got the DM about a task is not sent it again when the task is tracked afresh', async () => {
    const { posted, dms } = withRealDelivery();
    await tracker.track(request({ notify: true }));
    expect(await tracker.poll('video_retry')).toBe('terminal');
    expect(dms).toEqual(['300000000000000001']);

    // Finished; the same person tracks it in another channel, asking for a DM again.
    expect((await tracker.track(request({ channelId: CHANNEL_B, notify: true }))).kind).toBe('tracked');
    expect(await tracker.poll('video_retry')).toBe('terminal');
    expect(posted).toEqual([CHANNEL_A, CHANNEL_B]);
    expect(dms).toEqual(['300000000000000001']);
  });
});
