import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { holderPrefix, termValue } from '../../../src/cluster/holder-id.js';
import { createLeaseRedis } from '../../../src/cluster/redis-lease.js';
import {
  createShardLease,
  leaseKey,
  leaseTimings,
  type LeaseFence,
  type LeaseRedis,
  type ShardLease,
} from '../../../src/cluster/shard-lease.js';
import { createTrackingStore, FencedOutError, StoreUnavailableError } from '../../../src/store/index.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import { describeStoreContract } from '../store/contract.js';
import {
  collectingLogger,
  sampleSubscription,
  sampleTask,
  waitFor,
  withRedisAdmin,
} from '../store/support.js';

/**
 * Lease fencing of store writes against a real Redis (docs/scaling.md#leases): a store built for one
 * term of a shard's lease writes only while the lease holds that term; once another holder (or a later
 * term of the same process) has it, every write is refused and what the new term wrote stays.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping the lease fence tests: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run them.');

const TTL = 30_000;
const { renewMs, retryMs } = leaseTimings(TTL);
const namespaces: string[] = [];
/** A namespace of the test's own: its lease keys and its store live under it. */
function freshNamespace(): string {
  const namespace = `sora-tracker-fence-test:${randomUUID()}`;
  namespaces.push(namespace);
  return namespace;
}

const withAdmin = <T>(work: Parameters<typeof withRedisAdmin<T>>[1]): Promise<T> =>
  withRedisAdmin(REDIS_URL ?? '', work);

afterAll(async () => {
  if (!REDIS_URL || namespaces.length === 0) return;
  await withAdmin(async (admin) => {
    for (const namespace of namespaces) {
      const keys = await admin.keys(`${namespace}:*`);
      if (keys.length > 0) await admin.del(keys);
    }
  });
});

