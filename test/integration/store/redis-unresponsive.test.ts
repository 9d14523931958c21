import { randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpRelay } from '../../../testkit/net/net.js';
import { createTrackingStore, StoreUnavailableError } from '../../../src/store/index.js';
import { collectingLogger, sampleTask } from './support.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping the unresponsive-Redis store test: set REDIS_URL (e.g. redis://127.0.0.1:6379).');

const namespace = `sora-tracker-test:${randomUUID()}`;

afterAll(async () => {
  if (!REDIS_URL) return;
  const admin = createClient({ url: REDIS_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  const keys = await admin.keys(`${namespace}:*`);
  if (keys.length > 0) await admin.del(keys);
  await admin.quit();
});

/** How `operation` ended within `ms`: its error, 'ok', or 'still waiting' (it hangs). */
async function outcomeWithin(operation: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const waiting = new Promise((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), ms);
  });
  const outcome = operation.then(
    () => 'ok',
    (error: unknown) => error,
  );
  return Promise.race([outcome, waiting]).finally(() => clearTimeout(timer));
}

describe.skipIf(!REDIS_URL)('redis:// store on a connection that accepts but never answers', () => {
  it('rejects each read and write within its command timeout, and works again once Redis answers', async () => {
    const target = new URL(REDIS_URL ?? '');
    // The relay holds every byte while paused, closing nothing: a half-open connection.
    const relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) });
    const store = await createTrackingStore({
      url: `redis://127.0.0.1:${relay.port}`,
      logger: collectingLogger().logger,
      namespace,
      commandTimeoutMs: 300,
      // Every read goes to Redis.
      maxCachedRecords: 0,
    });
    try {
      await store.putTask(sampleTask('video_before'));

      relay.pause();
      const read = await outcomeWithin(store.getTask('video_before'), 3_000);
      expect(read).toBeInstanceOf(StoreUnavailableError);
      // Safe for /healthz and the logs: no address, no URL.
      expect((read as Error).message).toBe('Redis did not answer within 300 ms');
      expect(await outcomeWithin(store.putTask(sampleTask('video_during')), 3_000)).toBeInstanceOf(
        StoreUnavailableError,
      );
      expect(await outcomeWithin(store.activeTaskIds(), 3_000)).toBeInstanceOf(StoreUnavailableError);

      await relay.resume();
      expect((await store.getTask('video_before'))?.id).toBe('video_before');
      await store.putTask(sampleTask('video_after'));
      expect((await store.getTask('video_after'))?.id).toBe('video_after');
    } finally {
      await store.close();
      await relay.close();
    }
  });
});
