/**
 * Links from the relay's answers are refused when they point at this machine or a private network
 * (docs/configuration.md, ALLOW_PRIVATE_VIDEO_URLS): the relay's own origin is still asked, the key never
 * leaves it, and the bot never connects to the refused address, whether it was written as an IP or as
 * a name that resolves to one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VideoApiError } from '../../../src/video-api/errors.js';
import { completed, expectFile, rejectionOf, startHarness, tempDirectory, type Harness } from './support.js';

const MiB = 1024 * 1024;
let harness: Harness;
let dir: Awaited<ReturnType<typeof tempDirectory>>;

beforeEach(async () => {
  harness = await startHarness({ client: { allowPrivateUrls: false } });
  dir = await tempDirectory();
});
afterEach(async () => {
  await harness.close();
  await dir.remove();
});

describe('relay-supplied links to private addresses', () => {
  it('skips a public link on 127.0.0.1 and takes the file from the relay itself', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { dialect: 'new-api', video: { bytes: 10_000 } }));
    const result = await client.downloadVideo('v', {
      maxBytes: MiB,
      knownUrl: `${fake.cdnOrigin}/files/v`,
      directory: dir.path,
    });
    expectFile(result);
    expect(result.bytes).toBe(10_000);
    expect(fake.requests.map((r) => `${r.server} ${r.route}`)).toEqual(['api content']);
    await result.cleanup();
  });

  it('refuses a redirect from /content to a private address, and never connects there', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { video: { delivery: 'redirect', redirectHops: 1, redirectTo: 'cdn' } }));
    const error = (await rejectionOf(
      client.downloadVideo('v', { maxBytes: MiB, directory: dir.path }),
    )) as VideoApiError;
    expect(error.kind).toBe('bad_request');
    expect(error.message).toMatch(/private network address/);
    expect(fake.requests.filter((r) => r.server === 'cdn')).toHaveLength(0);
    // Not retried: asking again reaches the same address.
    expect(fake.requests.filter((r) => r.route === 'content')).toHaveLength(1);
    expect(await dir.files()).toEqual([]);
  });

  it('checks the address a name resolves to when connecting (localhost is 127.0.0.1)', async () => {
    const { fake, client } = harness;
    fake.addTask(completed('v', { dialect: 'new-api' }));
    const byName = new URL(`${fake.cdnOrigin}/files/v`);
    byName.hostname = 'localhost';
    const result = await client.downloadVideo('v', {
      maxBytes: MiB,
      knownUrl: byName.href,
      directory: dir.path,
    });
    expectFile(result);
    expect(fake.requests.filter((r) => r.server === 'cdn')).toHaveLength(0);
    await result.cleanup();
  });

  it('follows the same links when the operator allows private addresses', async () => {
    await harness.close();
    harness = await startHarness({ client: { allowPrivateUrls: true } });
    const { fake, client } = harness;
    fake.addTask(completed('v', { video: { delivery: 'redirect', redirectHops: 1, redirectTo: 'cdn' } }));
    const result = await client.downloadVideo('v', { maxBytes: MiB, directory: dir.path });
    expectFile(result);
    expect(fake.requests.filter((r) => r.server === 'cdn')).toHaveLength(1);
    await result.cleanup();
  });
});
