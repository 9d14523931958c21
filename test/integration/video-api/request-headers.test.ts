/**
 * The headers every request carries, by who receives it: the relay documents require Content-Type and a
 * JSON Accept on the API's own origin; a CDN or presigned link gets neither (nor the key).
 */
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCEPT_VIDEO_OR_JSON } from '../../../src/video-api/request-headers.js';
import type { RecordedRequest } from '../../../testkit/fake-video-api/index.js';
import { API_KEY, startHarness, tempDirectory, type Harness } from './support.js';

const MiB = 1024 * 1024;
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

function acceptedTypes(request: RecordedRequest): string[] {
  return String(request.headers.accept ?? '')
    .split(',')
    .map((part) => part.split(';')[0]!.trim());
}

describe('headers to the API origin', () => {
  it('a status read sends Content-Type: application/json and Accept: application/json', async () => {
    const { fake, client } = harness;
    fake.addTask({ id: 'v', steps: [{ atMs: 0, status: 'in_progress', progress: 10 }] });
    expect((await client.getVideo('v')).progress).toBe(10);
    const [status] = fake.requests;
    expect(status!.headers['content-type']).toBe('application/json');
    expect(status!.headers.accept).toBe('application/json');
    expect(status!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('/content sends Content-Type: application/json and an Accept that puts JSON first but admits the video', async () => {
    const { fake, client } = harness;
    fake.addTask({ id: 'v', steps: [{ atMs: 0, status: 'completed' }], video: { bytes: 5_000 } });
    const result = await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path });
    expect(result.kind).toBe('file');
    const [content] = fake.requests;
    expect(content!.route).toBe('content');
    expect(content!.headers['content-type']).toBe('application/json');
    expect(content!.headers.accept).toBe(ACCEPT_VIDEO_OR_JSON);
    expect(acceptedTypes(content!)[0]).toBe('application/json');
    expect(acceptedTypes(content!)).toEqual(
      expect.arrayContaining(['video/mp4', 'application/octet-stream']),
    );
  });

  it('keeps both headers across same-origin redirects', async () => {
    const { fake, client } = harness;
    fake.addTask({
      id: 'v',
      steps: [{ atMs: 0, status: 'completed' }],
      video: { delivery: 'redirect', redirectHops: 2, redirectTo: 'same-origin' },
    });
    expect((await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path })).kind).toBe('file');
    expect(fake.requests).toHaveLength(3);
    for (const hop of fake.requests) {
      expect(hop.headers['content-type']).toBe('application/json');
      expect(acceptedTypes(hop)).toContain('application/json');
    }
  });
});

describe('headers to other hosts', () => {
  it('a public link on another origin gets neither Content-Type nor Accept nor the key', async () => {
    const { fake, client } = harness;
    fake.addTask({ id: 'v', dialect: 'seed-relay', steps: [{ atMs: 0, status: 'completed' }] });
    const snapshot = await client.getVideo('v');
    const result = await client.downloadVideo('v', {
      maxBytes: MiB,
      knownUrl: snapshot.videoUrl,
      directory: dir.path,
    });
    expect(result.kind).toBe('file');
    const cdn = fake.requests.filter((r) => r.server === 'cdn');
    expect(cdn).toHaveLength(1);
    expect(cdn[0]!.headers['content-type']).toBeUndefined();
    expect(cdn[0]!.headers.accept).toBeUndefined();
    expect(cdn[0]!.headers.authorization).toBeUndefined();
  });

  it('a JSON link from /content and a cross-origin redirect are followed without them', async () => {
    const { fake, client } = harness;
    fake.addTask({ id: 'a', dialect: 'anyfast', steps: [{ atMs: 0, status: 'completed' }] });
    fake.addTask({
      id: 'r',
      steps: [{ atMs: 0, status: 'completed' }],
      video: { delivery: 'redirect', redirectTo: 'cdn' },
    });
    expect((await client.downloadVideo('a', { maxBytes: MiB, directory: dir.path })).kind).toBe('file');
    expect((await client.downloadVideo('r', { maxBytes: MiB, directory: dir.path })).kind).toBe('file');
    const cdn = fake.requests.filter((r) => r.server === 'cdn');
    expect(cdn.map((r) => r.taskId)).toEqual(['a', 'r']);
    for (const hop of cdn) {
      expect(hop.headers['content-type']).toBeUndefined();
      expect(hop.headers.accept).toBeUndefined();
    }
  });
});

describe("the fake's strict mode (what the e2e tests run against)", () => {
  const get = async (url: string, headers: Record<string, string>) => {
    const response = await request(url, { headers });
    return { status: response.statusCode, text: await response.body.text() };
  };

  it('answers 422 when either required header is missing, and 403 on the CDN when one is sent', async () => {
    const { fake } = harness;
    fake.addTask({ id: 'v', steps: [{ atMs: 0, status: 'completed' }] });
    const auth = { authorization: `Bearer ${API_KEY}` };
    const json = { 'content-type': 'application/json', accept: 'application/json' };
    const status = `${fake.baseUrl}/videos/v`;

    const noContentType = await get(status, { ...auth, accept: 'application/json' });
    expect(noContentType.status).toBe(422);
    expect(noContentType.text).toContain("Request header must have required property 'content-type'");
    const noAccept = await get(status, { ...auth, 'content-type': 'application/json' });
    expect(noAccept.status).toBe(422);
    expect(noAccept.text).toContain("required property 'accept'");
    expect((await get(status, { ...auth, ...json, accept: '*/*' })).status).toBe(422);
    expect((await get(status, { ...auth, ...json })).status).toBe(200);
    expect((await get(`${status}/content`, { ...auth, ...json })).status).toBe(200);

    const file = `${fake.cdnOrigin}/files/v`;
    expect((await get(file, { 'content-type': 'application/json' })).status).toBe(403);
    expect((await get(file, {})).status).toBe(200);
  });
});
