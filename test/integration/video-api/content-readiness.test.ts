/**
 * `/content` answering JSON without a file: what it means (pure), how the client reports it, and how
 * long to wait for the file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  nextNotReadyStep,
  notReadyRetryDelay,
  readContentDocument,
} from '../../../src/video-api/content-readiness.js';
import { API_KEY, startHarness, tempDirectory, type Harness } from './support.js';

const SECRETS = [API_KEY];

describe('readContentDocument', () => {
  it('reads the relay document’s 200 shape with video_url null as no file yet, whatever the status word', () => {
    // What Prism makes up from the seed document's schema, and what relays answer meanwhile.
    const madeUp = {
      id: 'string',
      status: 'string',
      video_url: null,
      enhanced_prompt: 'string',
      status_update_time: 0,
    };
    expect(readContentDocument(madeUp, SECRETS)).toEqual({ kind: 'not_ready', rawStatus: 'string' });
    for (const status of ['processing', 'queued', 'pending', 'completed', 'SUCCESS']) {
      expect(readContentDocument({ ...madeUp, status }, SECRETS)).toEqual({
        kind: 'not_ready',
        rawStatus: status,
      });
    }
    expect(readContentDocument({ id: 'v', video_url: null }, SECRETS)).toEqual({
      kind: 'not_ready',
      rawStatus: undefined,
    });
  });

  it('a failed status is a failure with its reason, scrubbed of the key', () => {
    expect(
      readContentDocument(
        { id: 'v', status: 'failed', video_url: null, fail_reason: `upstream rejected key ${API_KEY}` },
        SECRETS,
      ),
    ).toEqual({ kind: 'failed', reason: 'upstream rejected key [redacted]' });
    expect(readContentDocument({ status: 'FAILURE' }, SECRETS)).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/failed without a reason/),
    });
  });

  it('a link wins; error envelopes, unknown ids and shapeless JSON are told apart', () => {
    expect(readContentDocument({ status: 'completed', url: 'https://cdn.example/v.mp4' }, SECRETS)).toEqual({
      kind: 'link',
      url: 'https://cdn.example/v.mp4',
    });
    expect(readContentDocument({ code: 'task_not_exist', message: 'task_not_exist' }, SECRETS)).toEqual({
      kind: 'not_found',
    });
    expect(readContentDocument({ error: { message: 'quota exhausted' } }, SECRETS)).toEqual({
      kind: 'error',
      message: 'quota exhausted',
    });
    // OpenAI's document types the JSON variant of /content as a string: Prism answers "string".
    for (const shapeless of ['string', {}, [], 42]) {
      expect(readContentDocument(shapeless, SECRETS)).toEqual({ kind: 'unrecognised' });
    }
  });
});

describe('waiting for the file', () => {
  const backoff = { firstDelayMs: 10_000, maxDelayMs: 60_000, giveUpAfterMs: 10 * 60_000 };

  it('doubles the delay from the first up to the cap', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => notReadyRetryDelay(n, backoff))).toEqual([
      10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('tries for the last time at the bound, then gives up', () => {
    const since = 1_000_000;
    expect(nextNotReadyStep({ since, attempts: 1 }, since, backoff)).toEqual({
      kind: 'retry',
      at: since + 10_000,
    });
    expect(nextNotReadyStep({ since, attempts: 12 }, since + 9.5 * 60_000, backoff)).toEqual({
      kind: 'retry',
      at: since + 10 * 60_000,
    });
    expect(nextNotReadyStep({ since, attempts: 13 }, since + 10 * 60_000, backoff)).toEqual({
      kind: 'give_up',
    });
  });
});

describe('downloadVideo when /content has no file yet', () => {
  let harness: Harness;
  let dir: Awaited<ReturnType<typeof tempDirectory>>;
  beforeEach(async () => {
    harness = await startHarness({ fake: { strictHeaders: true } });
    dir = await tempDirectory();
  });
  afterEach(async () => {
    await harness.close();
    await dir.remove();
  });

  it('answers not_ready (once, no retries, no file), then the file once it is there', async () => {
    const { fake, client, clock, clientClock } = harness;
    fake.addTask({
      id: 'sora-2:task_late',
      dialect: 'seed-relay',
      steps: [{ atMs: 0, status: 'completed' }],
      video: { bytes: 4_000, publicLink: false, fileReadyAfterMs: 30_000 },
    });
    const early = await client.downloadVideo('sora-2:task_late', { maxBytes: 1 << 20, directory: dir.path });
    expect(early).toEqual({ kind: 'not_ready', rawStatus: 'processing', publicUrl: undefined });
    expect(fake.requests.filter((r) => r.route === 'content')).toHaveLength(1);
    expect(clientClock.sleeps).toEqual([]);
    expect(await dir.files()).toEqual([]);

    await clock.advance(30_000);
    const late = await client.downloadVideo('sora-2:task_late', { maxBytes: 1 << 20, directory: dir.path });
    expect(late).toMatchObject({ kind: 'file', bytes: 4_000 });
    if (late.kind === 'file') await late.cleanup();
  });

  it('answers failed with the reason when /content says the video failed', async () => {
    const { fake, client } = harness;
    fake.addTask({ id: 'v', dialect: 'seed-relay', steps: [{ atMs: 0, status: 'completed' }] });
    fake.addFault({
      route: 'content',
      fault: {
        kind: 'status',
        status: 200,
        body: { id: 'v', status: 'failed', video_url: null, failure_reason: 'Render node lost' },
      },
    });
    const result = await client.downloadVideo('v', { maxBytes: 1 << 20, directory: dir.path });
    expect(result).toEqual({ kind: 'failed', reason: 'Render node lost', publicUrl: undefined });
  });

  it('a JSON answer with neither a link nor a status is a clear error, not a quote of placeholder text', async () => {
    const { fake, client } = harness;
    fake.addTask({ id: 'v', steps: [{ atMs: 0, status: 'completed' }] });
    fake.addFault({
      route: 'content',
      times: Infinity,
      fault: { kind: 'status', status: 200, body: '"string"' },
    });
    await expect(client.downloadVideo('v', { maxBytes: 1 << 20, directory: dir.path })).rejects.toMatchObject(
      {
        kind: 'bad_request',
        message: 'The video API answered with JSON that holds neither a video link nor a status.',
      },
    );
  });
});
