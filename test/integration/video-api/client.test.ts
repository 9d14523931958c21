/** getVideo against the fake API over real HTTP: every dialect's timeline, every fault, every error kind. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createVideoApiClient } from '../../../src/video-api/client.js';
import { VideoApiError } from '../../../src/video-api/errors.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';
import {
  DIALECTS,
  startFakeVideoApi,
  type Dialect,
  type TaskStep,
} from '../../../testkit/fake-video-api/index.js';
import { API_KEY, captureLogger, rejectionOf, startHarness, type Harness } from './support.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/seeds/${name}`, import.meta.url), 'utf8');

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setup(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

const TIMELINE: TaskStep[] = [
  { atMs: 0, status: 'queued', queuePosition: 2, estimatedWaitSeconds: 30 },
  { atMs: 10_000, status: 'in_progress', progress: 40 },
  { atMs: 20_000, status: 'completed', progress: 100 },
];

/** What each dialect lets us see at the running and completed stages. */
const EXPECTED: Record<
  Dialect,
  { runningRaw: string; runningProgress: number | undefined; link: boolean; size: string | undefined }
> = {
  openai: { runningRaw: 'in_progress', runningProgress: 40, link: false, size: '1280x720' },
  'seed-relay': { runningRaw: 'processing', runningProgress: 40, link: true, size: '1280x720' },
  'new-api': { runningRaw: 'in_progress', runningProgress: 40, link: true, size: undefined },
  'new-api-legacy': { runningRaw: 'IN_PROGRESS', runningProgress: 40, link: true, size: undefined },
  anyfast: { runningRaw: 'in_progress', runningProgress: 40, link: true, size: 'small' },
  juheapi: { runningRaw: 'processing', runningProgress: 40, link: true, size: undefined },
  globalaiopc: { runningRaw: 'processing', runningProgress: undefined, link: true, size: undefined },
  gsa: { runningRaw: 'in_progress', runningProgress: 40, link: true, size: '1280x720' },
};

describe('a task moving through its states, in every dialect', () => {
  it.each(DIALECTS)('%s: queued → running → completed', async (dialect) => {
    const { fake, client, clock } = await setup();
    const id = `task-${dialect}`;
    fake.addTask({ id, dialect, steps: TIMELINE, expiresAfterMs: 3_600_000 });

    const queued = await client.getVideo(id);
    expect(queued.status).toBe('queued');
    if (dialect === 'seed-relay')
      expect(queued).toMatchObject({ queuePosition: 2, estimatedWaitSeconds: 30 });

    await clock.advance(10_000);
    const running = await client.getVideo(id, { previous: queued });
    expect(running.status).toBe('in_progress');
    expect(running.rawStatus).toBe(EXPECTED[dialect].runningRaw);
    expect(running.progress).toBe(EXPECTED[dialect].runningProgress);

    await clock.advance(10_000);
    const done = await client.getVideo(id, { previous: running });
    expect(done.status).toBe('completed');
    expect(done.videoUrl).toBe(EXPECTED[dialect].link ? `${fake.cdnOrigin}/files/${id}` : undefined);
    expect(done.size).toBe(EXPECTED[dialect].size);
    expect(done.createdAt).toBeInstanceOf(Date);
  });

  it.each(DIALECTS)('%s: a failure carries its reason and never reads as success', async (dialect) => {
    const { fake, client } = await setup();
    fake.addTask({
      id: 'doomed',
      dialect,
      steps: [
        {
          atMs: 0,
          status: 'failed',
          progress: 60,
          failure: { message: 'Render node lost', code: 'render_error' },
        },
      ],
    });
    const snapshot = await client.getVideo('doomed');
    expect(snapshot.status).toBe('failed');
    expect(snapshot.failure).toEqual({ reason: 'Render node lost', moderation: false });
    expect(snapshot.videoUrl).toBeUndefined();
  });

  it('new-api reports 100 % on failure; the task is still failed', async () => {
    const { fake, client } = await setup();
    fake.addTask({
      id: 'na',
      dialect: 'new-api',
      steps: [{ atMs: 0, status: 'failed', failure: { message: 'timeout' } }],
    });
    const snapshot = await client.getVideo('na');
    expect(snapshot).toMatchObject({ status: 'failed', progress: 100 });
  });

  it.each<[Dialect, string]>([
    ['openai', 'moderation_blocked'],
    ['seed-relay', 'moderation_result'],
  ])('%s: a moderation block is flagged (%s)', async (dialect) => {
    const { fake, client } = await setup();
    fake.addTask({
      id: 'blocked',
      dialect,
      steps: [
        {
          atMs: 0,
          status: 'failed',
          failure: {
            message: 'Your request was blocked by our moderation system.',
            code: 'moderation_blocked',
            moderation: true,
          },
        },
      ],
    });
    expect((await client.getVideo('blocked')).failure).toEqual({
      reason: 'Your request was blocked by our moderation system.',
      moderation: true,
    });
  });
});

