import { createClient } from '@keyv/redis';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../../src/ops/logger.js';
import type { SubscriptionRecord, TaskRecord } from '../../../src/store/index.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A real pino logger whose lines are kept for assertions. */
export function collectingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'debug',
    secrets: [],
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  return { logger, lines };
}

export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sora-store-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A TCP port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls `condition` until it holds; fails with `what` after the deadline. */
export async function waitFor(condition: () => Promise<boolean>, what: string, deadlineMs = 10_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function sampleSnapshot(overrides: Partial<VideoSnapshot> = {}): VideoSnapshot {
  return {
    id: 'video_123',
    status: 'in_progress',
    rawStatus: 'processing',
    progress: 42,
    videoUrl: undefined,
    failure: undefined,
    model: 'sora-2',
    size: '1280x720',
    durationSeconds: 8,
    prompt: 'A cat on a :skateboard: — 猫',
    enhancedPrompt: undefined,
    createdAt: new Date('2026-01-01T10:00:00.123Z'),
    completedAt: undefined,
    expiresAt: new Date('2026-01-02T10:00:00.000Z'),
    statusUpdatedAt: new Date('2026-01-01T10:05:00.000Z'),
    queuePosition: undefined,
    estimatedWaitSeconds: 30,
    ...overrides,
  };
}

export function sampleTask(id: string, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    v: 1,
    id,
    state: 'active',
    snapshot: sampleSnapshot({ id }),
    trackedAt: 1_767_261_600_000,
    lastChangeAt: 1_767_261_700_000,
    lastPolledAt: 1_767_261_700_000,
    nextPollAt: 1_767_261_710_000,
    channelIds: ['200000000000000001'],
    ...overrides,
  };
}

export function sampleSubscription(
  taskId: string,
  channelId: string,
  overrides: Partial<SubscriptionRecord> = {},
): SubscriptionRecord {
  return {
    v: 1,
    taskId,
    channelId,
    guildId: '100000000000000001',
    requesterId: '300000000000000001',
    nonce: `n${taskId}`.slice(0, 25),
    notifyUserIds: [],
    locale: 'en-US',
    requesterLocale: 'zh-CN',
    createdAt: 1_767_261_600_000,
    state: 'active',
    ...overrides,
  };
}

/** A plain client of the test's own on `url` for the duration of `work` (to read or clear keys). */
export async function withRedisAdmin<T>(
  url: string,
  work: (admin: ReturnType<typeof createClient>) => Promise<T>,
): Promise<T> {
  const admin = createClient({ url });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.quit();
  }
}
