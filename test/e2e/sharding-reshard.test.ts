import { afterEach, describe, expect, it } from 'vitest';
import { useStack } from './harness.js';
import { addTwoStepTask, createShardWorld, type Tracked } from './shards.js';

/**
 * SHARD_COUNT changed mid-task: a bot with one shard tracks tasks in guilds that sit on both shards of
 * two, is stopped, and a bot with SHARD_COUNT=2 takes over. Every task still ends with exactly one result
 * per channel and the DMs asked for, on the progress messages the first bot posted.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping the Redis half of the SHARD_COUNT change test: set REDIS_URL to run it.');

const stores = [
  { name: 'SQLite', redisUrl: undefined },
  ...(REDIS_URL ? [{ name: 'Redis, with leases', redisUrl: REDIS_URL }] : []),
];

describe.each(stores)('changing SHARD_COUNT from 1 to 2 mid-task ($name)', ({ redisUrl }) => {
  const createStack = useStack();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('moves the tracked tasks: every result once, one DM per person who asked', async () => {
    const w = await createShardWorld(createStack, redisUrl);
    cleanups.push(w.cleanup);
    const { stack } = w;
    const [s0, s1] = w.channels;
    const tracked: Tracked[] = [
      { taskId: 'video_r0', channel: s0[0]!, user: stack.alice, notify: true },
      { taskId: 'video_r1', channel: s1[0]!, user: stack.bob, notify: true },
      { taskId: 'video_r2', channel: s1[1]!, user: stack.alice, notify: false },
      // One task from guilds that land on both new shards.
      { taskId: 'video_rboth', channel: s0[1]!, user: stack.bob, notify: true },
      { taskId: 'video_rboth', channel: s1[0]!, user: stack.alice, notify: true },
    ];
    for (const taskId of new Set(tracked.map((t) => t.taskId))) addTwoStepTask(stack, taskId);

    const single = await w.spawnShards([0], { SHARD_COUNT: '1' });
    await w.running(single, 0);
    for (const entry of tracked) await w.track(entry);
    expect(await single.bot.kill('SIGTERM')).toBe(0);

    const both = await w.spawnShards([0, 1]);
    await Promise.all([w.running(both, 0), w.running(both, 1)]);
    const moved = both.bot
      .stdout()
      .split('\n')
      .filter((line) => line.includes('moved the tracked tasks to the new SHARD_COUNT'));
    expect(moved).toHaveLength(1);
    expect(JSON.parse(moved[0]!)).toMatchObject({ from: 1, to: 2, tasks: 4, subscriptions: 5 });

    await w.apiClock.advance(1_000);
    await w.expectDeliveredOnce(tracked, [both]);
  }, 90_000);
});
