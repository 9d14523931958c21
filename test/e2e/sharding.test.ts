import { afterEach, describe, expect, it } from 'vitest';
import { API_KEY, useStack } from './harness.js';
import { LEASE_MS, addTwoStepTask, createShardWorld, eventually, type Tracked } from './shards.js';

/**
 * Two Discord shards in real processes sharing a Redis store: guilds on both shards, tasks tracked on
 * both (one task from guilds on both), and what people see when processes overlap or die.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping the sharding tests: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run them.');

describe('two shards in one process (SHARD_COUNT=2, SQLite)', () => {
  const createStack = useStack();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('runs both, one gateway connection each, and delivers every result once', async () => {
    const w = await createShardWorld(createStack, undefined);
    cleanups.push(w.cleanup);
    const { stack } = w;
    const [s0, s1] = w.channels;
    const tracked: Tracked[] = [
      { taskId: 'video_p0', channel: s0[0]!, user: stack.alice, notify: true },
      { taskId: 'video_p1', channel: s1[0]!, user: stack.bob, notify: true },
    ];
    for (const entry of tracked) addTwoStepTask(stack, entry.taskId);

    // SHARD_IDS unset: every shard of SHARD_COUNT.
    const both = await w.spawnShards([], { SHARD_IDS: '' });
    await Promise.all([w.running(both, 0), w.running(both, 1)]);
    expect((await both.health())?.body.shards.map((s) => [s.id, s.state])).toEqual([
      [0, 'running'],
      [1, 'running'],
    ]);
    expect(
      stack.discord.gateway
        .sessions()
        .map((s) => s.shard)
        .sort(),
    ).toEqual([
      [0, 2],
      [1, 2],
    ]);
    for (const entry of tracked) await w.track(entry);
    await w.apiClock.advance(1_000);
    await w.expectDeliveredOnce(tracked, [both]);
  }, 60_000);
});

describe.skipIf(!REDIS_URL)('two shards in separate processes on Redis', () => {
  const createStack = useStack();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function world() {
    const w = await createShardWorld(createStack, REDIS_URL ?? '');
    cleanups.push(w.cleanup);
    return w;
  }

  it('each shard polls and delivers its own guilds: every result once, one DM per person who asked', async () => {
    const w = await world();
    const { stack } = w;
    const [s0, s1] = w.channels;
    const tracked: Tracked[] = [
      { taskId: 'video_s0_one', channel: s0[0]!, user: stack.alice, notify: true },
      { taskId: 'video_s0_two', channel: s0[1]!, user: stack.bob, notify: false },
      { taskId: 'video_s1_one', channel: s1[0]!, user: stack.bob, notify: true },
      { taskId: 'video_s1_two', channel: s1[1]!, user: stack.alice, notify: false },
      // One task tracked from guilds on both shards: each shard polls it and delivers to its channel.
      { taskId: 'video_both', channel: s0[1]!, user: stack.alice, notify: false },
      { taskId: 'video_both', channel: s1[0]!, user: stack.bob, notify: false },
    ];
    for (const taskId of new Set(tracked.map((t) => t.taskId))) addTwoStepTask(stack, taskId);

    const shard0 = await w.spawnShards([0]);
    const shard1 = await w.spawnShards([1]);
    await Promise.all([w.running(shard0, 0), w.running(shard1, 1)]);
    // One gateway connection per shard, each from its own process.
    expect(
      stack.discord.gateway
        .sessions()
        .filter((s) => s.connected)
        .map((s) => s.shard)
        .sort(),
    ).toEqual([
      [0, 2],
      [1, 2],
    ]);

    for (const entry of tracked) await w.track(entry);
    // Each shard's own index of active tasks: three here, three there.
    expect(await shard0.shard(0)).toMatchObject({ state: 'running', activeTasks: 3 });
    expect(await shard1.shard(1)).toMatchObject({ state: 'running', activeTasks: 3 });

    await w.apiClock.advance(1_000);
    await w.expectDeliveredOnce(tracked, [shard0, shard1]);

    // Per-shard metrics, and logs that say which shard wrote them.
    const metrics0 = await shard0.metrics();
    expect(metrics0).toMatch(/^sora_tracker_polls_total\{shard="0",outcome="terminal"\} 3$/m);
    expect(metrics0).not.toMatch(/shard="1"/);
    expect(await shard1.metrics()).toMatch(/^sora_tracker_polls_total\{shard="1",outcome="terminal"\} 3$/m);
    const polled = shard1.bot
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"taskId"'));
    expect(polled.length).toBeGreaterThan(0);
    expect(polled.every((line) => line.includes('"shard":1'))).toBe(true);
    expect(polled.some((line) => line.includes('video_s0_'))).toBe(false);
    for (const proc of [shard0, shard1]) {
      expect(proc.bot.stdout()).not.toContain(API_KEY);
      expect(proc.bot.stdout()).not.toContain(stack.discord.token);
    }
  }, 60_000);

  it('a shard process killed mid-run is replaced: its tasks resume, nothing lost or doubled', async () => {
    const w = await world();
    const { stack } = w;
    const [s0, s1] = w.channels;
    const tracked: Tracked[] = [
      { taskId: 'video_k0', channel: s0[0]!, user: stack.alice, notify: true },
      { taskId: 'video_k1a', channel: s1[0]!, user: stack.bob, notify: true },
      { taskId: 'video_k1b', channel: s1[1]!, user: stack.alice, notify: false },
    ];
    for (const entry of tracked) addTwoStepTask(stack, entry.taskId);

    const shard0 = await w.spawnShards([0]);
    const shard1 = await w.spawnShards([1]);
    await Promise.all([w.running(shard0, 0), w.running(shard1, 1)]);
    for (const entry of tracked) await w.track(entry);

    expect(await shard1.bot.kill('SIGKILL')).toBe('SIGKILL');
    const killedAt = Date.now();
    // The tasks end while shard 1 is down; its replacement must find and deliver them.
    await w.apiClock.advance(1_000);
    const replacement = await w.spawnShards([1]);
    // It waits for the dead process's lease to expire (SHARD_LEASE_MS), then runs the shard.
    await w.running(replacement, 1);
    const takeoverMs = Date.now() - killedAt;
    console.log(
      `[sharding] shard 1 killed with SIGKILL → running in a new process after ${(takeoverMs / 1000).toFixed(1)} s ` +
        `(lease ${LEASE_MS / 1000} s)`,
    );
    expect(replacement.bot.stdout()).toContain('"msg":"shard lease acquired"');

    await w.expectDeliveredOnce(tracked, [shard0, replacement]);
  }, 60_000);

  it('a second process for a running shard waits, connects and polls nothing, and takes over when the first stops', async () => {
    const w = await world();
    const { stack } = w;
    const [s0] = w.channels;
    const tracked: Tracked[] = [
      { taskId: 'video_w1', channel: s0[0]!, user: stack.alice, notify: true },
      { taskId: 'video_w2', channel: s0[1]!, user: stack.bob, notify: false },
    ];
    for (const entry of tracked) addTwoStepTask(stack, entry.taskId);

    const first = await w.spawnShards([0]);
    await w.running(first, 0);
    for (const entry of tracked) await w.track(entry);

    // A rolling deploy: the new process starts while the old one still runs.
    const second = await w.spawnShards([0]);
    const standby = await eventually(async () => {
      const answer = await second.health();
      return answer?.body.shards[0]?.leaseHolder !== undefined ? answer : undefined;
    }, 'the second process to report its standby');
    expect(standby.status).toBe(200);
    expect(standby.body).toEqual({
      status: 'ok',
      shards: [
        {
          id: 0,
          state: 'standby',
          gateway: 'none',
          activeTasks: 0,
          leaseHolder: expect.stringMatching(new RegExp(`pid ${first.bot.child.pid}$`)) as unknown,
        },
      ],
    });
    expect(stack.discord.gateway.sessions().filter((s) => s.shard[0] === 0)).toHaveLength(1);
    // A command now is answered once, by the running process.
    const status = stack.sora('status', { id: 'video_w1' }, { channel: s0[0]! });
    await status.response();
    expect(status.deliveredTo).toBe(1);
    const standbyMetrics = await second.metrics();
    expect(standbyMetrics).toMatch(/^sora_tracker_shard_running\{shard="0"\} 0$/m);
    expect(standbyMetrics).not.toMatch(/sora_tracker_polls_total\{/);
    expect(standbyMetrics).not.toMatch(/sora_tracker_discord_requests_total\{/);
    expect(second.bot.stdout()).not.toContain('connected to Discord');

    expect(await first.bot.kill('SIGTERM')).toBe(0);
    const stoppedAt = Date.now();
    await w.running(second, 0);
    console.log(
      `[sharding] shard 0 stopped with SIGTERM → running in the waiting process after ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s`,
    );
    expect(first.bot.stdout()).toContain('"msg":"shard lease released"');

    await w.apiClock.advance(1_000);
    await w.expectDeliveredOnce(tracked, [second]);
  }, 60_000);
});
