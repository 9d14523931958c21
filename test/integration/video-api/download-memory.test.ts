/**
 * A 50 MiB download must not grow memory with the file: the body is streamed to disk. This is a memory
 * bound, not a timing assertion. The fake API runs standalone in a child process (testkit/fake-video-api/
 * main.ts), so the RSS measured here is the client's alone; this file has no other test to disturb it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createVideoApiClient, type VideoApiClient } from '../../../src/video-api/client.js';
import { videoByteAt } from '../../../testkit/fake-video-api/index.js';
import { captureLogger, tempDirectory } from './support.js';

const MiB = 1024 * 1024;

/**
 * Garbage collection runs when V8 decides, and socket buffers (tens of MiB) may wait for it: RSS would
 * then measure the collector's laziness, not what the download keeps. Collecting before each sample
 * measures what is really held.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let child: ChildProcess | undefined;
let client: VideoApiClient | undefined;
let dir: Awaited<ReturnType<typeof tempDirectory>>;

beforeAll(async () => {
  dir = await tempDirectory();
  child = spawn(process.execPath, ['--import', 'tsx', 'testkit/fake-video-api/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      FAKE_API_KEY: 'sk-memory-test',
      FAKE_VIDEO_BYTES: String(50 * MiB),
      FAKE_TASK_SECONDS: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    child!.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      const match = /SORA_BASE_URL=(\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child!.once('exit', (code) => reject(new Error(`the fake API exited early with code ${code}`)));
  });
  client = createVideoApiClient({
    baseUrl,
    apiKey: 'sk-memory-test',
    logger: captureLogger().logger,
    allowPrivateUrls: true,
  });
});

afterAll(async () => {
  await client?.close();
  child?.kill();
  await dir.remove();
});

it('streams a 50 MiB video to disk with RSS growth well under the file size', async () => {
  // Warm up first: the runtime's memory pools (V8's young generation, the allocator) grow to their working
  // size over the first few MiB of any transfer, as they would in a bot after its first download.
  const warm = await client!.downloadVideo('demo-medium', { maxBytes: 20 * MiB, directory: dir.path });
  if (warm.kind === 'file') await warm.cleanup();

  gc();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    // A minor collection is enough to free short-lived socket buffers, and cheap.
    gc({ type: 'minor' });
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  let result;
  try {
    result = await client!.downloadVideo('demo-gsa', { maxBytes: 60 * MiB, directory: dir.path });
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);

  expect(result.kind).toBe('file');
  if (result.kind !== 'file') return;
  expect(result.bytes).toBe(50 * MiB);
  expect((await stat(result.path)).size).toBe(50 * MiB);
  // Spot-check the content at a few offsets, the last byte included.
  const handle = await open(result.path, 'r');
  try {
    for (const offset of [0, 1, 12_345_678, 50 * MiB - 1]) {
      const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, offset);
      expect(buffer[0]).toBe(videoByteAt(offset));
    }
  } finally {
    await handle.close();
  }
  // Measured here: under 10 MiB when streaming; over 45 MiB when the body is held in memory.
  expect(peak - before, `RSS grew by ${((peak - before) / MiB).toFixed(1)} MiB`).toBeLessThan(40 * MiB);
});
