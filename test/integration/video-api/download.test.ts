/** downloadVideo against the fake API: every /content behaviour in docs/video-api.md (the content endpoint, truncated downloads, expiring links), redirects and the key. */
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VideoApiError } from '../../../src/video-api/errors.js';
import { videoBytes, type Dialect } from '../../../testkit/fake-video-api/index.js';
import {
  API_KEY,
  completed,
  expectFile,
  rejectionOf,
  startHarness,
  tempDirectory,
  type Harness,
} from './support.js';

const MiB = 1024 * 1024;
let harness: Harness;
let dir: Awaited<ReturnType<typeof tempDirectory>>;

beforeEach(async () => {
  harness = await startHarness();
  dir = await tempDirectory();
});
afterEach(async () => {
  await harness.close();
  await dir.remove();
});

describe('bytes from /content (OpenAI, new-api, GSA)', () => {
  it('streams the MP4 to a temp file in the given directory, byte for byte, with the key', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('video_1', { video: { bytes: 300_000 } }));
    const result = await client.downloadVideo('video_1', { maxBytes: MiB, directory: dir.path });
    expectFile(result);
    expect(result).toMatchObject({ bytes: 300_000, contentType: 'video/mp4', publicUrl: undefined });
    expect(dirname(result.path)).toBe(dir.path);
    expect((await readFile(result.path)).equals(videoBytes(300_000))).toBe(true);
    expect(fake.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/v1/videos/video_1/content', `Bearer ${API_KEY}`],
    ]);
    await result.cleanup();
    await result.cleanup();
    expect(await dir.files()).toEqual([]);
  });

  it('accepts application/octet-stream and a body without Content-Length', async () => {
    const { fake, client } = harness;
    fake.addTask(
      completed('v', {
        video: { bytes: 5_000, contentType: 'application/octet-stream', contentLength: false },
      }),
    );
    const result = await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path });
    expectFile(result);
    expect(result).toMatchObject({ bytes: 5_000, contentType: 'application/octet-stream' });
  });

  it('sends an id with a colon unchanged', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm'));
    expectFile(
      await client.downloadVideo('sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm', {
        maxBytes: MiB,
        directory: dir.path,
      }),
    );
    expect(fake.requests[0]!.url).toBe('/v1/videos/sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm/content');
  });

  it('defaults to the system temp directory', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v'));
    const result = await client.downloadVideo('v', { maxBytes: MiB });
    expectFile(result);
    expect((await stat(result.path)).size).toBe(64 * 1024);
    await result.cleanup();
  });
});

