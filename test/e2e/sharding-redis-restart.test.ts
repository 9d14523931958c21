import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, useStack } from './harness.js';
import { addTwoStepTask, createShardWorld, eventually, type Tracked } from './shards.js';

/**
 * Redis itself restarted (killed, started again on the same port, its append-only file kept) while two
 * shard processes run: both step down when they cannot renew their leases, take them again when Redis is
 * back, and deliver everything exactly once, without anyone restarting them.
 */
const REDIS_URL = process.env.REDIS_URL;
const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (!REDIS_URL)
  console.warn('Skipping the Redis restart test: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run it.');
else if (!hasRedisServer)
  console.warn('Skipping the Redis restart test: redis-server is not on PATH (it starts a private one).');

async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const server = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      // State must survive a restart: every write is in the append-only file before Redis answers.
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
    ],
    { stdio: 'ignore' },
  );
  await eventually(async () => {
    const probe = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } finally {
      if (probe.isOpen) await probe.disconnect();
    }
  }, `redis-server on port ${port}`);
  return server;
}

async function kill(server: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill(signal);
  await exited;
}

describe.skipIf(!REDIS_URL || !hasRedisServer)('two shard processes through a Redis restart', () => {
  const createStack = useStack();
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('both shards recover by themselves and deliver everything once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sora-redis-'));
    const port = await freePort();
    let redis = await startRedis(port, dir);
    cleanups.push(async () => {
      await kill(redis, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    const w = await createShardWorld(createStack, `redis://127.0.0.1:${port}`);
    cleanups.unshift(w.cleanup);
    const { stack } = w;
    const [s0, s1] = w.channels;
    const tracked: Tracked[] = [
      { taskId: 'video_r0', channel: s0[0]!, user: stack.alice, notify: true },
      { taskId: 'video_r1', channel: s1[0]!, user: stack.bob, notify: true },
      { taskId: 'video_r1b', channel: s1[1]!, user: stack.alice, notify: false },
    ];
    for (const entry of tracked) addTwoStepTask(stack, entry.taskId);

    const shard0 = await w.spawnShards([0]);
    const shard1 = await w.spawnShards([1]);
    await Promise.all([w.running(shard0, 0), w.running(shard1, 1)]);
    for (const entry of tracked) await w.track(entry);

    await kill(redis, 'SIGKILL');
    // The tasks end during the outage.
    await w.apiClock.advance(1_000);
    // /healthz says what is wrong; once the leases would have expired, both shards have stepped down.
    for (const [proc, id] of [
      [shard0, 0],
      [shard1, 1],
    ] as const) {
      const down = await eventually(async () => {
        const answer = await proc.health();
        return answer?.status === 503 && answer.body.shards[0]?.state === 'standby' ? answer : undefined;
      }, `shard ${id} to step down and report the store`);
      expect(down.body.reasons).toEqual([expect.stringMatching(new RegExp(`^store: shard ${id}: `))]);
    }
    // Standby is reported as soon as the lease is lost; the app then stops (up to a 1 s grace) and
    // closes its gateway session.
    await eventually(
      () => Promise.resolve(stack.discord.gateway.sessions().every((s) => !s.connected)),
      'both shards to close their gateway sessions',
    );

    redis = await startRedis(port, dir);
    await Promise.all([w.running(shard0, 0), w.running(shard1, 1)]);
    await w.expectDeliveredOnce(tracked, [shard0, shard1]);
    for (const proc of [shard0, shard1]) {
      expect(proc.bot.child.exitCode).toBeNull();
      expect(proc.bot.stdout()).toContain('could not renew the shard lease in time; stepping down');
      expect(proc.bot.stdout()).not.toContain('unhandled promise rejection');
    }
  }, 60_000);
});
