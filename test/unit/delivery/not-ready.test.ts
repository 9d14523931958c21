/**
 * Delivery of a completed task whose video file the API does not have yet, on a manual clock: nothing
 * is posted while it waits, it asks again with backoff, and after the bound it links or explains.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDelivery, type ResultContent, type ResultPublisher } from '../../../src/delivery/delivery.js';
import { createTrackingStore, type TaskRecord, type TrackingStore } from '../../../src/store/index.js';
import type { DownloadResult, VideoApiClient } from '../../../src/video-api/client.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';

const TASK = 'sora-2:task_waiting';
const MINUTE = 60_000;
const backoff = { firstDelayMs: 10_000, maxDelayMs: 60_000, giveUpAfterMs: 10 * MINUTE };

const snapshot = (videoUrl?: string): VideoSnapshot => ({
  id: TASK,
  status: 'completed',
  rawStatus: 'completed',
  progress: 100,
  videoUrl,
  failure: undefined,
  model: undefined,
  size: undefined,
  durationSeconds: undefined,
  prompt: undefined,
  enhancedPrompt: undefined,
  createdAt: undefined,
  completedAt: undefined,
  expiresAt: undefined,
  statusUpdatedAt: undefined,
  queuePosition: undefined,
  estimatedWaitSeconds: undefined,
});

let clock: ManualClock;
let store: TrackingStore;
let posted: ResultContent[];
let downloads: number;
let answer: () => DownloadResult;

function deliveryUnderTest() {
  const videoApi: VideoApiClient = {
    getVideo: () => Promise.reject(new Error('not used')),
    downloadVideo: () => {
      downloads += 1;
      return Promise.resolve(answer());
    },
    close: () => Promise.resolve(),
  };
  const publisher: ResultPublisher = {
    channelUploadLimit: () => 10 * 1024 * 1024,
    dmUploadLimit: 10 * 1024 * 1024,
    postResult: (_sub, _task, content) => {
      posted.push(content);
      return Promise.resolve({ kind: 'posted', messageId: `m${posted.length}` });
    },
    sendDm: () => Promise.resolve({ kind: 'failed' }),
  };
  return createDelivery({
    store,
    videoApi,
    publisher,
    clock,
    logger: pino({ level: 'silent' }),
    notReadyBackoff: backoff,
  });
}

async function endedTask(videoUrl?: string): Promise<void> {
  const task: TaskRecord = {
    v: 1,
    id: TASK,
    state: 'ended',
    endReason: 'completed',
    snapshot: snapshot(videoUrl),
    trackedAt: clock.now(),
    lastChangeAt: clock.now(),
    channelIds: ['c1'],
  };
  await store.putTask(task);
  await store.putSubscription({
    v: 1,
    taskId: TASK,
    channelId: 'c1',
    requesterId: 'u1',
    messageId: 'progress-1',
    nonce: 'n1',
    notifyUserIds: [],
    locale: 'en-US',
    requesterLocale: 'en-US',
    createdAt: clock.now(),
    state: 'active',
  });
}

/** What the tracker does on each poll of an ended task: deliver the latest record. */
const deliverLatest = async (delivery: ReturnType<typeof createDelivery>) =>
  delivery.deliver((await store.getTask(TASK))!);

beforeEach(async () => {
  clock = createManualClock();
  store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
  posted = [];
  downloads = 0;
  answer = () => ({ kind: 'not_ready', rawStatus: 'processing', publicUrl: undefined });
});

describe('a completed task whose file is not there yet', () => {
  it('posts nothing while waiting, asks again only when due (doubling), and attaches once the file is there', async () => {
    await endedTask();
    const delivery = deliveryUnderTest();
    await deliverLatest(delivery);
    expect(downloads).toBe(1);
    expect(posted).toEqual([]);
    const waiting = (await store.getTask(TASK))!.delivery!;
    expect(waiting.download).toMatchObject({ state: 'waiting', attempts: 1, retryAt: clock.now() + 10_000 });
    expect(waiting.finishedAt).toBeUndefined();

    await clock.advance(5_000);
    await deliverLatest(delivery); // a poll before the retry is due tries nothing
    expect(downloads).toBe(1);
    await clock.advance(5_000);
    await deliverLatest(delivery);
    expect(downloads).toBe(2);
    expect((await store.getTask(TASK))!.delivery!.download).toMatchObject({
      state: 'waiting',
      attempts: 2,
      retryAt: clock.now() + 20_000,
    });

    answer = () => ({ kind: 'too_large', bytes: 99 * 1024 * 1024, publicUrl: 'https://cdn.example/v.mp4' });
    await clock.advance(20_000);
    await deliverLatest(delivery);
    expect(posted).toEqual([
      { kind: 'linked', url: 'https://cdn.example/v.mp4', bytes: 99 * 1024 * 1024, why: 'too_large' },
    ]);
    expect((await store.getTask(TASK))!.delivery!.finishedAt).toBeDefined();
  });

  it('after 10 minutes without a file, links the video when a link is known, saying why', async () => {
    await endedTask('https://cdn.example/late.mp4');
    const delivery = deliveryUnderTest();
    for (let minute = 0; minute <= 10 && posted.length === 0; minute += 1) {
      await deliverLatest(delivery);
      await clock.advance(MINUTE);
    }
    expect(posted).toEqual([
      { kind: 'linked', url: 'https://cdn.example/late.mp4', bytes: undefined, why: 'not_ready' },
    ]);
    const record = (await store.getTask(TASK))!.delivery!.download!;
    expect(record).toMatchObject({ state: 'failed', reason: 'not_ready' });
    expect(record.at - record.since!).toBe(10 * MINUTE);
  });

  it('after 10 minutes without a file or a link, explains that the API never had the file', async () => {
    await endedTask();
    const delivery = deliveryUnderTest();
    for (let minute = 0; minute <= 10 && posted.length === 0; minute += 1) {
      await deliverLatest(delivery);
      await clock.advance(MINUTE);
    }
    expect(posted).toEqual([{ kind: 'not_ready_no_link' }]);
  });

  it('a failed status from /content ends the task as failed, with that reason', async () => {
    await endedTask();
    answer = () => ({ kind: 'failed', reason: 'Render node lost', publicUrl: undefined });
    await deliverLatest(deliveryUnderTest());
    expect(posted).toEqual([{ kind: 'failed' }]);
    const task = (await store.getTask(TASK))!;
    expect(task.endReason).toBe('failed');
    expect(task.snapshot?.failure).toEqual({ reason: 'Render node lost', moderation: false });
  });
});