describe('the seed relay’s examples served byte for byte', () => {
  it('pending example', async () => {
    const { fake, client } = await setup();
    const id = 'sora-2:task_01k6x15vhrff09dkkqjrzwhm60';
    fake.addTask({ id, steps: [{ atMs: 0, body: fixture('get-video-pending.json') }] });
    expect(await client.getVideo(id)).toMatchObject({
      status: 'in_progress',
      rawStatus: 'processing',
      progress: 93,
    });
  });

  it('completed example', async () => {
    const { fake, client } = await setup();
    const id = 'video_5c6a605a-30c0-4a6a-9dbd-d1d6cfdd9980';
    fake.addTask({ id, steps: [{ atMs: 0, body: fixture('get-video-completed.json') }] });
    expect(await client.getVideo(id)).toMatchObject({
      status: 'completed',
      progress: 100,
      durationSeconds: 10,
      videoUrl:
        'https://midjourney-plus.oss-us-west-1.aliyuncs.com/sora/cc4fb429-22a5-4747-a6f9-a6badccf8f42.mp4',
    });
  });
});

describe('task ids', () => {
  it('sends an id with a colon unchanged as one path segment, not %3A', async () => {
    const { fake, client } = await setup();
    const id = 'sora-2:task_01k81e7r1mf0qtvp3ett3mr4jm';
    fake.addTask({ id, dialect: 'seed-relay', steps: TIMELINE });
    await client.getVideo(id);
    expect(fake.requests.map((r) => r.url)).toEqual([`/v1/videos/${id}`]);
  });

  it.each(['', '.', '..', 'a/b', '../../v1/admin', 'x?y=1', 'a'.repeat(201), 'video 1'])(
    'refuses %j before any request',
    async (id) => {
      const { fake, client } = await setup();
      const error = await rejectionOf(client.getVideo(id));
      expect(error).toBeInstanceOf(VideoApiError);
      expect((error as VideoApiError).kind).toBe('invalid_id');
      expect((error as VideoApiError).terminal).toBe(true);
      await rejectionOf(client.downloadVideo(id, { maxBytes: 1_000 }));
      expect(fake.requests).toHaveLength(0);
    },
  );

  it('tolerates a trailing slash in the base URL', async () => {
    const fake = await startFakeVideoApi({ apiKey: API_KEY });
    const client = createVideoApiClient({
      allowPrivateUrls: true,
      baseUrl: `${fake.baseUrl}/`,
      apiKey: API_KEY,
      logger: captureLogger().logger,
    });
    try {
      fake.addTask({ id: 'v1', steps: TIMELINE });
      await client.getVideo('v1');
      expect(fake.requests[0]!.url).toBe('/v1/videos/v1');
    } finally {
      await client.close();
      await fake.close();
    }
  });
});

