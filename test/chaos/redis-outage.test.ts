import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createClient } from '@keyv/redis';
import { describe, expect, it } from 'vitest';
import { startTcpRelay } from '../../testkit/net/net.js';
import { createApp } from '../../src/app.js';
import { loadBotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { createTrackingStore } from '../../src/store/index.js';
import { rampSteps } from '../../testkit/fake-video-api/index.js';
import { embedText, freePort, useStack } from '../e2e/harness.js';

/**
 * Redis unavailable for a while in the middle of a run (until every task has ended at the API, a few
 * seconds here; `npm run chaos -- --redis` holds it 30 s): /healthz says so, nothing tracked is lost, and
 * work resumes by itself. The real Redis keeps running for the other tests: a TCP relay in front of it
 * is cut instead.
 */
const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL)
  console.warn('Skipping the Redis outage test: set REDIS_URL (e.g. redis://127.0.0.1:6379) to run it.');

/** Polls an async condition until it yields something, or fails with what was awaited. */
async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function health(port: number): Promise<{ status: number; reasons: string[] }> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  const body = (await response.json()) as { reasons?: string[] };
  return { status: response.status, reasons: body.reasons ?? [] };
}

describe.skipIf(!REDIS_URL)('the Redis store through an outage', () => {
  const createStack = useStack();

  it('/healthz reports it, nothing tracked is lost, and work resumes by itself', async () => {
    const target = new URL(REDIS_URL ?? '');
    const relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) });
    const namespace = `sora-tracker-outage:${randomUUID()}`;
    const stack = await createStack();
    try {
      const logger = createLogger({
        level: 'info',
        secrets: [],
        destination: new Writable({
          write(chunk: Buffer, _encoding, callback) {
            stack.logs.push(chunk.toString());
            callback();
          },
        }),
      });
      const opsPort = await freePort();
      const config = loadBotConfig({ ...stack.env, HTTP_PORT: String(opsPort) });
      const store = await createTrackingStore({
        url: `redis://127.0.0.1:${relay.port}`,
        namespace,
        logger,
        connectTimeoutMs: 500,
      });
      const app = await createApp({ config, logger, store });
      stack.app = app;
      await app.start();
      await stack.discord.waitFor(() => stack.discord.commands.global().length > 0, {
        description: 'the bot to connect',
      });

      const channels = [
        stack.channel,
        ...[1, 2].map((n) => stack.discord.world.textChannel(stack.guild, { name: `r${n}` })),
      ];
      for (const [n, channel] of channels.entries()) {
        stack.api.addTask({ id: `video_outage${n}`, steps: rampSteps(3_000 + n * 1_000, { steps: 4 }) });
        await stack
          .sora('track', { id: `video_outage${n}` }, { channel })
          .waitForOriginal((m) => m.current.content.startsWith('Tracking'));
      }
      expect((await health(opsPort)).status).toBe(200);

      await relay.cut();
      const down = await eventually(async () => {
        const answer = await health(opsPort);
        return answer.status === 503 ? answer : undefined;
      }, '/healthz to report the store');
      expect(down.reasons).toEqual([expect.stringMatching(/^store: /)]);
      // The store stays away until every task has ended at the API: their ends are all missed.
      await eventually(
        () =>
          Promise.resolve(
            channels.every((_, n) => stack.api.currentState(`video_outage${n}`)?.status === 'completed'),
          ),
        'every task to end at the API',
      );
      expect((await health(opsPort)).status).toBe(503);
      await relay.restore();

      await eventually(async () => (await health(opsPort)).status === 200, '/healthz to recover');
      for (const channel of channels) {
        await stack.discord.waitFor(
          () => {
            const [progress, ...rest] = stack.botMessages(channel);
            return progress && rest.length === 1 && /Completed/.test(embedText(progress));
          },
          { description: `the result and the final state in #${channel.name}`, timeoutMs: 20_000 },
        );
        expect(stack.progressMessages(channel)).toHaveLength(1);
        expect(stack.botMessages(channel)).toHaveLength(2);
      }
      expect(stack.logs.join('')).toContain('Redis connection restored');
    } finally {
      await stack.stopBot();
      await relay.close();
      const admin = createClient({ url: REDIS_URL ?? '' });
      admin.on('error', () => undefined);
      await admin.connect();
      const keys = await admin.keys(`${namespace}:*`);
      if (keys.length > 0) await admin.del(keys);
      await admin.quit();
    }
  });
});
