import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureShardLayout } from '../../../src/cluster/reshard.js';
import { createLeaseRedis } from '../../../src/cluster/redis-lease.js';
import { leaseKey } from '../../../src/cluster/shard-lease.js';
import { shardNamespaces } from '../../../src/cluster/shard-ref.js';
import { createSystemClock } from '../../../src/scheduling/clock.js';
import { createTrackingStore, type SubscriptionRecord, type TaskRecord } from '../../../src/store/index.js';
import { openNamespaceRecords } from '../../../src/store/namespace-records.js';
import { openLayoutStore } from '../../../src/store/shard-layout.js';
import {
  collectingLogger,
  makeTempDir,
  sampleSnapshot,
  sampleSubscription,
  sampleTask,
  waitFor,
} from '../store/support.js';

/**
 * A SHARD_COUNT change on a real SQLite file and a real Redis: every task moves to the namespaces of
 * the new count with its subscriptions (each to its guild's new shard), its delivery state and its
 * place in the active index; nothing is left behind, lost or doubled, also across a crash mid-way.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn('Skipping the Redis half of the reshard tests: set REDIS_URL to run it.');

/** A guild id on shard `k % count` for every count: Discord routes by `(id >> 22) % count`. */
const guild = (k: number) => String((BigInt(k) << 22n) + 12_345n);
const G6 = guild(6); // shard 0 of 2, 0 of 3
const G7 = guild(7); // shard 1 of 2, 1 of 3
const G8 = guild(8); // shard 0 of 2, 2 of 3
const USER = '300000000000000001';
const OTHER = '300000000000000002';

interface Found {
  task: TaskRecord;
  active: boolean;
  owners: { userIds: string[]; guildIds: string[] };
  subs: { sub: SubscriptionRecord; listed: boolean }[];
}

const backends = [
  { name: 'sqlite', url: (dir: string) => Promise.resolve(`sqlite://${join(dir, 'store.db')}`) },
  ...(REDIS_URL ? [{ name: 'redis', url: () => Promise.resolve(REDIS_URL) }] : []),
];

