import { afterEach, describe, expect, it } from 'vitest';
import type { FakeChannel } from '../../testkit/fake-discord/index.js';
import { embedText, useStack } from './harness.js';
import { addTwoStepTask, createShardWorld, eventually, type ShardProcess } from './shards.js';

/**
 * What one person gets from a bot of two shards (docs/scaling.md#what-is-shared-and-what-is-not): one
 * DM per task they asked about, whichever shards deliver it, and MAX_TASKS_PER_USER counted over both.
 * Against the local Discord, with the shards in two processes on Redis, or in one process on SQLite.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn(
    'Skipping the two-process ledger test: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run it.',
  );

const LIMIT = { MAX_TASKS_PER_USER: '2' };

describe.each([
  { name: 'two processes on Redis', redis: true },
  { name: 'one process on SQLite', redis: false },
])('two shards, $name: one DM per person and task, one limit per person', ({ redis }) => {
  const createStack = useStack();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it.skipIf(redis && !REDIS_URL)(
    'a task asked about in guilds on both shards: one DM, both results; a third task is refused on either',
    async () => {
      const w = await createShardWorld(createStack, redis ? REDIS_URL : undefined);
      cleanups.push(w.cleanup);
      const { stack } = w;
      const [s0, s1] = w.channels;
      const alice = stack.alice;
      addTwoStepTask(stack, 'video_both_dm');
      addTwoStepTask(stack, 'video_third');

      let runners: ShardProcess[];
      if (redis) {
        runners = [await w.spawnShards([0], LIMIT), await w.spawnShards([1], LIMIT)];
        await Promise.all([w.running(runners[0]!, 0), w.running(runners[1]!, 1)]);
      } else {
        runners = [await w.spawnShards([], { ...LIMIT, SHARD_IDS: '' })];
        await Promise.all([w.running(runners[0]!, 0), w.running(runners[0]!, 1)]);
      }
      // Alice follows one task from a guild on each shard, asking for a DM in both: one task on each.
      await w.track({ taskId: 'video_both_dm', channel: s0[0]!, user: alice, notify: true });
      await w.track({ taskId: 'video_both_dm', channel: s1[0]!, user: alice, notify: true });

      // Two active tasks for her in all (one per shard): a third is refused in either guild.
      for (const channel of [s0[1]!, s1[1]!]) {
        const refused = stack.sora('track', { id: 'video_third' }, { user: alice, channel });
        const reply = await refused.waitForOriginal((m) => m.current.content !== '', { timeoutMs: 15_000 });
        expect(reply.current.content).toBe(
          'You already track 2 active tasks, the most allowed per person. Untrack one or wait until one ends.',
        );
        expect(stack.progressMessages(channel)).toEqual([]);
      }
      // Bob is not held to Alice's limit.
      await w.track({ taskId: 'video_third', channel: s0[1]!, user: stack.bob, notify: false });

      await w.apiClock.advance(1_000);
      for (const channel of [s0[0]!, s1[0]!]) await resultIn(channel, 'video_both_dm');
      await eventually(async () => {
        const reports = await Promise.all(runners.map((r) => r.health()));
        return reports.every((report) => report?.body.shards.every((s) => s.activeTasks === 0));
      }, 'every shard to finish its tasks');

      const dms = stack.discord.messages.dmsTo(alice);
      expect(dms.map((dm) => dm.current.content.includes('video_both_dm'))).toEqual([true]);
      for (const channel of [s0[0]!, s1[0]!]) expect(resultsOf(channel, 'video_both_dm')).toHaveLength(1);
      const logs = runners.map((r) => r.bot.stdout()).join('\n');
      expect(logs).toContain('DM left to the shard that claimed it');

      function resultsOf(channel: FakeChannel, taskId: string) {
        const progressIds = new Set(
          stack
            .progressMessages(channel)
            .filter((m) => embedText(m).includes(taskId))
            .map((m) => m.id),
        );
        return stack
          .botMessages(channel)
          .filter((m) => progressIds.has(m.versions[0]?.messageReference?.message_id ?? ''));
      }
      async function resultIn(channel: FakeChannel, taskId: string) {
        await stack.discord.waitFor(() => resultsOf(channel, taskId).length > 0, {
          description: `the result of ${taskId} in #${channel.name}`,
          timeoutMs: 30_000,
        });
      }
    },
    90_000,
  );
});
