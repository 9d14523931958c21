import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/ops/logger.js';
import { createVideoApiClient, type VideoApiClient } from '../../../src/video-api/client.js';
import { VideoApiError } from '../../../src/video-api/errors.js';
import { startFakeVideoApi, type FakeVideoApi } from '../../../testkit/fake-video-api/index.js';
import {
  expectSoundSnapshot,
  hostileTaskBody,
  hostileValue,
  previousProgress,
} from '../../support/arbitraries.js';

/**
 * The real client over real HTTP, the fake API serving each generated body verbatim: whatever comes
 * back — hostile JSON, text that is not JSON, a cut document, a body far too large, any status with any
 * `Retry-After` — getVideo resolves a sound snapshot or rejects with a typed VideoApiError whose message
 * is short and free of our key. Nothing else ever escapes it.
 */
const API_KEY = 'sk-property-client-key-0123456789';

let api: FakeVideoApi;
let client: VideoApiClient;
let next = 0;

beforeAll(async () => {
  api = await startFakeVideoApi({ apiKey: API_KEY, recordRequests: false });
  client = createVideoApiClient({
    baseUrl: api.baseUrl,
    allowPrivateUrls: true,
    apiKey: API_KEY,
    logger: createLogger({ level: 'silent', secrets: [] }),
    timeoutMs: 2_000,
    // One try: each generated answer is judged on its own.
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
});
afterAll(async () => {
  await client.close();
  await api.close();
});

/** Either a sound snapshot or a VideoApiError fit to show; anything else fails the property. */
async function expectSnapshotOrTypedError(id: string, previous: number | undefined): Promise<void> {
  let outcome: unknown;
  try {
    outcome = await client.getVideo(id, {
      previous: previous === undefined ? undefined : ({ progress: previous } as never),
    });
  } catch (error) {
    expect(error).toBeInstanceOf(VideoApiError);
    const { message } = error as VideoApiError;
    expect(message).not.toContain(API_KEY);
    expect(message.length).toBeLessThanOrEqual(400);
    return;
  }
  expectSoundSnapshot(outcome as Parameters<typeof expectSoundSnapshot>[0], {
    previousProgress: previous,
    secret: API_KEY,
  });
}

/** Text a relay could answer with: its JSON, a cut or garbled document, deep nesting, sheer size. */
const answerText = fc.oneof(
  { weight: 6, arbitrary: hostileTaskBody.map((body) => JSON.stringify(body)) },
  { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  hostileTaskBody.map((body) => JSON.stringify(body).slice(0, 40)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '',
    'null',
    '<html><body>502 Bad Gateway</body></html>',
    '['.repeat(200_000),
    `{"error":{"message":"upstream said: key ${API_KEY}"}}`,
    `{"status":"failed","error":"${API_KEY}"}`,
  ),
  fc.constant(null).map(() => `{"prompt":"${'x'.repeat(4 * 1024 * 1024 + 10)}"}`),
);

const anyStatus = fc.oneof(
  { weight: 5, arbitrary: fc.constant(200) },
  fc.constantFrom(201, 204, 301, 304, 400, 401, 403, 404, 408, 409, 410, 418, 425, 429, 500, 502, 503, 504),
);

describe('the video API client over hostile answers', () => {
  it('resolves a sound snapshot or rejects with a typed error, for any body with any status', async () => {
    await fc.assert(
      fc.asyncProperty(answerText, anyStatus, previousProgress, async (text, httpStatus, previous) => {
        const id = `video_prop${next++}`;
        api.addTask({ id, steps: [{ atMs: 0, body: text, httpStatus }] });
        await expectSnapshotOrTypedError(id, previous);
        api.removeTask(id);
      }),
      { numRuns: 250, endOnFailure: true },
    );
  });

  it('errors with any Retry-After, headers and body stay typed, and never quote our key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(400, 401, 403, 404, 409, 422, 429, 500, 502, 503),
        fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.constantFrom('7', '0', '-1', '1e9', 'Wed, 21 Oct 2015 07:28:00 GMT'),
        ),
        hostileValue,
        async (status, retryAfter, body) => {
          const id = `video_prop${next++}`;
          api.addTask({ id, steps: [{ atMs: 0, status: 'queued' }] });
          api.addFault({
            route: 'status',
            taskId: id,
            fault: {
              kind: 'status',
              status,
              headers: { 'retry-after': retryAfter.replace(/[^\x20-\x7e]/g, '') },
              body: { error: { message: `upstream: ${API_KEY}`, detail: body } },
            },
          });
          await expectSnapshotOrTypedError(id, undefined);
          api.removeTask(id);
        },
      ),
      { numRuns: 150, endOnFailure: true },
    );
  });
});
