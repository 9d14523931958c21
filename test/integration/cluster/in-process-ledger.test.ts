import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessLedgers } from '../../../src/cluster/in-process-ledger.js';
import type { ShardLedgers } from '../../../src/cluster/shard-ledgers.js';
import type { ShardRef } from '../../../src/cluster/shard-ref.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { makeTempDir } from '../store/support.js';
import { ALICE, endedHere, openShard, recordingDiscord, trackAs } from './ledger-world.js';

/**
 * The cross-shard ledger of several shards in one process on one SQLite file (SHARD_COUNT=2 without
 * Redis): one DM per person and task, remembered across a restart, and MAX_TASKS_PER_USER (2 here)
 * counted over both shards.
 */
const NAMESPACE = 'sora-tracker';
const shardRef = (id: number): ShardRef => ({ id, count: 2 });

describe('the in-process cross-shard ledger on SQLite', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function world() {
    const temp = await makeTempDir();
    cleanups.push(temp.remove);
    const url = `sqlite://${join(temp.dir, 'store.sqlite')}`;
    const clock = createManualClock(50_000);
    const discord = recordingDiscord();
    /** The ledgers of the process; a second call is the process restarted. */
    const start = async (options: { now?: () => number } = {}) => {
      const ledgers: ShardLedgers = await createInProcessLedgers({
        url,
        namespace: NAMESPACE,
        logger: pino({ level: 'silent' }),
        ...options,
      });
      cleanups.push(() => ledgers.close());
      const open = async (id: number) => {
        const shard = await openShard({
          url,
          namespace: NAMESPACE,
          shard: shardRef(id),
          ledgers,
          clock,
          publisher: discord.publisherFor(id),
        });
        cleanups.push(() => shard.store.close());
        return shard;
      };
      return { ledgers, zero: await open(0), one: await open(1) };
    };
    return { start, discord };
  }

  it('one DM for a task delivered by both shards', async () => {
    const { start, discord } = await world();
    const { zero, one } = await start();
    const onZero = await endedHere(zero, 'video_both', '200000000000000010');
    const onOne = await endedHere(one, 'video_both', '200000000000000011');
    await Promise.all([zero.delivery.deliver(onZero), one.delivery.deliver(onOne)]);
    expect(discord.posts).toHaveLength(2);
    expect(discord.dms.map((dm) => dm.taskId)).toEqual(['video_both']);
    const states = await Promise.all([zero, one].map((s) => s.store.getTask('video_both')));
    expect(states.map((t) => t?.delivery?.dms?.[ALICE]?.state).sort()).toEqual(['elsewhere', 'sent']);
  });

  it('the claim outlives a restart: the claimant sends the DM after it, the other shard never', async () => {
    const { start, discord } = await world();
    const first = await start();
    const onZero = await endedHere(first.zero, 'video_restart', '200000000000000010');
    await endedHere(first.one, 'video_restart', '200000000000000011');
    // Shard 0 claims the DM, cannot send it yet, and the process stops before shard 1 delivers.
    discord.dmAnswers.push('failed');
    await first.zero.delivery.deliver(onZero);
    expect(discord.dms).toEqual([]);
    await first.ledgers.close();
    await Promise.all([first.zero.store.close(), first.one.store.close()]);

    const { zero, one } = await start();
    for (const shard of [one, zero, one])
      await shard.delivery.deliver((await shard.store.getTask('video_restart'))!);
    expect(discord.dms).toEqual([{ shard: 0, userId: ALICE, taskId: 'video_restart' }]);
    expect((await one.store.getTask('video_restart'))?.delivery?.dms?.[ALICE]?.state).toBe('elsewhere');
  });

  it('takes over a claim of a shard of an earlier SHARD_COUNT, never one of this count', async () => {
    const { start } = await world();
    const { ledgers, zero, one } = await start();
    // The single shard the bot ran before SHARD_COUNT became 2 claimed the DM and never sent it.
    const before = ledgers.forShard({ id: 0, count: 1 }, zero.store);
    expect(await before.claimDm('video_moved', ALICE)).toBe('ours');
    const now = ledgers.forShard(shardRef(1), one.store);
    expect(await now.claimDm('video_moved', ALICE)).toBe('ours');
    expect(await ledgers.forShard(shardRef(0), zero.store).claimDm('video_moved', ALICE)).toBe('elsewhere');
  });

  it('a claim ends after its lifetime (30 days) and may be made again', async () => {
    const { start } = await world();
    let now = 1_000;
    const { ledgers, zero, one } = await start({ now: () => now });
    const ledger0 = ledgers.forShard(shardRef(0), zero.store);
    const ledger1 = ledgers.forShard(shardRef(1), one.store);
    expect(await ledger0.claimDm('video_old', ALICE)).toBe('ours');
    expect(await ledger1.claimDm('video_old', ALICE)).toBe('elsewhere');
    now += 30 * 24 * 60 * 60_000;
    expect(await ledger1.claimDm('video_old', ALICE)).toBe('ours');
    expect(await ledger0.claimDm('video_old', ALICE)).toBe('elsewhere');
  });

  it('counts a person’s tasks on both shards for MAX_TASKS_PER_USER (2)', async () => {
    const { start } = await world();
    const { zero, one } = await start();
    expect((await trackAs(zero, 'video_here', '200000000000000030')).kind).toBe('tracked');
    expect((await trackAs(one, 'video_there', '200000000000000031')).kind).toBe('tracked');
    expect(await trackAs(zero, 'video_third', '200000000000000030')).toEqual({
      kind: 'user_limit',
      limit: 2,
    });
    expect(await trackAs(one, 'video_third', '200000000000000031')).toEqual({ kind: 'user_limit', limit: 2 });
    await one.store.setActive('video_there', false);
    expect((await trackAs(zero, 'video_third', '200000000000000030')).kind).toBe('tracked');
  });
});
