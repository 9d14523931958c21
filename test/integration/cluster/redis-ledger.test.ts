import { randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisLedgers } from '../../../src/cluster/redis-ledger.js';
import type { ShardLedgers } from '../../../src/cluster/shard-ledgers.js';
import { shardNamespace, type ShardRef } from '../../../src/cluster/shard-ref.js';
import { createTrackingStore } from '../../../src/store/index.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { unusedPort, waitFor } from '../store/support.js';
import { ALICE, endedHere, openShard, recordingDiscord, trackAs, type LedgerShard } from './ledger-world.js';

/**
 * The cross-shard ledger on a real Redis, as shards in separate processes use it: one DM per person and
 * task whichever shards deliver it, and MAX_TASKS_PER_USER (2 here) counted over every shard.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping the Redis ledger tests: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run them.');

const COUNT = 2;
const shardRef = (id: number): ShardRef => ({ id, count: COUNT });

describe.skipIf(!REDIS_URL)('the cross-shard ledger on Redis', () => {
  const url = REDIS_URL ?? '';
  const cleanups: (() => Promise<unknown>)[] = [];
  // A namespace of this test's own, removed afterwards: parallel runs never meet.
  let namespace = '';
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    const admin = createClient({ url });
    admin.on('error', () => undefined);
    await admin.connect();
    const keys = await admin.keys(`${namespace}:*`);
    if (keys.length > 0) await admin.del(keys);
    await admin.quit();
  });

  /** The ledgers of one bot process; a second call is another process (or this one restarted). */
  function processLedgers(atUrl = url): ShardLedgers {
    const ledgers = createRedisLedgers({
      url: atUrl,
      namespace,
      shardCount: COUNT,
      logger: pino({ level: 'silent' }),
      commandTimeoutMs: 500,
    });
    cleanups.push(() => ledgers.close());
    return ledgers;
  }

  async function connected(ledgers: ShardLedgers, shard: ShardRef, probeStore: LedgerShard['store']) {
    const ledger = ledgers.forShard(shard, probeStore);
    await waitFor(() => ledger.countActiveForUser('probe').then(() => true), 'the ledger connection');
    return ledger;
  }

  function shards(clock = createManualClock(50_000)) {
    namespace ||= `sora-ledger-test:${randomUUID()}`;
    const discord = recordingDiscord();
    const open = async (id: number, ledgers: ShardLedgers) => {
      const shard = await openShard({
        url,
        namespace,
        shard: shardRef(id),
        ledgers,
        clock,
        publisher: discord.publisherFor(id),
      });
      cleanups.push(() => shard.store.close());
      await connected(ledgers, shardRef(id), shard.store);
      return shard;
    };
    return { discord, open, clock };
  }

  it('claims a DM once: the claiming shard keeps it across a restart, every other shard is told elsewhere', async () => {
    const { open } = shards();
    const zero = await open(0, processLedgers());
    const one = await open(1, processLedgers());
    const ledger0 = await connected(processLedgers(), shardRef(0), zero.store);
    const ledger1 = await connected(processLedgers(), shardRef(1), one.store);

    expect(await ledger1.claimDm('video_a', ALICE)).toBe('ours');
    expect(await ledger0.claimDm('video_a', ALICE)).toBe('elsewhere');
    // A retry, or shard 1 restarted in a new process: still its own.
    expect(await ledger1.claimDm('video_a', ALICE)).toBe('ours');
    const restarted = processLedgers();
    const again = await connected(restarted, shardRef(1), one.store);
    expect(await again.claimDm('video_a', ALICE)).toBe('ours');
    // Another user, another task: claims of their own.
    expect(await ledger0.claimDm('video_a', 'someone-else')).toBe('ours');
    expect(await ledger0.claimDm('video_b', ALICE)).toBe('ours');

    const admin = createClient({ url });
    admin.on('error', () => undefined);
    await admin.connect();
    cleanups.push(() => admin.quit());
    const key = `${namespace}:dm-claim:video_a:${ALICE}`;
    expect(await admin.get(key)).toBe(shardNamespace(namespace, shardRef(1)));
    // Kept long (30 days), not for ever.
    expect(await admin.pTTL(key)).toBeGreaterThan(29 * 24 * 60 * 60_000);
  });

  it('takes over a claim of a shard of an earlier SHARD_COUNT (its task moved here), never one of this count', async () => {
    const { open } = shards();
    const zero = await open(0, processLedgers());
    const ledger0 = await connected(processLedgers(), shardRef(0), zero.store);
    const admin = createClient({ url });
    admin.on('error', () => undefined);
    await admin.connect();
    cleanups.push(() => admin.quit());
    // Claimed, never sent, by the single shard the bot ran before SHARD_COUNT became 2.
    const key = `${namespace}:dm-claim:video_moved:${ALICE}`;
    await admin.set(key, shardNamespace(namespace, { id: 0, count: 1 }));
    expect(await ledger0.claimDm('video_moved', ALICE)).toBe('ours');
    expect(await admin.get(key)).toBe(shardNamespace(namespace, shardRef(0)));
    // A claim by a shard of the current count stays theirs.
    await admin.set(key, shardNamespace(namespace, shardRef(1)));
    expect(await ledger0.claimDm('video_moved', ALICE)).toBe('elsewhere');
  });

  it('one task followed from guilds on both shards by someone who asked twice: one DM, both results', async () => {
    const { discord, open } = shards();
    const zero = await open(0, processLedgers());
    const one = await open(1, processLedgers());
    const onZero = await endedHere(zero, 'video_both', '200000000000000010');
    const onOne = await endedHere(one, 'video_both', '200000000000000011');

    await Promise.all([zero.delivery.deliver(onZero), one.delivery.deliver(onOne)]);

    expect(discord.posts.map((p) => p.channelId).sort()).toEqual([
      '200000000000000010',
      '200000000000000011',
    ]);
    expect(discord.dms.map((dm) => [dm.userId, dm.taskId])).toEqual([[ALICE, 'video_both']]);
    // Both shards are done: the one that sent it, and the one that left it to the other.
    const states = await Promise.all([zero, one].map((s) => s.store.getTask('video_both')));
    expect(states.map((t) => t?.delivery?.finishedAt)).toEqual([50_000, 50_000]);
    expect(states.map((t) => t?.delivery?.dms?.[ALICE]?.state).sort()).toEqual(['elsewhere', 'sent']);
  });

  it('the claiming shard crashes after its claim and before the DM: restarted, it sends the one DM', async () => {
    const { discord, open, clock } = shards();
    const one = await open(1, processLedgers());
    const zero = await open(0, processLedgers());
    const onZero = await endedHere(zero, 'video_crash', '200000000000000020');
    const onOne = await endedHere(one, 'video_crash', '200000000000000021');

    discord.dmAnswers.push('throw');
    await expect(zero.delivery.deliver(onZero)).rejects.toThrow('process died');
    expect(discord.dms).toEqual([]);
    // Shard 1 delivers meanwhile: the DM is shard 0's, so shard 1 sends none.
    await one.delivery.deliver(onOne);
    expect(discord.dms).toEqual([]);

    // Shard 0 in a new process, on the same store: it finds its claim and sends the DM, once.
    await zero.store.close();
    const newProcess = processLedgers();
    const restarted = await openShard({
      url,
      namespace,
      shard: shardRef(0),
      ledgers: newProcess,
      clock,
      publisher: discord.publisherFor(0),
    });
    cleanups.push(() => restarted.store.close());
    await connected(newProcess, shardRef(0), restarted.store);
    await restarted.delivery.deliver((await restarted.store.getTask('video_crash'))!);
    expect(discord.dms).toHaveLength(1);
    await restarted.delivery.deliver((await restarted.store.getTask('video_crash'))!);
    await one.delivery.deliver((await one.store.getTask('video_crash'))!);
    expect(discord.dms).toEqual([{ shard: 0, userId: ALICE, taskId: 'video_crash' }]);
  });

  it('counts a person’s tasks on every shard for MAX_TASKS_PER_USER (2), and not what a crash left behind', async () => {
    const { open } = shards();
    const zero = await open(0, processLedgers());
    const one = await open(1, processLedgers());
    expect((await trackAs(zero, 'video_here', '200000000000000030')).kind).toBe('tracked');
    expect((await trackAs(one, 'video_there', '200000000000000031')).kind).toBe('tracked');

    expect(await trackAs(zero, 'video_third', '200000000000000030')).toEqual({
      kind: 'user_limit',
      limit: 2,
    });
    expect(await trackAs(one, 'video_third', '200000000000000031')).toEqual({ kind: 'user_limit', limit: 2 });

    // Shard 1's task ends; then a crash during a setActive(false) there leaves Alice's index counting a
    // task no longer in the active index. Not counted: a new task may start.
    await one.store.setActive('video_there', false);
    await one.store.close();
    const restarted = await createTrackingStore({
      url,
      namespace: shardNamespace(namespace, shardRef(1)),
      logger: pino({ level: 'silent' }),
    });
    cleanups.push(() => restarted.close());
    await restarted.setActive('video_crashed', true, { userId: ALICE });
    const admin = createClient({ url });
    admin.on('error', () => undefined);
    await admin.connect();
    cleanups.push(() => admin.quit());
    for (const key of await admin.keys(`${shardNamespace(namespace, shardRef(1))}:idx:active:*`))
      await admin.del(key);
    expect(await admin.get(`${shardNamespace(namespace, shardRef(1))}:idx:user-active:${ALICE}`)).toContain(
      'video_crashed',
    );
    expect((await trackAs(zero, 'video_third', '200000000000000030')).kind).toBe('tracked');
  });

  it('cannot claim without Redis: the DM waits, unsent and unclaimed, until it can', async () => {
    const { discord, open, clock } = shards();
    const zero = await open(0, processLedgers());
    const down = await openShard({
      url,
      namespace,
      shard: shardRef(0),
      ledgers: processLedgers(`redis://127.0.0.1:${await unusedPort()}`),
      clock,
      publisher: discord.publisherFor(0),
      store: zero.store,
    });
    const task = await endedHere(down, 'video_down', '200000000000000040');
    await expect(down.delivery.deliver(task)).rejects.toThrow(/not connected|in time/);
    expect(discord.posts).toHaveLength(1);
    expect(discord.dms).toEqual([]);
    expect((await zero.store.getTask('video_down'))?.delivery?.dms).toBeUndefined();

    await zero.delivery.deliver((await zero.store.getTask('video_down'))!);
    expect(discord.dms).toEqual([{ shard: 0, userId: ALICE, taskId: 'video_down' }]);
    expect(discord.posts).toHaveLength(1);
  });
});
