import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpRelay } from '../../../testkit/net/net.js';
import { createTrackingStore, StoreUnavailableError } from '../../../src/store/index.js';
import { describeStoreContract } from './contract.js';
import { collectingLogger, sampleTask, unusedPort, waitFor, withRedisAdmin } from './support.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping Redis store tests: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run them.');

const namespaces: string[] = [];
/** A namespace of its own per store, so runs never see each other's keys. */
function freshNamespace(): string {
  const namespace = `sora-tracker-test:${randomUUID()}`;
  namespaces.push(namespace);
  return namespace;
}

const withAdmin = <T>(work: Parameters<typeof withRedisAdmin<T>>[1]): Promise<T> =>
  withRedisAdmin(REDIS_URL ?? '', work);

afterAll(async () => {
  if (namespaces.length === 0) return;
  await withAdmin(async (admin) => {
    for (const namespace of namespaces) {
      const keys = await admin.keys(`${namespace}:*`);
      if (keys.length > 0) await admin.del(keys);
    }
  });
});

describe.skipIf(!REDIS_URL)('redis:// store', () => {
  describeStoreContract('redis://', () =>
    createTrackingStore({
      url: REDIS_URL ?? '',
      logger: collectingLogger().logger,
      namespace: freshNamespace(),
    }),
  );

  it('stores under its namespace, where a store opened later (a restart) finds everything', async () => {
    const namespace = freshNamespace();
    const writer = await createTrackingStore({
      url: REDIS_URL ?? '',
      logger: collectingLogger().logger,
      namespace,
    });
    await writer.putTask(sampleTask('video_shared'));
    await writer.setActive('video_shared', true);
    await writer.close();

    const keys = await withAdmin((admin) => admin.keys(`${namespace}:*`));
    expect(keys).toEqual(expect.arrayContaining([`${namespace}:task:video_shared`]));

    const reader = await createTrackingStore({
      url: REDIS_URL ?? '',
      logger: collectingLogger().logger,
      namespace,
    });
    expect((await reader.getTask('video_shared'))?.snapshot?.createdAt).toBeInstanceOf(Date);
    expect(await reader.activeTaskIds()).toEqual(['video_shared']);
    await reader.close();
  });
});

describe.skipIf(!REDIS_URL)('redis:// store through an outage', () => {
  it('starts before Redis is reachable, and recovers by itself from an outage mid-run', async () => {
    const target = new URL(REDIS_URL ?? '');
    // A relay to the real Redis that can be cut and restored on its port: an outage without stopping Redis.
    const relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) });
    await relay.cut();
    const namespace = freshNamespace();
    const { logger, lines } = collectingLogger();
    const store = await createTrackingStore({
      url: `redis://127.0.0.1:${relay.port}`,
      logger,
      namespace,
      connectTimeoutMs: 300,
    });
    try {
      await expect(store.ping()).rejects.toThrow(/not connected/);

      await relay.restore();
      await waitFor(() => store.ping().then(() => true), 'the first connection');
      await store.putTask(sampleTask('video_outage'));
      await store.setActive('video_outage', true, { userId: 'u1' });

      await relay.cut();
      await waitFor(
        () =>
          store.ping().then(
            () => false,
            () => true,
          ),
        'the outage to show in ping()',
      );
      expect(lines.some((line) => line.msg === 'Redis connection lost; reconnecting')).toBe(true);
      // What this process wrote is still read from memory; anything else, and every write, fails.
      expect((await store.getTask('video_outage'))?.id).toBe('video_outage');
      await expect(store.getTask('video_unknown')).rejects.toThrow();
      await expect(store.putTask(sampleTask('video_during'))).rejects.toThrow();

      await relay.restore();
      await waitFor(() => store.ping().then(() => true), 'the store to reconnect');
      expect(lines.some((line) => line.msg === 'Redis connection restored')).toBe(true);
      expect((await store.getTask('video_outage'))?.id).toBe('video_outage');
      expect(await store.activeTaskIds()).toEqual(['video_outage']);
      expect(await store.countActiveForUser('u1')).toBe(1);
    } finally {
      await store.close();
      await relay.close();
    }
  });
});

describe('redis:// store when Redis is unreachable', () => {
  it('opens anyway, fails ping and operations quickly with the reason, and closes cleanly', async () => {
    const port = await unusedPort();
    const { logger, lines } = collectingLogger();
    const store = await createTrackingStore({
      url: `redis://127.0.0.1:${port}`,
      logger,
      connectTimeoutMs: 300,
    });

    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toThrow(/not connected.*ECONNREFUSED/);
    // Operations reject instead of hanging until Redis comes back.
    await expect(store.getTask('video_1')).rejects.toThrow();
    await expect(store.putTask(sampleTask('video_1'))).rejects.toThrow();
    expect(lines.some((line) => line.msg.includes('not reachable yet'))).toBe(true);

    await store.close();
  });
});
