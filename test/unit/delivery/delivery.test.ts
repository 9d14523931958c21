import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createDelivery,
  type Delivery,
  type DmOutcome,
  type PostOutcome,
  type ResultContent,
  type ResultPublisher,
} from '../../../src/delivery/delivery.js';
import {
  createTrackingStore,
  type SubscriptionRecord,
  type TaskRecord,
  type TrackingStore,
} from '../../../src/store/index.js';
import type { DownloadResult, VideoApiClient } from '../../../src/video-api/client.js';
import { VideoApiError } from '../../../src/video-api/errors.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import {
  ALICE,
  CHANNEL_A,
  MiB,
  PUBLIC_URL,
  TASK_ID,
  downloadedFile,
  endedTask,
  subscription,
} from './fixtures.js';

/**
 * The executor against a real (in-memory) store, a scripted video API and a Discord side that
 * records what it is asked to send and answers as told.
 */

interface Sent {
  kind: 'post' | 'dm';
  to: string;
  content: ResultContent;
  nonce: string;
  /** The subscription handed to the publisher. */
  subscription: SubscriptionRecord;
  /** The subscription as stored when the send began. */
  stored: SubscriptionRecord | undefined;
  /** The task as stored when the send began. */
  storedTask: TaskRecord | undefined;
}

function fakePublisher(store: TrackingStore) {
  const sent: Sent[] = [];
  const postAnswers: PostOutcome[] = [];
  const dmAnswers: DmOutcome[] = [];
  const storedNow = (sub: SubscriptionRecord) =>
    Promise.all([store.getSubscription(sub.taskId, sub.channelId), store.getTask(sub.taskId)]);
  const publisher: ResultPublisher = {
    channelUploadLimit: () => 10 * MiB,
    dmUploadLimit: 10 * MiB,
    async postResult(sub, _task, content, nonce) {
      const [stored, storedTask] = await storedNow(sub);
      sent.push({ kind: 'post', to: sub.channelId, content, nonce, subscription: sub, stored, storedTask });
      return postAnswers.shift() ?? { kind: 'posted', messageId: `result-${sent.length}` };
    },
    async sendDm(userId, _locale, sub, _task, content, nonce) {
      const [stored, storedTask] = await storedNow(sub);
      sent.push({ kind: 'dm', to: userId, content, nonce, subscription: sub, stored, storedTask });
      return dmAnswers.shift() ?? { kind: 'sent', messageId: `dm-${sent.length}` };
    },
  };
  return { publisher, sent, postAnswers, dmAnswers };
}

function fakeVideoApi() {
  const downloads: { maxBytes: number }[] = [];
  let cleanups = 0;
  let next: () => Promise<DownloadResult> = () =>
    Promise.resolve({ ...downloadedFile(2 * MiB), cleanup: () => Promise.resolve(void cleanups++) });
  const api: VideoApiClient = {
    getVideo: () => Promise.reject(new Error('not used')),
    downloadVideo: (_id, options) => {
      downloads.push({ maxBytes: options.maxBytes });
      return next();
    },
    close: () => Promise.resolve(),
  };
  return {
    api,
    downloads,
    cleanups: () => cleanups,
    answer: (answer: () => Promise<DownloadResult>) => (next = answer),
  };
}