describe('links and who gets the key', () => {
  it('fetches a known public link on another origin without the key, and returns it', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { dialect: 'seed-relay', video: { bytes: 10_000 } }));
    const snapshot = await client.getVideo('v');
    const result = await client.downloadVideo('v', {
      maxBytes: MiB,
      knownUrl: snapshot.videoUrl,
      directory: dir.path,
    });
    expectFile(result);
    expect(result.publicUrl).toBe(`${fake.cdnOrigin}/files/v`);
    const cdn = fake.requests.filter((r) => r.server === 'cdn');
    expect(cdn).toHaveLength(1);
    expect(cdn[0]!.headers.authorization).toBeUndefined();
  });

  it('remembers the link from getVideo when knownUrl is omitted', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { dialect: 'juheapi' }));
    await client.getVideo('v');
    const result = await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path });
    expectFile(result);
    expect(result.publicUrl).toBe(`${fake.cdnOrigin}/files/v`);
    expect(fake.requests.filter((r) => r.route === 'content')).toHaveLength(0);
  });

  it('falls back to /content when the public link is dead', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { dialect: 'new-api' }));
    fake.addFault({ route: 'file', fault: { kind: 'status', status: 404 } });
    const result = await client.downloadVideo('v', {
      maxBytes: MiB,
      knownUrl: `${fake.cdnOrigin}/files/v`,
      directory: dir.path,
    });
    expectFile(result);
    expect(fake.requests.map((r) => `${r.server} ${r.route}`)).toEqual(['cdn file', 'api content']);
  });

  it('follows /content answering JSON with url/video_url (anyfast), without sending the key there', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('video_69b1', { dialect: 'anyfast', video: { bytes: 20_000 } }));
    const result = await client.downloadVideo('video_69b1', { maxBytes: MiB, directory: dir.path });
    expectFile(result);
    expect(result.bytes).toBe(20_000);
    expect(result.publicUrl).toBe(`${fake.cdnOrigin}/files/video_69b1`);
    const [content, file] = fake.requests;
    expect(content).toMatchObject({ server: 'api', route: 'content' });
    expect(content!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(file).toMatchObject({ server: 'cdn', route: 'file' });
    expect(file!.headers.authorization).toBeUndefined();
  });

  it('follows a redirect to another origin on 127.0.0.1 without forwarding the key', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { video: { delivery: 'redirect', redirectHops: 2, redirectTo: 'cdn' } }));
    expectFile(await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }));
    expect(fake.requests.map((r) => [r.server, r.headers.authorization])).toEqual([
      ['api', `Bearer ${API_KEY}`],
      ['api', `Bearer ${API_KEY}`],
      ['cdn', undefined],
    ]);
  });

  it('keeps the key across same-origin redirects (the target requires it)', async () => {
    const { fake, client } = harness;
    fake.addTask(
      completed('v', { video: { delivery: 'redirect', redirectHops: 5, redirectTo: 'same-origin' } }),
    );
    expectFile(await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }));
    expect(fake.requests).toHaveLength(6);
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${API_KEY}`)).toBe(true);
  });

  it('stops after 5 redirects', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { video: { delivery: 'redirect', redirectHops: 7 } }));
    const error = (await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain('more than 5');
    expect(fake.requests).toHaveLength(6);
  });
});

describe('answers that are not a video', () => {
  it('the seed relay’s /content JSON without a link yet is "no file yet", neither a file nor a failure', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v'));
    fake.addFault({
      route: 'content',
      fault: {
        kind: 'status',
        status: 200,
        body: {
          id: 'v',
          status: 'processing',
          video_url: null,
          enhanced_prompt: 'x',
          status_update_time: 1759763621142,
        },
      },
    });
    const result = await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path });
    expect(result).toEqual({ kind: 'not_ready', rawStatus: 'processing', publicUrl: undefined });
    expect(await dir.files()).toEqual([]);
  });

  it('a JSON error document is a failure with its message', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v'));
    fake.addFault({
      route: 'content',
      fault: { kind: 'status', status: 200, body: { error: { message: 'video purged' } } },
    });
    const error = (await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain('video purged');
  });

  it('HTML instead of a video is refused', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { video: { contentType: 'text/html; charset=utf-8' } }));
    const error = (await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain('text/html');
  });

  it.each<[Dialect, string]>([
    ['new-api', 'Task is not completed yet, current status: IN_PROGRESS'],
    ['gsa', '任务尚未完成（当前状态: in_progress）'],
  ])('%s: /content before completion is bad_request, not retried', async (dialect, message) => {
    const { fake, client } = harness;
    fake.addTask({ id: 'v', dialect, steps: [{ atMs: 0, status: 'in_progress', progress: 50 }] });
    const error = (await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error).toMatchObject({ kind: 'bad_request', status: 400 });
    expect(error.message).toContain(message);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('expiry', () => {
  it('a 404 after expires_at is "expired", known from getVideo', async () => {
    const { fake, client, clock } = harness;
    fake.addTask(completed('v', { expiresAfterMs: 3_600_000 }));
    const snapshot = await client.getVideo('v');
    expect(snapshot.expiresAt).toEqual(new Date(clock.now() + 3_600_000));
    await clock.advance(3_600_000);
    const error = (await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error).toMatchObject({ kind: 'expired', status: 404, terminal: true });
  });

  it('a 404 after the expiresAt option is "expired"; before it, "not_found"', async () => {
    const { fake, client, clock } = harness;
    fake.addTask(completed('v'));
    fake.addFault({ route: 'content', times: 2, fault: { kind: 'status', status: 404 } });
    const notYet = await rejectionOf(
      client.downloadVideo('v', {
        maxBytes: MiB,
        expiresAt: new Date(clock.now() + 1_000),
        directory: dir.path,
      }),
    );
    expect(notYet).toMatchObject({ kind: 'not_found' });
    const past = await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, expiresAt: new Date(clock.now() - 1), directory: dir.path }),
    );
    expect(past).toMatchObject({ kind: 'expired' });
  });
});

describe('expiry from a stored snapshot', () => {
  it('accepts expiresAt as the ISO text a Date becomes in a JSON store', async () => {
    const { fake, client, clock } = harness;
    fake.addTask(completed('v'));
    fake.addFault({ route: 'content', fault: { kind: 'status', status: 404 } });
    const restored = JSON.parse(JSON.stringify({ expiresAt: new Date(clock.now() - 1) })) as {
      expiresAt: Date;
    };
    const error = await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, expiresAt: restored.expiresAt, directory: dir.path }),
    );
    expect(error).toMatchObject({ kind: 'expired' });
  });
});

describe('verified, retried downloads', () => {
  it('a truncated transfer is retried and the second one succeeds', async () => {
    const { fake, client, clientClock } = harness;
    fake.addTask(completed('v', { video: { bytes: 200_000 } }));
    fake.addFault({ route: 'content', fault: { kind: 'truncate', afterBytes: 70_000 } });
    const result = await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path });
    expectFile(result);
    expect(result.bytes).toBe(200_000);
    expect(fake.transfers.map((t) => t.bytesSent)).toEqual([70_000, 200_000]);
    expect(clientClock.sleeps).toHaveLength(1);
    expect(await dir.files()).toHaveLength(1);
  });

  it('persistent truncation ends as transient, with no partial file left', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { video: { bytes: 200_000 } }));
    fake.addFault({ route: 'content', times: Infinity, fault: { kind: 'truncate', afterBytes: 70_000 } });
    const error = (await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('cut off');
    expect(fake.transfers).toHaveLength(3);
    expect(await dir.files()).toEqual([]);
  });

  it.each([500, 502, 503])(
    'HTTP %i on /content is retried (only the download, never the task)',
    async (status) => {
      const { fake, client } = harness;
      fake.addTask(completed('v'));
      fake.addFault({ route: 'content', times: 2, fault: { kind: 'status', status } });
      expectFile(await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }));
      expect(fake.requests.map((r) => r.route)).toEqual(['content', 'content', 'content']);
    },
  );

  it('a body that stalls past the timeout is transient', async () => {
    await harness.close();
    harness = await startHarness({
      client: { timeoutMs: 300, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    const { fake, client } = harness;
    fake.addTask(completed('v'));
    fake.addFault({ route: 'content', fault: { kind: 'stall-body', afterBytes: 1_000 } });
    const error = (await rejectionOf(
      client.downloadVideo('v', { maxBytes: 20 * MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error.kind).toBe('transient');
    expect(await dir.files()).toEqual([]);
  });

  it('an abort stops the download with its reason and leaves no partial file', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v'));
    fake.addFault({ route: 'content', fault: { kind: 'stall-body', afterBytes: 50_000 } });
    const controller = new AbortController();
    const download = rejectionOf(
      client.downloadVideo('v', { maxBytes: 20 * MiB, directory: dir.path, signal: controller.signal }),
    );
    await fake.waitForRequest((r) => r.route === 'content', { includePast: true });
    controller.abort(new Error('shutting down'));
    expect(await download).toEqual(new Error('shutting down'));
    expect(await dir.files()).toEqual([]);
  });

  it('429 on a download is rate_limited with Retry-After', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v'));
    fake.addFault({
      route: 'content',
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '12' } },
    });
    expect(
      await rejectionOf(client.downloadVideo('v', { maxBytes: MiB, directory: dir.path })),
    ).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 12_000,
    });
  });
});

describe('too large (stops early, reads no more)', () => {
  it('by Content-Length: 50 MiB against a 10 MiB cap, the connection is closed at once', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('big', { video: { bytes: 50 * MiB } }));
    const result = await client.downloadVideo('big', { maxBytes: 10 * MiB, directory: dir.path });
    expect(result).toEqual({ kind: 'too_large', bytes: 50 * MiB, publicUrl: undefined });
    const [transfer] = fake.transfers;
    await transfer!.done;
    expect(transfer!.closedEarly).toBe(true);
    // Socket buffers may take a few MiB before the hang-up is seen; nowhere near the 50 MiB.
    expect(transfer!.bytesSent).toBeLessThan(10 * MiB);
    expect(await dir.files()).toEqual([]);
  });

  it('by bytes received (no Content-Length): stops past 10 MiB and deletes the partial file', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('big', { dialect: 'gsa', video: { bytes: 50 * MiB, contentLength: false } }));
    const snapshot = await client.getVideo('big');
    const result = await client.downloadVideo('big', {
      maxBytes: 10 * MiB,
      knownUrl: snapshot.videoUrl,
      directory: dir.path,
    });
    expect(result).toEqual({ kind: 'too_large', bytes: undefined, publicUrl: `${fake.cdnOrigin}/files/big` });
    const [transfer] = fake.transfers;
    await transfer!.done;
    expect(transfer!.closedEarly).toBe(true);
    expect(transfer!.bytesSent).toBeLessThan(25 * MiB);
    expect(await dir.files()).toEqual([]);
  });

  it('exactly maxBytes is still a file', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { video: { bytes: 100_000 } }));
    const result = await client.downloadVideo('v', { maxBytes: 100_000, directory: dir.path });
    expect(result.kind).toBe('file');
  });
});
