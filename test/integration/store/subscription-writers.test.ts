import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PostOutcome, ResultPublisher } from '../../../src/delivery/delivery.js';
import { createDelivery } from '../../../src/delivery/delivery.js';
import type * as Backends from '../../../src/store/backends/index.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';
import { createTrackingStore, type TrackingStore } from '../../../src/store/index.js';
import { FINAL_GRACE_MS } from '../../../src/tracking/ending.js';
import {
  createTracker,
  type ProgressPublisher,
  type PublishOutcome,
  type Tracker,
  type TrackRequest,
} from '../../../src/tracking/tracker.js';
import type { VideoApiClient } from '../../../src/video-api/client.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import { snapshot as baseSnapshot } from '../../unit/render/fixtures.js';
import { collectingLogger, makeTempDir, type LogLine } from './support.js';

/**
 * Several writers of one subscription at once (a 🔔 press, a progress edit recording what it shows,
 * delivery recording a result, a final edit landing after its grace), against each store: none may
 * undo another's change. The store's writes can be held back at the backend, as a slow Redis or a busy
 * disk holds them, so that a write is still landing when the next writer reads.
 */

const held = vi.hoisted(() => ({
  /** The next backend write of a key with this prefix waits until released. */
  nextWithPrefix: undefined as string | undefined,
  writes: [] as { key: string; release: () => void }[],
}));

vi.mock('../../../src/store/backends/index.js', async (importOriginal) => {
  const original = await importOriginal<typeof Backends>();
  return {
    ...original,
    async openBackend(options: Parameters<typeof original.openBackend>[0]) {
      const backend = await original.openBackend(options);
      return {
        ...backend,
        async set(key: string, value: unknown) {
          if (held.nextWithPrefix !== undefined && key.startsWith(held.nextWithPrefix)) {
            held.nextWithPrefix = undefined;
            await new Promise<void>((release) => held.writes.push({ key, release }));
          }
          await backend.set(key, value);
        },
      };
    },
  };
});

const REDIS_URL = process.env.REDIS_URL;
const TASK = 'video_writers';
const CHANNEL_A = '200000000000000001';
const CHANNEL_B = '200000000000000002';
const ALICE = '300000000000000001';
const BOB = '300000000000000002';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
const redisNamespaces: string[] = [];
const stores = [
  { name: 'memory://', url: () => 'memory://' },
  { name: 'sqlite://', url: () => `sqlite://${join(temp.dir, 'store.sqlite')}` },
  ...(REDIS_URL ? [{ name: 'redis://', url: () => REDIS_URL }] : []),
];