describe('delivery, carried out', () => {
  let store: TrackingStore;
  let clock: ManualClock;
  let discord: ReturnType<typeof fakePublisher>;
  let video: ReturnType<typeof fakeVideoApi>;
  let delivery: Delivery;

  beforeEach(async () => {
    clock = createManualClock(50_000);
    store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
    discord = fakePublisher(store);
    video = fakeVideoApi();
    delivery = createDelivery({
      store,
      videoApi: video.api,
      publisher: discord.publisher,
      clock,
      logger: pino({ level: 'silent' }),
    });
  });

  async function given(task: TaskRecord, ...subs: SubscriptionRecord[]): Promise<TaskRecord> {
    await store.putTask(task);
    for (const sub of subs) await store.putSubscription(sub);
    return task;
  }

  const stored = async () => (await store.getTask(TASK_ID))!;

  it('posts the result, DMs who asked with a link to it, records each step and finishes', async () => {
    const task = await given(endedTask(), subscription({ notifyUserIds: [ALICE] }));
    await delivery.deliver(task);

    expect(video.downloads).toEqual([{ maxBytes: 10 * MiB }]);
    expect(discord.sent.map((s) => [s.kind, s.to, s.content.kind])).toEqual([
      ['post', CHANNEL_A, 'attached'],
      ['dm', ALICE, 'attached'],
    ]);
    // The DM is handed the subscription as posted, so it can link the channel's result.
    expect(discord.sent[1]?.subscription.delivery?.resultMessageId).toBe('result-1');

    const sub = await store.getSubscription(TASK_ID, CHANNEL_A);
    expect(sub?.delivery).toMatchObject({ state: 'posted', resultMessageId: 'result-1', mode: 'attached' });
    expect(sub?.delivery?.nonce).toBe(discord.sent[0]?.nonce);
    const after = await stored();
    expect(after.delivery).toMatchObject({
      startedAt: 50_000,
      finishedAt: 50_000,
      download: { state: 'done', bytes: 2 * MiB },
      dms: { [ALICE]: { state: 'sent', messageId: 'dm-2', nonce: discord.sent[1]?.nonce } },
    });
    expect(video.cleanups()).toBe(1);
  });

  it('does nothing for a task whose delivery finished, or that was untracked', async () => {
    await delivery.deliver(await given(endedTask({ delivery: { finishedAt: 1 } }), subscription()));
    await delivery.deliver(await given(endedTask({ endReason: 'untracked' }), subscription()));
    expect(discord.sent).toEqual([]);
    expect(video.downloads).toEqual([]);
    expect((await stored()).delivery).toBeUndefined();
  });

  it('records the nonce before the post and posts again with it after a failure', async () => {
    const task = await given(endedTask(), subscription());
    discord.postAnswers.push({ kind: 'failed' });
    await delivery.deliver(task);
    const first = discord.sent[0]!;
    expect(first.stored?.delivery).toEqual({ state: 'pending', nonce: first.nonce });
    expect((await stored()).delivery?.finishedAt).toBeUndefined();

    await delivery.deliver(await stored());
    expect(discord.sent.map((s) => s.nonce)).toEqual([first.nonce, first.nonce]);
    expect((await stored()).delivery?.finishedAt).toBe(50_000);
  });

  it('records a DM’s nonce before sending it and sends it again with that nonce after a failure', async () => {
    const task = await given(endedTask(), subscription({ notifyUserIds: [ALICE] }));
    discord.dmAnswers.push({ kind: 'failed' });
    await delivery.deliver(task);
    const first = discord.sent[1]!;
    expect(first.storedTask?.delivery?.dms?.[ALICE]).toEqual({
      state: 'pending',
      nonce: first.nonce,
      at: 50_000,
    });
    expect((await stored()).delivery?.finishedAt).toBeUndefined();

    await delivery.deliver(await stored());
    expect(discord.sent.map((s) => [s.kind, s.nonce])).toEqual([
      ['post', discord.sent[0]?.nonce],
      ['dm', first.nonce],
      ['dm', first.nonce],
    ]);
    expect((await stored()).delivery?.finishedAt).toBe(50_000);
  });

  it('on a retry, records the result and DM an earlier try left in Discord instead of sending again', async () => {
    const task = await given(endedTask(), subscription({ notifyUserIds: [ALICE] }));
    const lookedFor: string[] = [];
    discord.publisher.findPostedResult = (sub) => {
      lookedFor.push(sub.channelId);
      return Promise.resolve('earlier');
    };
    discord.publisher.findSentDm = (userId) => {
      lookedFor.push(userId);
      return Promise.resolve('earlier-dm');
    };
    discord.postAnswers.push({ kind: 'failed' });
    discord.dmAnswers.push({ kind: 'failed' });
    await delivery.deliver(task);
    // A first try has nothing to look for.
    expect(lookedFor).toEqual([]);

    await delivery.deliver(await stored());
    expect(lookedFor).toEqual([CHANNEL_A, ALICE]);
    expect(discord.sent.map((s) => s.kind)).toEqual(['post', 'dm']);
    const sub = await store.getSubscription(TASK_ID, CHANNEL_A);
    expect(sub?.delivery).toMatchObject({ state: 'posted', resultMessageId: 'earlier' });
    expect((await stored()).delivery).toMatchObject({
      finishedAt: 50_000,
      dms: { [ALICE]: { state: 'sent', messageId: 'earlier-dm' } },
    });
  });

  it('posts the link with the same nonce when Discord refuses the file', async () => {
    const task = await given(endedTask(), subscription());
    discord.postAnswers.push({ kind: 'too_large' });
    await delivery.deliver(task);
    expect(discord.sent.map((s) => s.content.kind)).toEqual(['attached', 'linked']);
    expect(discord.sent[0]?.nonce).toBe(discord.sent[1]?.nonce);
    expect((await store.getSubscription(TASK_ID, CHANNEL_A))?.delivery?.mode).toBe('linked');
  });

  it('a lost channel is dropped and does not hold delivery up; the DM still goes', async () => {
    const task = await given(endedTask(), subscription({ notifyUserIds: [ALICE] }));
    discord.postAnswers.push({ kind: 'channel_lost' });
    await delivery.deliver(task);
    const sub = await store.getSubscription(TASK_ID, CHANNEL_A);
    expect(sub?.state).toBe('channel_lost');
    expect(sub?.delivery?.state).toBe('failed');
    expect(discord.sent.map((s) => s.kind)).toEqual(['post', 'dm']);
    expect((await stored()).delivery?.finishedAt).toBe(50_000);
  });

  it('a user whose DMs are closed is recorded and not written to again', async () => {
    const task = await given(endedTask(), subscription({ notifyUserIds: [ALICE] }));
    discord.postAnswers.push({ kind: 'failed' });
    discord.dmAnswers.push({ kind: 'closed' });
    await delivery.deliver(task);
    expect((await stored()).delivery?.dms?.[ALICE]?.state).toBe('closed');

    await delivery.deliver(await stored());
    expect(discord.sent.map((s) => s.kind)).toEqual(['post', 'dm', 'post']);
  });

  it('links the video when the download fails, and records why', async () => {
    const task = await given(endedTask(), subscription());
    video.answer(() => Promise.reject(new VideoApiError({ kind: 'expired', message: 'gone' })));
    await delivery.deliver(task);
    expect(discord.sent[0]?.content).toEqual({
      kind: 'linked',
      url: PUBLIC_URL,
      bytes: undefined,
      why: 'download_failed',
    });
    expect((await stored()).delivery?.download).toEqual({ state: 'failed', at: 50_000, reason: 'expired' });
  });

  it('removes the downloaded file even when a post throws', async () => {
    const task = await given(endedTask(), subscription());
    discord.publisher.postResult = () => Promise.reject(new Error('store down'));
    await expect(delivery.deliver(task)).rejects.toThrow('store down');
    expect(video.cleanups()).toBe(1);
  });

  it('downloads nothing for a failed task and posts its reason', async () => {
    const task = await given(endedTask({ endReason: 'failed' }), subscription());
    await delivery.deliver(task);
    expect(video.downloads).toEqual([]);
    expect(discord.sent.map((s) => s.content.kind)).toEqual(['failed']);
  });

  it('waits for a progress message still missing: started, not finished, nothing sent', async () => {
    const task = await given(endedTask(), subscription({ messageId: undefined }));
    await delivery.deliver(task);
    expect(discord.sent).toEqual([]);
    expect((await stored()).delivery).toEqual({ startedAt: 50_000 });
  });
});