describe.each(backends)('changing SHARD_COUNT ($name)', ({ name, url: urlOf }) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp() {
    const temp = await makeTempDir();
    cleanups.push(temp.remove);
    const url = await urlOf(temp.dir);
    const namespace = `sora-tracker-test:reshard-${randomUUID()}`;
    if (name === 'redis') cleanups.push(() => dropRedisNamespace(namespace));
    const { logger, lines } = collectingLogger();
    const clock = createSystemClock();
    const reshard = (shardCount: number, afterTask?: (n: number) => void) =>
      ensureShardLayout({ url, namespace, shardCount, logger, clock, ...(afterTask ? { afterTask } : {}) });
    const open = (shardCount: number, id: number) =>
      createTrackingStore({ url, logger, namespace: shardNamespaces(namespace, shardCount)[id]! });

    /** Everything every namespace of `shardCount` holds, by shard. */
    async function dump(shardCount: number): Promise<Map<string, Found>[]> {
      const shards: Map<string, Found>[] = [];
      for (const [id, ns] of shardNamespaces(namespace, shardCount).entries()) {
        const records = await openNamespaceRecords({ url, namespace: ns, logger });
        const ids = await records.taskIds().finally(() => records.close());
        const store = await open(shardCount, id);
        const found = new Map<string, Found>();
        for (const taskId of ids.sort()) {
          const subs = await store.subscriptionsOf(taskId);
          found.set(taskId, {
            task: (await store.getTask(taskId))!,
            active: await store.isActive(taskId),
            owners: await store.activeOwners(taskId),
            subs: await Promise.all(
              subs
                .sort((a, b) => a.channelId.localeCompare(b.channelId))
                .map(async (sub) => ({
                  sub,
                  listed: (await store.channelTaskIds(sub.channelId)).includes(taskId),
                })),
            ),
          });
        }
        await store.close();
        shards.push(found);
      }
      return shards;
    }

    async function layout() {
      const layouts = await openLayoutStore({ url, namespace, logger });
      return layouts.read().finally(() => layouts.close());
    }
    return { url, namespace, logger, lines, reshard, open, dump, layout };
  }

  type World = Awaited<ReturnType<typeof setUp>>;

  /** Task A followed in G6 (posted, DM sent) and G7; B ended and unlisted in G7; C in a guild-less channel. */
  async function trackOnOneShard(world: World) {
    await world.reshard(1); // a new store: the layout says 1
    const store = await world.open(1, 0);
    await store.putTask(
      sampleTask('task_a', {
        channelIds: ['c-a6', 'c-a7'],
        delivery: { dms: { [USER]: { state: 'sent', nonce: 'dm-a', at: 5, messageId: 'm-dm' } } },
      }),
    );
    await store.putSubscription(
      sampleSubscription('task_a', 'c-a6', {
        guildId: G6,
        requesterId: USER,
        notifyUserIds: [USER],
        messageId: 'm-a6',
        delivery: { state: 'posted', nonce: 'r-a6', resultMessageId: 'm-r6', postedAt: 9 },
      }),
    );
    await store.putSubscription(sampleSubscription('task_a', 'c-a7', { guildId: G7, requesterId: OTHER }));
    await store.setActive('task_a', true, { userId: USER, guildId: G6 });
    await store.setActive('task_a', true, { userId: OTHER, guildId: G7 });
    await store.putTask(
      sampleTask('task_b', { state: 'ended', endReason: 'completed', channelIds: ['c-b7'] }),
    );
    await store.putSubscription(sampleSubscription('task_b', 'c-b7', { guildId: G7, state: 'stopped' }));
    await store.unlistSubscription('task_b', 'c-b7');
    await store.putTask(sampleTask('task_c', { channelIds: ['c-c'] }));
    const { guildId: _, ...guildless } = sampleSubscription('task_c', 'c-c');
    await store.putSubscription(guildless);
    await store.setActive('task_c', true, { userId: USER });
    await store.close();
  }

  it('moves every task from 1 shard to 2, once, and a second run changes nothing', async () => {
    const world = await setUp();
    await trackOnOneShard(world);
    await world.reshard(2);

    expect(await world.layout()).toEqual({ shardCount: 2, state: 'ready' });
    const [zero, one] = await world.dump(2);
    expect([...zero!.keys()]).toEqual(['task_a', 'task_c']);
    expect([...one!.keys()]).toEqual(['task_a', 'task_b']);
    const a0 = zero!.get('task_a')!;
    expect(a0.task.channelIds).toEqual(['c-a6']);
    expect(a0.task.delivery?.dms?.[USER]?.state).toBe('sent');
    expect(a0.subs.map(({ sub }) => [sub.channelId, sub.delivery?.state])).toEqual([['c-a6', 'posted']]);
    expect(a0).toMatchObject({ active: true, owners: { userIds: [USER], guildIds: [G6] } });
    const a1 = one!.get('task_a')!;
    expect(a1.task.channelIds).toEqual(['c-a7']);
    expect(a1.task.delivery?.dms?.[USER]?.state).toBe('sent');
    expect(a1).toMatchObject({ active: true, owners: { userIds: [OTHER], guildIds: [G7] } });
    expect(one!.get('task_b')).toMatchObject({ active: false, subs: [{ listed: false }] });
    expect(zero!.get('task_c')).toMatchObject({ active: true, subs: [{ listed: true }] });
    expect([...(await world.dump(1))[0]!.keys()]).toEqual([]);
    const moved = world.lines.filter((line) => line.msg === 'moved the tracked tasks to the new SHARD_COUNT');
    expect(moved).toMatchObject([{ from: 1, to: 2, tasks: 3, subscriptions: 4 }]);

    const before = await world.dump(2);
    await world.reshard(2);
    expect(await world.dump(2)).toEqual(before);
    expect(world.lines.filter((line) => line.msg === moved[0]!.msg)).toHaveLength(1);
  });

  it('finishes a move that crashed half-way, then merges back to 1 without loss or duplicates', async () => {
    const world = await setUp();
    await trackOnOneShard(world);
    await world.reshard(2);
    await expect(
      world.reshard(3, (copied) => {
        if (copied === 2) throw new Error('crash mid-copy');
      }),
    ).rejects.toThrow('crash mid-copy');
    // Nothing flipped, nothing deleted: the old count still holds everything.
    expect(await world.layout()).toEqual({ shardCount: 2, state: 'ready' });
    expect((await world.dump(2)).map((shard) => shard.size)).toEqual([2, 2]);

    await world.reshard(3);
    expect(await world.layout()).toEqual({ shardCount: 3, state: 'ready' });
    const three = await world.dump(3);
    expect(three.map((shard) => [...shard.keys()])).toEqual([['task_a', 'task_c'], ['task_a', 'task_b'], []]);
    expect((await world.dump(2)).map((shard) => shard.size)).toEqual([0, 0]);

    await world.reshard(1);
    const [all] = await world.dump(1);
    expect([...all!.keys()]).toEqual(['task_a', 'task_b', 'task_c']);
    const a = all!.get('task_a')!;
    expect(a.task.channelIds.slice().sort()).toEqual(['c-a6', 'c-a7']);
    expect(a.subs.map(({ sub }) => sub.channelId)).toEqual(['c-a6', 'c-a7']);
    expect(a.subs[0]!.sub.delivery).toMatchObject({ state: 'posted', resultMessageId: 'm-r6' });
    expect(a.task.delivery?.dms?.[USER]).toMatchObject({ state: 'sent', messageId: 'm-dm' });
    expect(a.owners.userIds.slice().sort()).toEqual([USER, OTHER].sort());
    expect(a.owners.guildIds.slice().sort()).toEqual([G6, G7].sort());
    expect((await world.dump(3)).map((shard) => shard.size)).toEqual([0, 0, 0]);
  });

  it('merges a task held by two shards into one, keeping the newest reading and every DM sent', async () => {
    const world = await setUp();
    await world.reshard(2);
    const [zero, one] = [await world.open(2, 0), await world.open(2, 1)];
    const older = { lastPolledAt: 1_000, snapshot: sampleSnapshot({ id: 'task_m', progress: 10 }) };
    const newer = { lastPolledAt: 2_000, snapshot: sampleSnapshot({ id: 'task_m', progress: 80 }) };
    const dm = (state: 'sent' | 'pending') => ({ state, nonce: `dm-${state}`, at: 1 });
    await zero.putTask(
      sampleTask('task_m', { ...older, channelIds: ['c-8'], delivery: { dms: { [USER]: dm('sent') } } }),
    );
    await zero.putSubscription(sampleSubscription('task_m', 'c-8', { guildId: G8 }));
    await zero.setActive('task_m', true, { guildId: G8 });
    await one.putTask(
      sampleTask('task_m', { ...newer, channelIds: ['c-7'], delivery: { dms: { [USER]: dm('pending') } } }),
    );
    await one.putSubscription(sampleSubscription('task_m', 'c-7', { guildId: G7 }));
    await one.setActive('task_m', true, { guildId: G7 });
    await Promise.all([zero.close(), one.close()]);

    await world.reshard(1);
    const m = (await world.dump(1))[0]!.get('task_m')!;
    expect(m.task.snapshot?.progress).toBe(80);
    expect(m.task.channelIds.slice().sort()).toEqual(['c-7', 'c-8']);
    expect(m.task.delivery?.dms?.[USER]?.state).toBe('sent');
    expect(m.subs.map(({ sub }) => sub.channelId)).toEqual(['c-7', 'c-8']);
    expect(m.active).toBe(true);
  });

  it('adopts the data of a store from before the layout record', async () => {
    const world = await setUp();
    const legacy = await world.open(2, 1);
    await legacy.putTask(sampleTask('task_l', { channelIds: ['c-7'] }));
    await legacy.putSubscription(sampleSubscription('task_l', 'c-7', { guildId: G7 }));
    await legacy.setActive('task_l', true, { guildId: G7 });
    await legacy.close();

    await world.reshard(1);
    expect(await world.layout()).toEqual({ shardCount: 1, state: 'ready' });
    expect((await world.dump(1))[0]!.get('task_l')).toMatchObject({ active: true, subs: [{ listed: true }] });
  });
});

