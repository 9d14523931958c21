/**
 * A host that sends a byte now and then never trips an idle timeout: only an overall deadline ends its
 * download. And however many downloads are stuck, they hold their own slots, never the status polls'.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSystemClock } from '../../../src/scheduling/clock.js';
import type { VideoApiError } from '../../../src/video-api/errors.js';
import { rejectionOf, startHarness, tempDirectory, waitFor, type Harness } from './support.js';

const MiB = 1024 * 1024;
let harness: Harness | undefined;
let dir: Awaited<ReturnType<typeof tempDirectory>> | undefined;

afterEach(async () => {
  await harness?.close();
  await dir?.remove();
});

describe('downloads apart from polls', () => {
  it('ends a slow-drip download at its deadline, as a transient failure, leaving no file', async () => {
    dir = await tempDirectory();
    harness = await startHarness({
      // Real time: the drip and the deadline both run on the event loop's timers.
      client: {
        clock: createSystemClock(),
        timeoutMs: 1_000,
        downloadDeadlineMs: 1_500,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      },
    });
    const { fake, client } = harness;
    fake.addTask({ id: 'video_drip', steps: [{ atMs: 0, status: 'completed' }] });
    fake.addFault({
      route: 'file',
      times: Infinity,
      fault: { kind: 'drip', bytesPerTick: 64, everyMs: 100 },
    });
    fake.addFault({
      route: 'content',
      times: Infinity,
      fault: { kind: 'drip', bytesPerTick: 64, everyMs: 100 },
    });

    const error = (await rejectionOf(
      client.downloadVideo('video_drip', { maxBytes: 20 * MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/took longer than 2 s/);
    expect(await dir.files()).toEqual([]);
  });

  it('answers status polls while every download slot is held by a stalled file', async () => {
    dir = await tempDirectory();
    harness = await startHarness({ client: { maxInFlight: 2, maxDownloads: 2 } });
    const { fake, client } = harness;
    for (let i = 0; i < 4; i++) fake.addTask({ id: `video_${i}`, steps: [{ atMs: 0, status: 'completed' }] });
    fake.addFault({ route: 'content', times: Infinity, fault: { kind: 'stall-body', afterBytes: 1024 } });
    const controller = new AbortController();
    const downloads = [0, 1, 2, 3].map((i) =>
      client
        .downloadVideo(`video_${i}`, { maxBytes: 20 * MiB, directory: dir!.path, signal: controller.signal })
        .catch(() => undefined),
    );
    await waitFor(() => fake.requests.filter((request) => request.route === 'content').length >= 2);

    // With two slots shared, two stalled downloads would hold up every poll until they time out.
    const readings = await Promise.all([
      client.getVideo('video_0'),
      client.getVideo('video_1'),
      client.getVideo('video_2'),
    ]);
    expect(readings.map((reading) => reading.status)).toEqual(['completed', 'completed', 'completed']);
    // Only two downloads ever reached the API at once.
    expect(fake.requests.filter((request) => request.route === 'content')).toHaveLength(2);
    controller.abort();
    await Promise.all(downloads);
  });
});