afterAll(async () => {
  if (!REDIS_URL || redisNamespaces.length === 0) return;
  const admin = createClient({ url: REDIS_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  for (const namespace of redisNamespaces) {
    const keys = await admin.keys(`${namespace}:*`);
    if (keys.length > 0) await admin.del(keys);
  }
  await admin.quit();
});

const reading = (overrides: Partial<VideoSnapshot>): VideoSnapshot =>
  baseSnapshot({ id: TASK, status: 'in_progress', rawStatus: 'in_progress', progress: 10, ...overrides });
const failed = reading({
  status: 'failed',
  rawStatus: 'failed',
  failure: { reason: 'x', moderation: false },
});

const request = (overrides: Partial<TrackRequest> = {}): TrackRequest => ({
  taskId: TASK,
  channelId: CHANNEL_A,
  guildId: '100000000000000001',
  requesterId: ALICE,
  locale: 'en-US',
  requesterLocale: 'en-US',
  uploadLimitBytes: undefined,
  notify: false,
  ...overrides,
});

/** Progress edits that land when the test says so (Discord's budget is short), or at once. */
function progressMessages() {
  const edits: { channelId: string; final: boolean; land: (outcome: PublishOutcome) => void }[] = [];
  const finals: { channelId: string; resultMessageId: string | undefined }[] = [];
  const state = { holdEdits: false };
  let nextMessageId = 7000;
  const publisher: ProgressPublisher = {
    create: () =>
      Promise.resolve({ kind: 'created', messageId: String(nextMessageId++), createdAt: 0, hash: 'h0' }),
    update(sub, _task, { final }) {
      if (final) finals.push({ channelId: sub.channelId, resultMessageId: sub.delivery?.resultMessageId });
      if (!state.holdEdits) return Promise.resolve({ kind: 'published', hash: `shown-${edits.length}` });
      return new Promise((land) => edits.push({ channelId: sub.channelId, final, land }));
    },
  };
  return { publisher, edits, finals, state };
}

/** Result posts, answered as told (posted by default); `onPost` runs as Discord receives one. */
function resultMessages() {
  const posts: { channelId: string; outcome: PostOutcome }[] = [];
  const answers: PostOutcome[] = [];
  const hooks = { onPost: () => undefined as void };
  const publisher: ResultPublisher = {
    channelUploadLimit: () => 10 * 1024 * 1024,
    dmUploadLimit: 10 * 1024 * 1024,
    postResult(sub) {
      hooks.onPost();
      const outcome = answers.shift() ?? { kind: 'posted', messageId: `result-${posts.length + 1}` };
      posts.push({ channelId: sub.channelId, outcome });
      return Promise.resolve(outcome);
    },
    sendDm: () => Promise.resolve({ kind: 'sent', messageId: 'dm-1' }),
  };
  return { publisher, posts, answers, hooks };
}

describe.each(stores)('writers of one subscription at once, on $name', ({ name, url }) => {
  let store: TrackingStore;
  let clock: ManualClock;
  let tracker: Tracker;
  let progress: ReturnType<typeof progressMessages>;
  let results: ReturnType<typeof resultMessages>;
  let logLines: LogLine[];
  const answers = new Map<string, VideoSnapshot>();
  /** Subscription writes the tracker and delivery hand to the store. */
  const handed = { subscriptionWrites: 0 };

  beforeEach(async () => {
    temp = await makeTempDir();
    held.nextWithPrefix = undefined;
    held.writes.length = 0;
    answers.set(TASK, reading({}));
    clock = createManualClock();
    const namespace = name === 'redis://' ? `sora-tracker-test:${randomUUID()}` : undefined;
    if (namespace) redisNamespaces.push(namespace);
    const { logger, lines } = collectingLogger();
    logLines = lines;
    store = await createTrackingStore({ url: url(), logger, ...(namespace ? { namespace } : {}) });
    const counted: TrackingStore = {
      ...store,
      putSubscription(sub) {
        handed.subscriptionWrites += 1;
        return store.putSubscription(sub);
      },
      updateSubscription(taskId, channelId, change) {
        handed.subscriptionWrites += 1;
        return store.updateSubscription(taskId, channelId, change);
      },
    };
    const api: VideoApiClient = {
      getVideo: (id) => Promise.resolve(answers.get(id)!),
      downloadVideo: () => Promise.reject(new Error('not used')),
      close: () => Promise.resolve(),
    };
    progress = progressMessages();
    results = resultMessages();
    const delivery = createDelivery({
      store: counted,
      videoApi: api,
      publisher: results.publisher,
      clock,
      logger,
    });
    tracker = createTracker({
      store: counted,
      videoApi: api,
      publisher: progress.publisher,
      delivery,
      clock,
      logger,
      limits: {
        maxTasksPerUser: 10,
        maxTasksPerGuild: 10,
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
    expect((await tracker.track(request())).kind).toBe('tracked');
    progress.state.holdEdits = true;
    handed.subscriptionWrites = 0;
  });

  afterEach(async () => {
    for (const write of held.writes) write.release();
    await tracker.settled();
    await store.close();
    await temp.remove();
  });

  /** Lets go of the one backend write held back. */
  const releaseHeldWrite = () => {
    expect(held.writes).toHaveLength(1);
    held.writes[0]!.release();
  };

  it('a 🔔 pressed while a progress edit records what it shows: the person stays on the DM list', async () => {
    answers.set(TASK, reading({ progress: 40 }));
    expect(await tracker.poll(TASK)).toBe('changed');
    await vi.waitFor(() => expect(progress.edits).toHaveLength(1));

    // Bob's 🔔 is being written when the edit lands and records its hash.
    held.nextWithPrefix = 'sub:';
    const press = tracker.setNotify(TASK, CHANNEL_A, BOB);
    await vi.waitFor(() => expect(held.writes).toHaveLength(1));
    progress.edits[0]!.land({ kind: 'published', hash: 'shows-40' });
    await vi.waitFor(() => expect(handed.subscriptionWrites).toBe(2));
    releaseHeldWrite();

    expect(await press).toEqual({ kind: 'on' });
    await tracker.settled();
    expect(await store.getSubscription(TASK, CHANNEL_A)).toMatchObject({
      notifyUserIds: [BOB],
      lastRenderedHash: 'shows-40',
    });
  });

  it('a result recorded while a final edit past its grace lands: it is recorded, linked, and posted once', async () => {
    answers.set(TASK, failed);
    // The first try at the result fails; the final edit waits at Discord past the poll's grace.
    results.answers.push({ kind: 'failed' });
    const first = tracker.poll(TASK);
    await vi.waitFor(() => expect(progress.edits).toHaveLength(1));
    await clock.advance(FINAL_GRACE_MS);
    expect(await first).toBe('unchanged');

    // The next poll posts the result; its record is still landing when the late final edit lands.
    progress.state.holdEdits = false;
    results.hooks.onPost = () => void (held.nextWithPrefix = 'sub:');
    handed.subscriptionWrites = 0;
    const second = tracker.poll(TASK);
    await vi.waitFor(() => expect(held.writes).toHaveLength(1));
    progress.edits[0]!.land({ kind: 'published', hash: 'late-final' });
    await vi.waitFor(() => expect(handed.subscriptionWrites).toBe(2));
    releaseHeldWrite();
    await second;
    await tracker.settled();
    if (await store.isActive(TASK)) await tracker.poll(TASK);
    await tracker.settled();

    expect((await store.getSubscription(TASK, CHANNEL_A))?.delivery).toMatchObject({
      state: 'posted',
      resultMessageId: 'result-2',
    });
    expect(results.posts.filter((post) => post.outcome.kind === 'posted')).toHaveLength(1);
    expect(progress.finals.at(-1)).toEqual({ channelId: CHANNEL_A, resultMessageId: 'result-2' });
  });

  it('a channel joining while the first one’s late final edit finds its message deleted still gets its result', async () => {
    answers.set(TASK, failed);
    const polling = tracker.poll(TASK);
    await vi.waitFor(() => expect(progress.edits).toHaveLength(1));
    await clock.advance(FINAL_GRACE_MS);
    expect(await polling).toBe('terminal');

    // Channel B joins the ended task; its record of the task is still landing when A's edit answers.
    progress.state.holdEdits = false;
    held.nextWithPrefix = 'task:';
    const joining = tracker.track(request({ channelId: CHANNEL_B }));
    await vi.waitFor(() => expect(held.writes).toHaveLength(1));
    progress.edits[0]!.land({ kind: 'message_deleted' });
    await vi.waitFor(() =>
      expect(logLines.some((line) => line.msg.startsWith('progress message gone'))).toBe(true),
    );
    // What the edit's answer does next (drop channel A) runs now, or waits for the task's lock.
    await new Promise((resolve) => setImmediate(resolve));
    releaseHeldWrite();
    expect((await joining).kind).toBe('tracked');
    await tracker.settled();

    expect(await tracker.poll(TASK)).toBe('terminal');
    await tracker.settled();
    expect(results.posts.map((post) => [post.channelId, post.outcome.kind])).toEqual([
      [CHANNEL_A, 'posted'],
      [CHANNEL_B, 'posted'],
    ]);
    expect(await store.getSubscription(TASK, CHANNEL_A)).toBeUndefined();
    expect((await store.getTask(TASK))?.channelIds).toEqual([CHANNEL_B]);
  });
});