describe('errors', () => {
  it.each<['openai' | 'new-api' | 'gsa', number]>([
    ['openai', 404],
    ['new-api', 400],
    ['gsa', 404],
  ])('an unknown id in %s style (HTTP %i) is a terminal not_found, asked once', async (style, status) => {
    const { fake, client } = await setup({ fake: { notFound: style } });
    const error = (await rejectionOf(client.getVideo('video_missing'))) as VideoApiError;
    expect(error).toMatchObject({ kind: 'not_found', status, terminal: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('a 200 that only holds task_not_exist is not_found too', async () => {
    const { fake, client } = await setup();
    fake.addTask({
      id: 'gone',
      steps: [{ atMs: 0, body: { code: 'task_not_exist', message: 'task_not_exist', data: null } }],
    });
    expect(await rejectionOf(client.getVideo('gone'))).toMatchObject({ kind: 'not_found' });
  });

  it('a task that disappears mid-way becomes not_found', async () => {
    const { fake, client } = await setup();
    fake.addTask({ id: 'v', steps: TIMELINE });
    await client.getVideo('v');
    fake.removeTask('v');
    expect(await rejectionOf(client.getVideo('v'))).toMatchObject({ kind: 'not_found' });
  });

  it('a wrong key is a terminal unauthorized; the message never shows the key', async () => {
    const fake = await startFakeVideoApi({ apiKey: 'sk-the-right-key' });
    const wrongKey = 'sk-wrong-key-0123456789abcdef';
    const client = createVideoApiClient({
      allowPrivateUrls: true,
      baseUrl: fake.baseUrl,
      apiKey: wrongKey,
      logger: captureLogger().logger,
    });
    try {
      fake.addTask({ id: 'v', steps: TIMELINE });
      const error = (await rejectionOf(client.getVideo('v'))) as VideoApiError;
      expect(error).toMatchObject({ kind: 'unauthorized', status: 401, terminal: true });
      expect(error.message).not.toContain(wrongKey);
      expect(error.message).not.toContain('0123456789abcdef');
      expect(fake.requests).toHaveLength(1);
    } finally {
      await client.close();
      await fake.close();
    }
  });

  it('403 is unauthorized too', async () => {
    const { fake, client } = await setup();
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({
      route: 'status',
      fault: { kind: 'status', status: 403, body: { error: { message: 'Country not supported' } } },
    });
    expect(await rejectionOf(client.getVideo('v'))).toMatchObject({ kind: 'unauthorized', status: 403 });
  });

  it.each<[string, string, number]>([
    ['seconds', '7', 7_000],
    ['an HTTP date', new Date(Date.UTC(2026, 0, 1) + 30_000).toUTCString(), 30_000],
  ])(
    '429 with Retry-After as %s → rate_limited with retryAfterMs, not retried',
    async (_name, retryAfter, expected) => {
      const { fake, client } = await setup();
      fake.addTask({ id: 'v', steps: TIMELINE });
      fake.addFault({
        route: 'status',
        fault: {
          kind: 'status',
          status: 429,
          headers: { 'retry-after': retryAfter },
          body: { error: { message: 'Rate limit reached' } },
        },
      });
      const error = (await rejectionOf(client.getVideo('v'))) as VideoApiError;
      expect(error).toMatchObject({
        kind: 'rate_limited',
        status: 429,
        retryAfterMs: expected,
        terminal: false,
      });
      expect(fake.requests).toHaveLength(1);
    },
  );

  it('another 4xx is bad_request with the upstream message, not retried', async () => {
    const { fake, client } = await setup();
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({
      route: 'status',
      fault: { kind: 'status', status: 422, body: { error: { message: 'Unsupported model' } } },
    });
    const error = (await rejectionOf(client.getVideo('v'))) as VideoApiError;
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain('Unsupported model');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('transient failures are retried with bounded exponential backoff and jitter', () => {
  it.each<[string, Parameters<Harness['fake']['addFault']>[0]['fault']]>([
    ['HTTP 500', { kind: 'status', status: 500 }],
    [
      'HTTP 502',
      {
        kind: 'status',
        status: 502,
        body: { error: { message: 'Upstream service returned status 500', type: 'server_error' } },
      },
    ],
    ['HTTP 503', { kind: 'status', status: 503 }],
    ['malformed JSON', { kind: 'malformed-json' }],
    ['a reset connection', { kind: 'reset' }],
    ['a non-object JSON body', { kind: 'status', status: 200, body: '"just a string"' }],
  ])('%s once, then success', async (_name, fault) => {
    const { fake, client, clientClock } = await setup();
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({ route: 'status', fault });
    expect((await client.getVideo('v')).status).toBe('queued');
    expect(fake.requests).toHaveLength(2);
    expect(clientClock.sleeps).toHaveLength(1);
  });

  it('gives up after the configured attempts with a transient error', async () => {
    const { fake, client, clientClock } = await setup({
      client: { retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 }, random: () => 1 },
    });
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({ route: 'status', times: Infinity, fault: { kind: 'status', status: 502 } });
    const error = (await rejectionOf(client.getVideo('v'))) as VideoApiError;
    expect(error).toMatchObject({ kind: 'transient', status: 502, terminal: false });
    expect(fake.requests).toHaveLength(4);
    // 100, 200, then capped at 250 (random() = 1 takes the full ceiling).
    expect(clientClock.sleeps).toEqual([100, 200, 250]);
  });

  it('jitter draws between half and all of each ceiling', async () => {
    const { fake, client, clientClock } = await setup({
      client: { retry: { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000 }, random: () => 0 },
    });
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({ route: 'status', times: Infinity, fault: { kind: 'status', status: 500 } });
    await rejectionOf(client.getVideo('v'));
    expect(clientClock.sleeps).toEqual([500, 1_000]);
  });

  it('a stall past the headers timeout is transient', async () => {
    const { fake, client } = await setup({
      client: { timeoutMs: 300, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({ route: 'status', fault: { kind: 'stall' } });
    const error = (await rejectionOf(client.getVideo('v'))) as VideoApiError;
    expect(error).toMatchObject({ kind: 'transient' });
    expect(error.message).toContain('timed out');
  });

  it('a body that stalls past the body timeout is transient, and the retry succeeds', async () => {
    const { fake, client } = await setup({ client: { timeoutMs: 300 } });
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({ route: 'status', fault: { kind: 'stall-body' } });
    expect((await client.getVideo('v')).status).toBe('queued');
    expect(fake.requests).toHaveLength(2);
  });

  it('an unreachable API is transient', async () => {
    const fake = await startFakeVideoApi({ apiKey: API_KEY });
    const baseUrl = fake.baseUrl;
    await fake.close();
    const client = createVideoApiClient({
      allowPrivateUrls: true,
      baseUrl,
      apiKey: API_KEY,
      logger: captureLogger().logger,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    try {
      const error = (await rejectionOf(client.getVideo('v'))) as VideoApiError;
      expect(error).toMatchObject({ kind: 'transient', status: undefined });
      expect(error.message).toContain('connection refused');
    } finally {
      await client.close();
    }
  });

  it('an abort stops the call with the abort reason, not a VideoApiError', async () => {
    const { fake, client } = await setup({ client: { timeoutMs: 10_000 } });
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({ route: 'status', fault: { kind: 'stall' } });
    const controller = new AbortController();
    const call = rejectionOf(client.getVideo('v', { signal: controller.signal }));
    await fake.waitForRequest(() => true, { includePast: true });
    controller.abort(new Error('shutting down'));
    expect(await call).toEqual(new Error('shutting down'));
  });
});

describe('the polling cadence hint', () => {
  it('passes on openai-poll-after-ms, and leaves it out when not sent', async () => {
    const { fake, client } = await setup();
    fake.addTask({ id: 'hinted', steps: TIMELINE, pollAfterMs: 15_000 });
    fake.addTask({ id: 'plain', steps: TIMELINE });
    expect((await client.getVideo('hinted')).pollAfterMs).toBe(15_000);
    expect(await client.getVideo('plain')).not.toHaveProperty('pollAfterMs');
  });

  it('caps an absurd hint at 10 minutes', async () => {
    const { fake, client } = await setup();
    fake.addTask({ id: 'v', steps: TIMELINE, pollAfterMs: 86_400_000 });
    expect((await client.getVideo('v')).pollAfterMs).toBe(600_000);
  });
});

describe('progress memory and logging', () => {
  const backwards: TaskStep[] = [
    { atMs: 0, body: { status: 'in_progress', progress: 60 } },
    { atMs: 1_000, body: { status: 'in_progress', progress: 40 } },
    { atMs: 2_000, body: { status: 'in_progress', progress: null } },
  ];

  it('keeps progress monotonic across calls even without `previous`', async () => {
    const { fake, client, clock } = await setup();
    fake.addTask({ id: 'v', steps: backwards });
    expect((await client.getVideo('v')).progress).toBe(60);
    await clock.advance(1_000);
    expect((await client.getVideo('v')).progress).toBe(60);
    await clock.advance(1_000);
    expect((await client.getVideo('v')).progress).toBe(60);
  });

  it('`previous` wins over the memory (e.g. a snapshot restored after a restart)', async () => {
    const { fake, client, clock } = await setup();
    fake.addTask({ id: 'v', steps: backwards });
    await client.getVideo('v');
    await clock.advance(1_000);
    const restored = { progress: 10 } as VideoSnapshot;
    expect((await client.getVideo('v', { previous: restored })).progress).toBe(40);
    const further = { progress: 80 } as VideoSnapshot;
    expect((await client.getVideo('v', { previous: further })).progress).toBe(80);
  });

  it('logs an unknown status once per task, and counts it as running', async () => {
    const { fake, client, log } = await setup();
    fake.addTask({ id: 'a', steps: [{ atMs: 0, body: { status: 'warming_up', progress: 5 } }] });
    fake.addTask({ id: 'b', steps: [{ atMs: 0, body: { status: 'warming_up', progress: 5 } }] });
    for (let i = 0; i < 3; i++) expect((await client.getVideo('a')).status).toBe('in_progress');
    await client.getVideo('b');
    const warnings = log
      .entries()
      .filter((entry) => entry.msg === 'unrecognised video status; counted as running');
    expect(warnings.map((entry) => [entry.taskId, entry.status])).toEqual([
      ['a', 'warming_up'],
      ['b', 'warming_up'],
    ]);
  });

  it('forgets the least recently used tasks beyond its capacity', async () => {
    const { fake, client, clock, log } = await setup({ client: { rememberTasks: 2 } });
    for (const id of ['a', 'b', 'c']) fake.addTask({ id, steps: [{ atMs: 0, body: { status: 'odd' } }] });
    await client.getVideo('a');
    await client.getVideo('b');
    await client.getVideo('c'); // evicts a
    await clock.advance(1);
    await client.getVideo('a'); // logged again: it was forgotten
    await client.getVideo('c'); // still remembered
    const logged = log
      .entries()
      .filter((e) => e.msg === 'unrecognised video status; counted as running')
      .map((e) => e.taskId);
    expect(logged).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('the key and the connection', () => {
  it('sends the key in the Authorization header, and never logs it, even at trace level', async () => {
    const { fake, client, log } = await setup();
    fake.addTask({ id: 'v', steps: TIMELINE });
    fake.addFault({
      route: 'status',
      fault: { kind: 'status', status: 500, body: { error: { message: `bad key ${API_KEY}` } } },
    });
    await client.getVideo('v');
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${API_KEY}`)).toBe(true);
    expect(log.lines.length).toBeGreaterThan(0);
    expect(log.lines.join('\n')).not.toContain(API_KEY);
  });

  it('caps the requests in flight', async () => {
    const { fake, client } = await setup({
      client: { maxInFlight: 2, timeoutMs: 300, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    for (let i = 0; i < 5; i++) fake.addTask({ id: `v${i}`, steps: TIMELINE });
    fake.addFault({ route: 'status', times: 5, fault: { kind: 'stall' } });
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => client.getVideo(`v${i}`)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(fake.requests).toHaveLength(5);
    expect(fake.peakInFlight).toBe(2);
  });

  it('reuses keep-alive connections for sequential polls', async () => {
    const { fake, client } = await setup();
    fake.addTask({ id: 'v', steps: TIMELINE });
    for (let i = 0; i < 10; i++) await client.getVideo('v');
    // undici may open a second socket while the first is being returned to the pool; never one per poll.
    expect(fake.connections).toBeLessThanOrEqual(2);
  });
});
