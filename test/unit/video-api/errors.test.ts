/** Error envelopes, innermost messages and status codes (docs/video-api.md#error-bodies, #http-status-codes), and what users may see. */
import { describe, expect, it } from 'vitest';
import {
  VideoApiError,
  cleanUpstreamText,
  errorFromHttpStatus,
  innermostMessage,
  parseRetryAfter,
  type VideoApiErrorKind,
} from '../../../src/video-api/errors.js';

const NOW = Date.UTC(2026, 0, 1);
const KEY = 'sk-proj-SECRETSECRETSECRET1234';

describe('every error envelope yields its innermost message', () => {
  it.each<[string, unknown, string | undefined]>([
    [
      'OpenAI ErrorResponse',
      { error: { message: 'Video not found', type: 'invalid_request_error', param: null, code: null } },
      'Video not found',
    ],
    [
      'new-api task fetch (top-level code/message)',
      { code: 'task_not_exist', message: 'task_not_exist', data: null },
      'task_not_exist',
    ],
    [
      'new-api content {error:{message,type}}',
      {
        error: {
          message: 'Task is not completed yet, current status: IN_PROGRESS',
          type: 'invalid_request_error',
        },
      },
      'Task is not completed yet, current status: IN_PROGRESS',
    ],
    ['GSA {error:{message}}', { error: { message: '任务不存在' } }, '任务不存在'],
    ['error as a plain string', { error: 'quota exceeded' }, 'quota exceeded'],
    ['only a code', { code: 'rate_limit' }, 'rate_limit'],
    ['FastAPI detail', { detail: 'Not authenticated' }, 'Not authenticated'],
    [
      'stringified upstream JSON inside message (new_api_error)',
      {
        error: {
          message: '{"detail":"401: Unauthorized, a user is required to access this resource"}',
          type: 'new_api_error',
          code: 'unknown_error',
        },
      },
      '401: Unauthorized, a user is required to access this resource',
    ],
    [
      'JSON behind a prefix, two levels deep',
      {
        message:
          'status_code=500, body={"error":{"message":"{\\"error\\":{\\"message\\":\\"GPU pool exhausted\\"}}"}}',
      },
      'GPU pool exhausted',
    ],
    ['nothing usable', { foo: 'bar' }, undefined],
  ])('%s', (_name, body, expected) => {
    expect(innermostMessage(body)).toBe(expected);
  });
});

describe('status codes map to kinds callers act on', () => {
  const classify = (
    status: number,
    body: unknown = {},
    extra: Partial<Parameters<typeof errorFromHttpStatus>[0]> = {},
  ) =>
    errorFromHttpStatus({
      status,
      bodyText: JSON.stringify(body),
      nowMs: NOW,
      secrets: [KEY],
      subject: 'task',
      ...extra,
    });

  it.each<[number, unknown, VideoApiErrorKind, boolean]>([
    [401, { error: { message: 'Incorrect API key provided' } }, 'unauthorized', true],
    [403, { error: { message: 'Country, region, or territory not supported' } }, 'unauthorized', true],
    [404, { error: { message: '任务不存在' } }, 'not_found', true],
    [410, {}, 'not_found', true],
    [400, { code: 'task_not_exist', message: 'task_not_exist', data: null }, 'not_found', true],
    [400, { error: { message: 'Invalid type for seconds' } }, 'bad_request', false],
    [409, {}, 'bad_request', false],
    [429, { error: { message: '当前分组上游负载已饱和，请稍后再试' } }, 'rate_limited', false],
    [500, {}, 'transient', false],
    [
      502,
      { error: { message: 'Upstream service returned status 500', type: 'server_error' } },
      'transient',
      false,
    ],
    [503, {}, 'transient', false],
    [408, {}, 'transient', false],
  ])('HTTP %i → %s (terminal: %s)', (status, body, kind, terminal) => {
    const error = classify(status, body);
    expect(error).toBeInstanceOf(VideoApiError);
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.terminal).toBe(terminal);
  });

  it.each<[string, string | undefined, number | undefined]>([
    ['delta seconds', '20', 20_000],
    ['fractional seconds', '1.5', 1_500],
    ['an HTTP date', new Date(NOW + 45_000).toUTCString(), 45_000],
    ['a date in the past', new Date(NOW - 5_000).toUTCString(), 0],
    ['absent', undefined, undefined],
    ['garbage', 'soon', undefined],
    ['absurdly long, capped at an hour', '999999', 3_600_000],
  ])('429 Retry-After as %s', (_name, retryAfter, expected) => {
    const error = classify(429, {}, { retryAfter });
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(expected);
    expect(parseRetryAfter(retryAfter, NOW)).toBe(expected);
  });

  it('a 404 or 403 after expiry is "expired", before it "not found"', () => {
    expect(classify(404, {}, { subject: 'video', pastExpiry: true }).kind).toBe('expired');
    expect(classify(403, {}, { subject: 'video', pastExpiry: true }).kind).toBe('expired');
    expect(classify(404, {}, { subject: 'video', pastExpiry: false }).kind).toBe('not_found');
  });

  it('a 401/403 from another host (a CDN link) is about the link, not our key', () => {
    expect(classify(403, {}, { subject: 'video', foreignHost: true }).kind).toBe('not_found');
  });
});

describe('messages are fit for a Discord user', () => {
  it('never carry our key, even when the upstream echoes it', () => {
    const error = errorFromHttpStatus({
      status: 401,
      bodyText: JSON.stringify({
        error: { message: `Incorrect API key provided: ${KEY}.`, code: 'invalid_api_key' },
      }),
      nowMs: NOW,
      secrets: [KEY],
      subject: 'task',
    });
    expect(error.message).toContain('HTTP 401');
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain('SECRETSECRET');
  });

  it('never dump an HTML error page', () => {
    const error = errorFromHttpStatus({
      status: 502,
      bodyText: '<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>',
      nowMs: NOW,
      secrets: [],
      subject: 'task',
    });
    expect(error.message).toBe('The video API is having trouble (HTTP 502)');
  });

  it('quote the innermost upstream message, clipped', () => {
    const error = errorFromHttpStatus({
      status: 400,
      bodyText: JSON.stringify({ error: { message: `Task is not completed yet ${'!'.repeat(500)}` } }),
      nowMs: NOW,
      secrets: [],
      subject: 'video',
    });
    expect(error.message).toMatch(
      /^The video API refused the request \(HTTP 400\): Task is not completed yet !+…$/,
    );
    expect(error.message.length).toBeLessThan(260);
  });

  it.each([
    ['an OpenAI key', 'key sk-abc123DEF456ghi789 is invalid', 'sk-abc123'],
    ['a masked key', 'Incorrect API key provided: sk-abc1***********wxyz', 'abc1'],
    ['a bearer token', 'header was Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'eyJhbGci'],
    ['an api_key parameter', 'url ?api_key=supersecretvalue&x=1', 'supersecretvalue'],
    ['a long opaque token', 'token 0f3a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a', '0f3a9b8c7d6e'],
    ['our own key in any form', `prefix${KEY}suffix`, KEY],
  ])('remove %s from upstream text', (_name, text, secret) => {
    expect(cleanUpstreamText(text, [KEY])).not.toContain(secret);
  });

  it('collapse control characters and whitespace', () => {
    expect(cleanUpstreamText('line one\r\n\tline\u0000two   three')).toBe('line one line two three');
  });
});
