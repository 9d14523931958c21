/** Shared pieces of the video API tests: a log collector, a clock that records backoff sleeps, wiring. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../../src/scheduling/clock.js';
import { createLogger, type Logger } from '../../../src/ops/logger.js';
import {
  createVideoApiClient,
  type VideoApiClient,
  type VideoApiClientOptions,
} from '../../../src/video-api/client.js';
import {
  startFakeVideoApi,
  type FakeVideoApi,
  type FakeVideoApiOptions,
  type TaskScript,
} from '../../../testkit/fake-video-api/index.js';
import type { DownloadResult } from '../../../src/video-api/client.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';

export const API_KEY = 'sk-test-0123456789abcdefSECRET';

export interface CapturedLogger {
  logger: Logger;
  lines: string[];
  entries(): Array<Record<string, unknown>>;
}

/** A trace-level logger that keeps every line, with no secret scrubbing: the client itself must not leak. */
export function captureLogger(): CapturedLogger {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    secrets: [],
    destination: { write: (line: string) => lines.push(line) },
  });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** Follows `time`'s now(); sleeps resolve at once and are recorded, so retries cost no waiting. */
export function recordingClock(time: Clock): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => time.now(),
    setTimeout: (callback, ms) => time.setTimeout(callback, ms),
    sleep(ms, signal) {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      return Promise.resolve();
    },
  };
}

export interface Harness {
  fake: FakeVideoApi;
  client: VideoApiClient;
  /** Drives the fake's task timelines and the client's notion of now. */
  clock: ManualClock;
  /** The client's clock: records backoff sleeps. */
  clientClock: Clock & { sleeps: number[] };
  log: CapturedLogger;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    fake?: Partial<FakeVideoApiOptions>;
    client?: Partial<VideoApiClientOptions>;
  } = {},
): Promise<Harness> {
  const clock = createManualClock();
  const fake = await startFakeVideoApi({ apiKey: API_KEY, clock, ...options.fake });
  const clientClock = recordingClock(clock);
  const log = captureLogger();
  const client = createVideoApiClient({
    baseUrl: fake.baseUrl,
    apiKey: API_KEY,
    logger: log.logger,
    clock: clientClock,
    timeoutMs: 5_000,
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
    random: () => 0.5,
    // The fake's "CDN" is another origin on 127.0.0.1, which a production client refuses.
    allowPrivateUrls: true,
    ...options.client,
  });
  return {
    fake,
    client,
    clock,
    clientClock,
    log,
    async close() {
      await client.close();
      await fake.close();
    },
  };
}

/** Awaits a promise expected to reject and returns its reason. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

export async function tempDirectory(): Promise<{
  path: string;
  files(): Promise<string[]>;
  remove(): Promise<void>;
}> {
  const path = await mkdtemp(join(tmpdir(), 'video-api-test-'));
  return { path, files: () => readdir(path), remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls `condition` on the event loop until true, failing after `timeoutMs` (a deadline, not a timing assertion). */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A task that is completed from the start. */
export const completed = (id: string, extra: Partial<TaskScript> = {}): TaskScript => ({
  id,
  steps: [{ atMs: 0, status: 'completed' }],
  ...extra,
});

export function expectFile(
  result: DownloadResult,
): asserts result is Extract<DownloadResult, { kind: 'file' }> {
  expect(result.kind).toBe('file');
}
