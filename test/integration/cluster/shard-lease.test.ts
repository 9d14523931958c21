import { randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpRelay, type TcpRelay } from '../../../testkit/net/net.js';
import { createLeaseRedis } from '../../../src/cluster/redis-lease.js';
import {
  createShardLease,
  leaseKey,
  leaseTimings,
  type LeaseLoss,
  type LeaseRedis,
  type ShardLease,
} from '../../../src/cluster/shard-lease.js';
import { collectingLogger, waitFor } from '../store/support.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';

/**
 * The shard lease against a real Redis, its timing on a manual clock: who holds it, when it is renewed,
 * when a holder that cannot reach Redis steps down.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping the shard lease tests: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run them.');

const TTL = 30_000;
const { renewMs, retryMs, stepDownMs } = leaseTimings(TTL);

describe.skipIf(!REDIS_URL)('the shard lease', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function admin() {
    const client = createClient({ url: REDIS_URL ?? '' });
    client.on('error', () => undefined);
    await client.connect();
    cleanups.push(() => client.quit());
    return client;
  }

  function redisAt(url: string): LeaseRedis {
    const redis = createLeaseRedis({ url, logger: collectingLogger().logger, commandTimeoutMs: 500 });
    cleanups.push(() => redis.close());
    return redis;
  }

  async function connected(redis: LeaseRedis): Promise<void> {
    await waitFor(
      () =>
        redis.get('probe').then(
          () => true,
          () => false,
        ),
      'the lease connection',
    );
  }

  interface Holder {
    lease: ShardLease;
    events: ('acquired' | LeaseLoss)[];
    lines: ReturnType<typeof collectingLogger>['lines'];
  }

  async function holder(
    name: string,
    key: string,
    clock: ManualClock,
    redis: LeaseRedis = redisAt(REDIS_URL ?? ''),
  ): Promise<Holder> {
    await connected(redis);
    const { logger, lines } = collectingLogger();
    const events: Holder['events'] = [];
    const lease = createShardLease({
      redis,
      key,
      ttlMs: TTL,
      clock,
      logger,
      holderId: `${name}-${randomUUID()} ${name}.example pid 1`,
      onAcquired: () => events.push('acquired'),
      onLost: (reason) => events.push(reason),
    });
    cleanups.push(() => lease.stop());
    return { lease, events, lines };
  }

  /** Moves the manual clock and lets the Redis commands it started finish. */
  async function advance(clock: ManualClock, ms: number, ...leases: ShardLease[]): Promise<void> {
    await clock.advance(ms);
    await Promise.all(leases.map((lease) => lease.idle()));
  }

  const freshKey = (shard = 0, count = 2) =>
    leaseKey(`sora-tracker-lease-test:${randomUUID()}`, shard, count);

  it('is held by one process; a second waits, says once who holds it, and takes over when it is released', async () => {
    const clock = createManualClock();
    const key = freshKey();
    const redis = await admin();
    const a = await holder('a', key, clock);
    const b = await holder('b', key, clock);

    a.lease.start();
    await advance(clock, 0, a.lease);
    expect(a.lease.state).toBe('held');
    expect(a.events).toEqual(['acquired']);
    expect(await redis.get(key)).toMatch(/^a-.* a\.example pid 1$/);
    const ttl = await redis.pTTL(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TTL);

    b.lease.start();
    for (let i = 0; i < 5; i++) await advance(clock, retryMs, a.lease, b.lease);
    expect(b.lease.state).toBe('waiting');
    expect(b.events).toEqual([]);
    expect(b.lease.holder).toBe('a.example pid 1');
    const waiting = b.lines.filter((line) => line.msg.includes('waiting for its lease'));
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ holder: 'a.example pid 1' });
    // The holder's token is never logged, only where it runs.
    expect(JSON.stringify(b.lines)).not.toMatch(/a-[0-9a-f-]{36}/);

    await a.lease.stop();
    expect(await redis.get(key)).toBeNull();
    await advance(clock, retryMs, b.lease);
    expect(b.lease.state).toBe('held');
    expect(b.events).toEqual(['acquired']);
    expect(await redis.get(key)).toMatch(/^b-/);
  });

  it('is renewed while held, and a holder never extends a lease someone else holds: it steps down', async () => {
    const clock = createManualClock();
    const key = freshKey(1);
    const redis = await admin();
    const a = await holder('a', key, clock);
    a.lease.start();
    await advance(clock, 0, a.lease);

    // Renewed: Redis's expiry goes back up to the whole lifetime.
    await redis.pExpire(key, 5_000);
    await advance(clock, renewMs, a.lease);
    expect(await redis.pTTL(key)).toBeGreaterThan(5_000);
    expect(a.lease.state).toBe('held');

    // Someone else holds it now (a rolling deploy's new process after an expiry, say).
    await redis.set(key, 'other-token other.example pid 7', { PX: 7_000 });
    await advance(clock, renewMs, a.lease);
    expect(a.events).toEqual(['acquired', 'taken']);
    expect(a.lease.state).toBe('waiting');
    expect(await redis.get(key)).toBe('other-token other.example pid 7');
    expect(await redis.pTTL(key)).toBeLessThanOrEqual(7_000);
    expect(a.lines.some((line) => line.msg.includes('another process took the shard lease'))).toBe(true);
  });

  it('takes its lease again when Redis lost it (a restart without the key), without stopping', async () => {
    const clock = createManualClock();
    const key = freshKey();
    const redis = await admin();
    const a = await holder('a', key, clock);
    a.lease.start();
    await advance(clock, 0, a.lease);

    await redis.del(key);
    await advance(clock, renewMs, a.lease);
    expect(a.lease.state).toBe('held');
    expect(a.events).toEqual(['acquired']);
    expect(await redis.get(key)).toMatch(/^a-/);
  });

  it('keeps its shard through a Redis outage until the lease would end by its own clock, then steps down', async () => {
    const clock = createManualClock();
    const key = freshKey();
    const target = new URL(REDIS_URL ?? '');
    const relay: TcpRelay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) });
    cleanups.push(() => relay.close());
    const a = await holder('a', key, clock, redisAt(`redis://127.0.0.1:${relay.port}`));
    a.lease.start();
    await advance(clock, 0, a.lease);
    expect(a.lease.state).toBe('held');

    await relay.cut();
    // Renewals fail from here on; the lease was last set at time 0.
    await advance(clock, TTL - stepDownMs - 1, a.lease);
    expect(a.lease.state).toBe('held');
    expect(a.events).toEqual(['acquired']);
    expect(a.lines.filter((line) => line.msg === 'lease store unreachable')).toHaveLength(1);

    await advance(clock, 1, a.lease);
    expect(a.lease.state).toBe('waiting');
    expect(a.events).toEqual(['acquired', 'expired']);

    // Redis back (its copy of our lease still there, or expired): the lease is taken again.
    await relay.restore();
    await waitFor(async () => {
      await advance(clock, retryMs, a.lease);
      return a.lease.state === 'held';
    }, 'the lease to be taken again after the outage');
    expect(a.events).toEqual(['acquired', 'expired', 'acquired']);
  });

  it('releases only its own lease on stop', async () => {
    const clock = createManualClock();
    const key = freshKey();
    const redis = await admin();
    const a = await holder('a', key, clock);
    a.lease.start();
    await advance(clock, 0, a.lease);
    await redis.set(key, 'other-token other.example pid 7', { PX: 10_000 });
    await a.lease.stop();
    expect(await redis.get(key)).toBe('other-token other.example pid 7');
    await redis.del(key);
  });
});