describe.skipIf(!REDIS_URL)('changing SHARD_COUNT with leases (redis)', () => {
  it('waits until no process runs a shard of the old count, and moves the tasks once', async () => {
    const namespace = `sora-tracker-test:reshard-${randomUUID()}`;
    const url = REDIS_URL ?? '';
    const { logger, lines } = collectingLogger();
    const clock = createSystemClock();
    const redis = createLeaseRedis({ url, logger });
    try {
      const leases = { redis, ttlMs: 600 };
      await ensureShardLayout({ url, namespace, shardCount: 1, logger, clock, leases });
      const store = await createTrackingStore({ url, logger, namespace });
      await store.putTask(sampleTask('task_r', { channelIds: ['c-7'] }));
      await store.putSubscription(sampleSubscription('task_r', 'c-7', { guildId: G7 }));
      await store.setActive('task_r', true, { guildId: G7 });
      await store.close();
      // A process of the old count still runs shard 0 of 1.
      const oldKey = leaseKey(namespace, 0, 1);
      await waitFor(
        async () => (await redis.acquire(oldKey, 'tok.1 old-host pid 1', 60_000, 'tok.')) === 'acquired',
        'lease',
      );

      const moves = [1, 2].map(() =>
        ensureShardLayout({ url, namespace, shardCount: 2, logger, clock, leases }),
      );
      await waitFor(
        () =>
          Promise.resolve(
            lines.some((line) => line.msg.startsWith('shards of the old SHARD_COUNT still run')),
          ),
        'the wait for the old shard',
      );
      const layouts = await openLayoutStore({ url, namespace, logger });
      expect(await layouts.read()).toEqual({ shardCount: 1, state: 'ready' });
      await redis.release(oldKey, 'tok.1 old-host pid 1');
      await Promise.all(moves);
      expect(await layouts.read()).toEqual({ shardCount: 2, state: 'ready' });
      await layouts.close();
      expect(
        lines.filter((line) => line.msg === 'moved the tracked tasks to the new SHARD_COUNT'),
      ).toHaveLength(1);
      const moved = await createTrackingStore({ url, logger, namespace: shardNamespaces(namespace, 2)[1]! });
      expect(await moved.activeTaskIds()).toEqual(['task_r']);
      await moved.close();
      await expect(redis.get(oldKey)).resolves.toBeUndefined();
    } finally {
      await redis.close();
      await dropRedisNamespace(namespace);
    }
  });
});

async function dropRedisNamespace(namespace: string): Promise<void> {
  const client = createClient({ url: REDIS_URL ?? '' });
  client.on('error', () => undefined);
  await client.connect();
  for await (const key of client.scanIterator({ MATCH: `${namespace}:*`, COUNT: 1_000 }))
    await client.del(key);
  await client.quit();
}
