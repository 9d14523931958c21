/**
 * A download that fails for a passing reason (5xx, timeout, reset, cut-off body, after the client's own
 * tries) is tried again with backoff before anyone is sent a link, on a manual clock; a failure that
 * stands (expired, not found) is final at once, as before.
 */
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDelivery, type ResultContent, type ResultPublisher } from '../../../src/delivery/delivery.js';
import { recordDownload } from '../../../src/delivery/video-wait.js';
import { createTrackingStore, type TrackingStore } from '../../../src/store/index.js';
import type { DownloadResult, VideoApiClient } from '../../../src/video-api/client.js';
import { VideoApiError, type VideoApiErrorKind } from '../../../src/video-api/errors.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import { MiB, PUBLIC_URL, TASK_ID, downloadedFile, endedTask, subscription } from './fixtures.js';

const MINUTE = 60_000;
const backoff = { firstDelayMs: 10_000, maxDelayMs: 60_000, giveUpAfterMs: 10 * MINUTE };
const failure = (kind: VideoApiErrorKind) => new VideoApiError({ kind, message: `a ${kind} failure` });

describe('the record of a download that failed for a passing reason', () => {
  it('waits with backoff, counted from the first failure, then gives up as failed at the bound', () => {
    const first = recordDownload('transient', 0, undefined, backoff);
    expect(first).toEqual({
      state: 'waiting',
      at: 0,
      since: 0,
      attempts: 1,
      retryAt: 10_000,
      reason: 'transient',
    });
    const second = recordDownload('transient', 10_000, first, backoff);
    expect(second).toMatchObject({ state: 'waiting', since: 0, attempts: 2, retryAt: 30_000 });

    let record = second;
    let now = 10_000;
    while (record.state === 'waiting') {
      now = record.retryAt!;
      record = recordDownload('transient', now, record, backoff);
    }
    // The last try falls on the bound, and the link (or explanation) follows as before.
    expect(now).toBe(10 * MINUTE);
    expect(record).toMatchObject({ state: 'failed', reason: 'failed', since: 0 });
  });

  it('is final at once for a failure that stands, and a file ends any wait', () => {
    const waiting = recordDownload('transient', 0, undefined, backoff);
    expect(recordDownload('failed', 10_000, waiting, backoff)).toEqual({
      state: 'failed',
      at: 10_000,
      reason: 'failed',
    });
    expect(recordDownload('expired', 10_000, waiting, backoff)).toEqual({
      state: 'failed',
      at: 10_000,
      reason: 'expired',
    });
    expect(recordDownload(downloadedFile(MiB), 10_000, waiting, backoff)).toEqual({
      state: 'done',
      at: 10_000,
      bytes: MiB,
    });
  });

  it('shares one bound with "no file yet": a wait that changes reason does not start over', () => {
    const notReady = recordDownload(
      { kind: 'not_ready', rawStatus: 'processing', publicUrl: undefined },
      0,
      undefined,
      backoff,
    );
    const then = recordDownload('transient', 10_000, notReady, backoff);
    expect(then).toMatchObject({ state: 'waiting', since: 0, attempts: 2, reason: 'transient' });
    const back = recordDownload(
      { kind: 'not_ready', rawStatus: 'processing', publicUrl: undefined },
      30_000,
      then,
      backoff,
    );
    expect(back).toMatchObject({ state: 'waiting', since: 0, attempts: 3 });
    expect(back.reason).toBeUndefined();
  });
});

describe('delivery of a video whose download fails for a passing reason', () => {
  let clock: ManualClock;
  let store: TrackingStore;
  let posted: ResultContent[];
  let downloads: number;
  let answer: () => Promise<DownloadResult>;

  beforeEach(async () => {
    clock = createManualClock(50_000);
    store = await createTrackingStore({ url: 'memory://', logger: pino({ level: 'silent' }) });
    posted = [];
    downloads = 0;
    answer = () => Promise.reject(failure('transient'));
    await store.putTask(endedTask());
    await store.putSubscription(subscription());
  });

  function deliveryUnderTest() {
    const videoApi: VideoApiClient = {
      getVideo: () => Promise.reject(new Error('not used')),
      downloadVideo: () => {
        downloads += 1;
        return answer();
      },
      close: () => Promise.resolve(),
    };
    const publisher: ResultPublisher = {
      channelUploadLimit: () => 10 * MiB,
      dmUploadLimit: 10 * MiB,
      postResult: (_sub, _task, content) => {
        posted.push(content);
        return Promise.resolve({ kind: 'posted', messageId: `m${posted.length}` });
      },
      sendDm: () => Promise.resolve({ kind: 'failed' }),
    };
    const logger = pino({ level: 'silent' });
    return createDelivery({ store, videoApi, publisher, clock, logger, notReadyBackoff: backoff });
  }

  const deliverLatest = async (delivery: ReturnType<typeof createDelivery>) =>
    delivery.deliver((await store.getTask(TASK_ID))!);

  it('posts nothing while the host is failing, tries again when due, and attaches once it recovers', async () => {
    const delivery = deliveryUnderTest();
    await deliverLatest(delivery);
    expect(posted).toEqual([]);
    expect((await store.getTask(TASK_ID))!.delivery).toMatchObject({
      download: { state: 'waiting', reason: 'transient', attempts: 1, retryAt: 60_000 },
    });

    await clock.advance(5_000);
    await deliverLatest(delivery); // not due yet: no download
    expect(downloads).toBe(1);
    await clock.advance(5_000);
    await deliverLatest(delivery);
    expect(downloads).toBe(2);
    expect(posted).toEqual([]);

    answer = () => Promise.resolve(downloadedFile(2 * MiB, PUBLIC_URL));
    await clock.advance(20_000);
    await deliverLatest(delivery);
    expect(posted.map((content) => content.kind)).toEqual(['attached']);
    const task = (await store.getTask(TASK_ID))!;
    expect(task.delivery?.download).toMatchObject({ state: 'done', bytes: 2 * MiB });
    expect(task.delivery?.finishedAt).toBeDefined();
  });

  it('a 429 or a refused key on the download is tried again too', async () => {
    for (const kind of ['rate_limited', 'unauthorized'] as const) {
      posted = [];
      await store.putTask(endedTask());
      answer = () => Promise.reject(failure(kind));
      await deliverLatest(deliveryUnderTest());
      expect(posted, kind).toEqual([]);
      expect((await store.getTask(TASK_ID))!.delivery?.download?.state, kind).toBe('waiting');
    }
  });

  it('links the video after 10 minutes of failures, as a failed download is linked', async () => {
    const delivery = deliveryUnderTest();
    for (let minute = 0; minute <= 10 && posted.length === 0; minute += 1) {
      await deliverLatest(delivery);
      await clock.advance(MINUTE);
    }
    expect(posted).toEqual([{ kind: 'linked', url: PUBLIC_URL, bytes: undefined, why: 'download_failed' }]);
    const record = (await store.getTask(TASK_ID))!.delivery!.download!;
    expect(record).toMatchObject({ state: 'failed', reason: 'failed' });
    expect(record.at - record.since!).toBe(10 * MINUTE);
  });

  it('links at once when the failure stands (a link that no longer works, a request refused as such)', async () => {
    for (const kind of ['not_found', 'bad_request'] as const) {
      posted = [];
      await store.putTask(endedTask());
      await store.putSubscription(subscription());
      answer = () => Promise.reject(failure(kind));
      await deliverLatest(deliveryUnderTest());
      expect(posted).toEqual([{ kind: 'linked', url: PUBLIC_URL, bytes: undefined, why: 'download_failed' }]);
    }
  });
});
