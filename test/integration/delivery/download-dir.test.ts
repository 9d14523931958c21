/**
 * The download folder on a real file system: a downloaded video is kept until every place has it (a
 * post retried after a Discord failure sends the same file, not a second download), within a bound on
 * the folder's size, and the sweep at start removes what a dead process left while keeping the files
 * of deliveries still under way.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDelivery,
  type PostOutcome,
  type ResultContent,
  type ResultPublisher,
} from '../../../src/delivery/delivery.js';
import { shardDownloadDirectory, sweepDownloadDirectory } from '../../../src/delivery/download-dir.js';
import { createTrackingStore, type TaskRecord, type TrackingStore } from '../../../src/store/index.js';
import type { VideoApiClient } from '../../../src/video-api/client.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { MiB, TASK_ID, endedTask, subscription } from '../../unit/delivery/fixtures.js';

const logger = pino({ level: 'silent' });
let root: string;
let directory: string;
let store: TrackingStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sora-download-dir-'));
  directory = shardDownloadDirectory(root, 'sora-tracker:shard-1-of-2');
  store = await createTrackingStore({ url: 'memory://', logger });
});

afterEach(async () => {
  await store.close();
  await rm(root, { recursive: true, force: true });
});

const filesIn = async (dir: string) => (await readdir(dir).catch(() => [])).sort();

describe('a downloaded video kept until every place has it', () => {
  let downloads: string[];
  let posts: { content: ResultContent; size: number | undefined }[];
  let postAnswers: PostOutcome[];

  beforeEach(async () => {
    downloads = [];
    posts = [];
    postAnswers = [];
    await store.putTask(endedTask());
    await store.putSubscription(subscription());
  });

  function deliveryUnderTest(keepDownloadsMaxBytes: number) {
    // Writes a real file where the client would, named as the client names it.
    const videoApi: VideoApiClient = {
      getVideo: () => Promise.reject(new Error('not used')),
      async downloadVideo(id, options) {
        const path = join(options.directory!, `sora-${id}-${randomUUID()}.mp4`);
        await writeFile(path, Buffer.alloc(MiB, 7));
        downloads.push(path);
        return {
          kind: 'file',
          path,
          bytes: MiB,
          contentType: 'video/mp4',
          publicUrl: undefined,
          cleanup: () => rm(path, { force: true }),
        };
      },
      close: () => Promise.resolve(),
    };
    const publisher: ResultPublisher = {
      channelUploadLimit: () => 10 * MiB,
      dmUploadLimit: 10 * MiB,
      async postResult(_sub, _task, content) {
        // What Discord would read: the file as it is at the moment of the post.
        const size =
          content.kind === 'attached'
            ? (await stat(content.video.path).catch(() => undefined))?.size
            : undefined;
        posts.push({ content, size });
        return postAnswers.shift() ?? { kind: 'posted', messageId: `m${posts.length}` };
      },
      sendDm: () => Promise.resolve({ kind: 'failed' }),
    };
    const clock = createManualClock(50_000);
    return createDelivery({
      store,
      videoApi,
      publisher,
      clock,
      logger,
      downloadDirectory: directory,
      keepDownloadsMaxBytes,
    });
  }

  const latest = async () => (await store.getTask(TASK_ID))!;

  it('posts the same file again after a Discord failure, without a second download, then removes it', async () => {
    const delivery = deliveryUnderTest(2 * MiB);
    postAnswers.push({ kind: 'failed' });
    await delivery.deliver(await latest());
    expect(downloads).toHaveLength(1);
    expect(await filesIn(directory)).toHaveLength(1);
    expect((await latest()).delivery?.download).toMatchObject({
      state: 'done',
      bytes: MiB,
      file: { path: downloads[0], contentType: 'video/mp4' },
    });

    await delivery.deliver(await latest());
    expect(downloads).toHaveLength(1);
    expect(posts.map((p) => [p.content.kind, p.size])).toEqual([
      ['attached', MiB],
      ['attached', MiB],
    ]);
    expect(await filesIn(directory)).toEqual([]);
    const finished = await latest();
    expect(finished.delivery?.finishedAt).toBe(50_000);
    expect(finished.delivery?.download?.file).toBeUndefined();
  });

  it('keeps nothing past the bound: the retry downloads again, and no file is left', async () => {
    const delivery = deliveryUnderTest(MiB - 1);
    postAnswers.push({ kind: 'failed' });
    await delivery.deliver(await latest());
    expect(await filesIn(directory)).toEqual([]);
    expect((await latest()).delivery?.download?.file).toBeUndefined();
    await delivery.deliver(await latest());
    expect(downloads).toHaveLength(2);
    expect(posts.map((p) => [p.content.kind, p.size])).toEqual([
      ['attached', MiB],
      ['attached', MiB],
    ]);
    expect(await filesIn(directory)).toEqual([]);
  });

  it('downloads again when the kept file is no longer whole, and never sends the broken one', async () => {
    const delivery = deliveryUnderTest(2 * MiB);
    postAnswers.push({ kind: 'failed' });
    await delivery.deliver(await latest());
    await truncate(downloads[0]!, 1000);
    await delivery.deliver(await latest());
    expect(downloads).toHaveLength(2);
    expect(posts.map((p) => p.size)).toEqual([MiB, MiB]);
    expect(await filesIn(directory)).toEqual([]);
  });

  it('removes the kept file when delivery is given up', async () => {
    const delivery = deliveryUnderTest(2 * MiB);
    postAnswers.push({ kind: 'failed' });
    await delivery.deliver(await latest());
    expect(await filesIn(directory)).toHaveLength(1);
    await delivery.abandon?.(await latest());
    expect(await filesIn(directory)).toEqual([]);
    expect((await latest()).delivery?.download?.file).toBeUndefined();
  });

  it('neither sends nor removes a file that a record places outside the folder', async () => {
    const outside = join(root, 'sora-elsewhere.mp4');
    await writeFile(outside, Buffer.alloc(MiB));
    const task: TaskRecord = endedTask({
      delivery: {
        download: { state: 'done', at: 1, bytes: MiB, file: { path: outside, contentType: 'video/mp4' } },
      },
    });
    await store.putTask(task);
    const delivery = deliveryUnderTest(2 * MiB);
    await delivery.deliver(task);
    expect(downloads).toHaveLength(1);
    expect(posts.map((p) => p.content.kind === 'attached' && p.content.video.path)).toEqual([downloads[0]]);
    expect((await stat(outside)).size).toBe(MiB);
  });
});

describe('the sweep at start', () => {
  const processStart = Date.parse('2026-01-01T12:00:00Z');

  async function download(name: string, writtenAt: number): Promise<string> {
    const path = join(directory, name);
    await writeFile(path, 'mp4');
    await utimes(path, writtenAt / 1000, writtenAt / 1000);
    return path;
  }

  async function taskKeeping(id: string, path: string, active: boolean): Promise<void> {
    await store.putTask(
      endedTask({
        id,
        delivery: {
          startedAt: 1,
          download: { state: 'done', at: 1, bytes: 3, file: { path, contentType: 'video/mp4' } },
        },
      }),
    );
    if (active) await store.setActive(id, true);
  }

  it('removes what a dead process left, and keeps files of deliveries under way and of this process', async () => {
    await sweepDownloadDirectory({ directory, store, startedAt: processStart, logger }); // creates it
    const before = processStart - 60_000;
    const left = await download('sora-video_left-1.mp4', before);
    const finished = await download('sora-video_done-2.mp4', before);
    const kept = await download('sora-video_kept-3.mp4', before);
    const mine = await download('sora-video_mine-4.mp4', processStart + 1_000);
    const other = await download('notes.txt', before);
    await taskKeeping('video_kept', kept, true);
    // Its delivery finished and it left the active index: nothing waits for its file.
    await taskKeeping('video_done', finished, false);

    const removed = await sweepDownloadDirectory({ directory, store, startedAt: processStart, logger });

    expect(removed.sort()).toEqual([finished, left].sort());
    expect(await filesIn(directory)).toEqual(
      [kept, mine, other].map((path) => path.slice(directory.length + 1)).sort(),
    );
  });

  it('gives each shard a folder of its own, named after its namespace', () => {
    expect(shardDownloadDirectory('/var/tmp/bot', 'sora-tracker')).toBe(join('/var/tmp/bot', 'sora-tracker'));
    expect(shardDownloadDirectory('/var/tmp/bot', 'sora-tracker:shard-1-of-2')).toBe(
      join('/var/tmp/bot', 'sora-tracker_shard-1-of-2'),
    );
  });
});
