import { createClient } from '@keyv/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpRelay, type TcpRelay } from '../../testkit/net/net.js';
import { useStack } from './harness.js';
import { addTwoStepTask, createShardWorld, eventually, type Tracked } from './shards.js';

/**
 * A lost lease's fence, end to end (docs/scaling.md#leases): a shard's process whose Redis connection
 * stalls (no answer, nothing closed) for longer than the lease steps down, a second process takes the
 * shard over and carries on, and the first one's store writes that were stuck in the stalled
 * connection reach Redis only after that. They are refused: what the new holder wrote stays, and
 * people get one result and one DM.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping the lease fence end-to-end test: set REDIS_URL (e.g. redis://127.0.0.1:6379).');

describe.skipIf(!REDIS_URL)('a shard process whose Redis connection stalls past its lease', () => {
  const createStack = useStack();
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function admin() {
    const client = createClient({ url: REDIS_URL ?? '' });
    client.on('error', () => undefined);
    await client.connect();
    cleanups.push(() => client.quit());
    return client;
  }

  it("has its late writes refused: the new holder's records stay, and nothing is delivered twice", async () => {
    const target = new URL(REDIS_URL ?? '');
    const relay: TcpRelay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) });
    cleanups.push(() => relay.close());
    const w = await createShardWorld(createStack, REDIS_URL);
    cleanups.unshift(w.cleanup);
    const redis = await admin();
    const { stack } = w;
    const entry: Tracked = {
      taskId: 'video_fence',
      channel: w.channels[0][0]!,
      user: stack.alice,
      notify: true,
    };
    addTwoStepTask(stack, entry.taskId);
    const taskKey = `${w.namespace}:shard-0-of-2:task:${entry.taskId}`;

    // The first process reaches Redis through the relay; the second one directly.
    const stale = await w.spawnShards([0], { STORE_URL: `redis://127.0.0.1:${relay.port}` });
    await w.running(stale, 0);
    await w.track(entry);
    const next = await w.spawnShards([0]);
    await eventually(async () => (await next.shard(0))?.state === 'standby', 'the second process to wait');
    await eventually(async () => (await redis.get(taskKey)) !== null, 'the task to be stored');

    relay.pause();
    // A poll's record write is stuck in the stalled connection (each poll writes the task).
    await eventually(
      () => Promise.resolve(relay.held().toString().includes(taskKey)),
      'a write of the task to be held by the stall',
    );
    const staleWrite = relay.held().toString();
    expect(staleWrite).toContain('"lastPolledAt"');
    // Its lease term runs out by its own clock: it stops the shard (its store closed, writes abandoned).
    await eventually(
      async () => (await stale.shard(0))?.state === 'standby',
      'the first process to step down',
    );
    await eventually(
      () => Promise.resolve(/"shard":0[^\n]*"msg":"stopped"/.test(stale.bot.stdout())),
      "the first process's shard app to stop",
    );

    // The second process takes the shard over, resumes the task and delivers its result.
    await w.running(next, 0);
    await w.apiClock.advance(1_000);
    await w.expectDeliveredOnce([entry], [stale, next]);
    const written = await redis.get(taskKey);
    expect(written).not.toBeNull();
    expect(written).toContain('"completed"');

    // The stall ends: the stale writes reach Redis (resume() waits until Redis has read them all).
    expect(relay.held().toString()).toContain(taskKey);
    await relay.resume();
    expect(await redis.get(taskKey)).toBe(written);

    // Nothing more reached Discord, and neither process crashed.
    await w.expectDeliveredOnce([entry], [stale, next]);
    for (const proc of [stale, next]) {
      expect(proc.bot.child.exitCode).toBeNull();
      expect(proc.bot.stdout()).not.toContain('unhandled promise rejection');
    }
    expect(stale.bot.stdout()).toContain('could not renew the shard lease in time; stepping down');
  }, 90_000);
});
