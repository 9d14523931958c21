import { randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnBot, type BotProcess } from '../../testkit/process/process.js';
import { startTcpRelay, type TcpRelay } from '../../testkit/net/net.js';
import { freePort, useStack } from './harness.js';
import { eventually } from './shards.js';

/**
 * A bot started while Redis is down (a host rebooting, Redis still loading) waits for it, as a running
 * bot waits out an outage, and starts its shards once Redis answers: it does not exit, so a process
 * manager does not count a crash loop.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn('Skipping the start-during-Redis-outage test: set REDIS_URL to run it.');

describe.skipIf(!REDIS_URL)('a bot started while Redis is down', () => {
  const createStack = useStack();
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('waits for Redis, then runs its shard', async () => {
    const stack = await createStack();
    const target = new URL(REDIS_URL ?? '');
    const relay: TcpRelay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) });
    cleanups.push(() => relay.close());
    await relay.cut();
    const namespace = `sora-start-outage-${randomUUID()}`;
    cleanups.push(async () => {
      const admin = createClient({ url: REDIS_URL ?? '' });
      admin.on('error', () => undefined);
      await admin.connect();
      const keys = await admin.keys(`${namespace}*`);
      if (keys.length > 0) await admin.del(keys);
      await admin.quit();
    });
    const opsPort = await freePort();
    const bot: BotProcess = spawnBot({
      ...stack.env,
      STORE_URL: `redis://127.0.0.1:${relay.port}`,
      STORE_NAMESPACE: namespace,
      SHARD_LEASE_MS: '3000',
      HTTP_PORT: String(opsPort),
    });
    cleanups.push(() => bot.kill('SIGKILL'));
    let exit: number | string | undefined;
    void bot.exited.then((code) => (exit = code));

    await stack.discord.waitFor(
      () => (bot.stdout().includes('the store does not answer') ? true : undefined),
      {
        description: 'the bot to say it waits for the store',
        timeoutMs: 30_000,
      },
    );
    expect(exit).toBeUndefined();

    await relay.restore();
    await eventually(
      async () => {
        const health = await fetch(`http://127.0.0.1:${opsPort}/healthz`);
        const body = (await health.json()) as { shards?: { state: string }[] };
        return body.shards?.[0]?.state === 'running';
      },
      'the shard to run once Redis answers',
      60_000,
    );
    expect(exit).toBeUndefined();
  }, 120_000);
});