describe.skipIf(!REDIS_URL)('a store fenced by its shard lease term', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function leaseRedis(): Promise<LeaseRedis> {
    const redis = createLeaseRedis({ url: REDIS_URL ?? '', logger: collectingLogger().logger });
    cleanups.push(() => redis.close());
    await waitFor(() => redis.get('probe').then(() => true), 'the lease connection');
    return redis;
  }

  /** A holder of the lease on a manual clock, and the fence of each term it acquired. */
  async function holder(name: string, key: string, clock: ManualClock) {
    const fences: LeaseFence[] = [];
    const lease = createShardLease({
      redis: await leaseRedis(),
      key,
      ttlMs: TTL,
      clock,
      logger: collectingLogger().logger,
      holderId: `${name}${randomUUID().slice(0, 8)} ${name}.example pid 1`,
      onAcquired: (fence) => fences.push(fence),
      onLost: () => undefined,
    });
    cleanups.push(() => lease.stop());
    return { lease, fences };
  }

  async function advance(clock: ManualClock, ms: number, ...leases: ShardLease[]): Promise<void> {
    await clock.advance(ms);
    await Promise.all(leases.map((lease) => lease.idle()));
  }

  async function store(namespace: string, fence?: LeaseFence) {
    const { logger, lines } = collectingLogger();
    const opened = await createTrackingStore({
      url: REDIS_URL ?? '',
      logger,
      namespace,
      // Reads must come from Redis, not from what this store remembers writing.
      maxCachedRecords: 0,
      ...(fence ? { fence } : {}),
    });
    cleanups.push(() => opened.close());
    return { store: opened, lines };
  }

  it('writes while the lease holds its term; once another holder has it, every write is refused', async () => {
    const clock = createManualClock();
    const namespace = freshNamespace();
    const key = leaseKey(namespace, 0, 2);
    const a = await holder('a', key, clock);
    a.lease.start();
    await advance(clock, 0, a.lease);
    const stale = await store(namespace, a.fences[0]);

    // The lease holds A's term: A's app writes as usual.
    await stale.store.putTask(sampleTask('video_f1', { lastPolledAt: 1 }));
    await stale.store.putSubscription(sampleSubscription('video_f1', 'c1'));
    await stale.store.putSubscription(sampleSubscription('video_f1', 'c2'));

    // A's lease ran out (its process stalled) and B took the shard over, and wrote.
    await withAdmin((admin) => admin.del(key));
    const b = await holder('b', key, clock);
    b.lease.start();
    await advance(clock, 0, b.lease);
    expect(b.fences).toHaveLength(1);
    const current = await store(namespace, b.fences[0]);
    await current.store.putTask(sampleTask('video_f1', { lastPolledAt: 2 }));
    await current.store.putSubscription(sampleSubscription('video_f1', 'c1', { state: 'stopped' }));

    // A's writes reach Redis now: each is refused.
    await expect(stale.store.putTask(sampleTask('video_f1', { lastPolledAt: 3 }))).rejects.toBeInstanceOf(
      FencedOutError,
    );
    const refusedSub = stale.store.putSubscription(sampleSubscription('video_f1', 'c1', { state: 'active' }));
    await expect(refusedSub).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(refusedSub).rejects.toThrow('this process no longer holds the shard lease; write refused');
    await expect(stale.store.deleteSubscription('video_f1', 'c2')).rejects.toBeInstanceOf(FencedOutError);
    await expect(stale.store.putTask(sampleTask('video_f2'))).rejects.toBeInstanceOf(FencedOutError);

    // What B wrote stays; what only A wrote before is still there; nothing A tried since landed.
    const reader = await store(namespace);
    expect((await reader.store.getTask('video_f1'))?.lastPolledAt).toBe(2);
    expect((await reader.store.getSubscription('video_f1', 'c1'))?.state).toBe('stopped');
    expect(await reader.store.getSubscription('video_f1', 'c2')).toBeDefined();
    expect(await reader.store.getTask('video_f2')).toBeUndefined();
    // One warning for the stale app, not one per refused write; the lease's token is never logged.
    const warnings = stale.lines.filter((line) => line.msg.includes('store writes are refused'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(stale.lines)).not.toContain(a.fences[0]!.value.split(' ')[0]!);

    // B's own store keeps writing while B holds its term.
    await current.store.deleteSubscription('video_f1', 'c2');
    expect(await reader.store.getSubscription('video_f1', 'c2')).toBeUndefined();
  });

  it("gives each acquisition a new term: a process's old-term store is refused after it takes the lease again", async () => {
    const clock = createManualClock();
    const namespace = freshNamespace();
    const key = leaseKey(namespace, 1, 2);
    const a = await holder('a', key, clock);
    a.lease.start();
    await advance(clock, 0, a.lease);
    const first = await store(namespace, a.fences[0]);
    await first.store.putTask(sampleTask('video_t1', { lastPolledAt: 1 }));

    // Lost for a moment (someone else held it), then free again: A takes it back.
    await withAdmin((admin) => admin.set(key, 'other-token other.example pid 7', { PX: 7_000 }));
    await advance(clock, renewMs, a.lease);
    expect(a.lease.state).toBe('waiting');
    await withAdmin((admin) => admin.del(key));
    await advance(clock, retryMs, a.lease);
    expect(a.lease.state).toBe('held');
    expect(a.fences).toHaveLength(2);
    const [oldTerm, newTerm] = a.fences as [LeaseFence, LeaseFence];
    expect(newTerm.value).not.toBe(oldTerm.value);
    // Still the same holder to anyone who asks who runs the shard.
    expect(newTerm.value.split(' ').slice(1)).toEqual(oldTerm.value.split(' ').slice(1));

    const second = await store(namespace, newTerm);
    await second.store.putTask(sampleTask('video_t1', { lastPolledAt: 2 }));
    await expect(first.store.putTask(sampleTask('video_t1', { lastPolledAt: 3 }))).rejects.toBeInstanceOf(
      FencedOutError,
    );
    const reader = await store(namespace);
    expect((await reader.store.getTask('video_t1'))?.lastPolledAt).toBe(2);
  });

  it("takes over a key that holds one of its own earlier terms, never someone else's", async () => {
    const redis = await leaseRedis();
    const key = leaseKey(freshNamespace(), 0, 1);
    const id = `${randomUUID().slice(0, 8)} a.example pid 1`;
    const mine = holderPrefix(id);
    expect(await redis.acquire(key, termValue(id, 1), TTL, mine)).toBe('acquired');
    // Stepped down on its own clock while Redis still held its term: it need not wait for the expiry.
    expect(await redis.acquire(key, termValue(id, 2), TTL, mine)).toBe('acquired');
    expect(await redis.get(key)).toBe(termValue(id, 2));
    // The previous term is over: renewing or releasing it changes nothing.
    expect(await redis.renew(key, termValue(id, 1), TTL)).toBe('taken');
    expect(await redis.release(key, termValue(id, 1))).toBe(false);
    const other = `${randomUUID().slice(0, 8)} b.example pid 2`;
    expect(await redis.acquire(key, termValue(other, 1), TTL, holderPrefix(other))).toBe('taken');
    expect(await redis.get(key)).toBe(termValue(id, 2));
  });
});

/** Fenced writes store exactly what Keyv stores: the whole store contract holds with a fence. */
describe.skipIf(!REDIS_URL)('a fenced redis:// store', () => {
  describeStoreContract('redis:// with a lease fence', async () => {
    const namespace = freshNamespace();
    const fence = { key: leaseKey(namespace, 0, 1), value: `${randomUUID()}.1 test.example pid 1` };
    await withAdmin((admin) => admin.set(fence.key, fence.value));
    return createTrackingStore({
      url: REDIS_URL ?? '',
      logger: collectingLogger().logger,
      namespace,
      fence,
    });
  });
});
