import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createTrackingStore } from '../../src/store/index.js';
import type { RecordedRequest } from '../../testkit/fake-video-api/index.js';
import { useStack } from '../e2e/harness.js';

/**
 * After a restart, tasks still running are polled at once, even while deliveries left over from before
 * the restart wait on Discord. The campaign measured the opposite: resume finished every pending
 * delivery first (each paced by Discord), and no task was polled for 12 s.
 */
describe('resuming after a restart', () => {
  const createStack = useStack();

  it('polls running tasks while a delivery left from before the restart is still waiting', async () => {
    const stack = await createStack();
    // Ids chosen so the ended task comes first in the store's active index (bucket 15 before 32).
    const RUNNING = [{ atMs: 0, status: 'in_progress' as const, progress: 20 }];
    stack.api.addTask({ id: 'video_ended', steps: RUNNING });
    stack.api.addTask({ id: 'video_running', steps: RUNNING });
    const second = stack.discord.world.textChannel(stack.guild, { name: 'second' });
    await stack.startBot();
    await stack
      .sora('track', { id: 'video_ended' })
      .waitForOriginal((m) => m.current.content.startsWith('Tracking'));
    await stack
      .sora('track', { id: 'video_running' }, { channel: second })
      .waitForOriginal((m) => m.current.content.startsWith('Tracking'));
    await stack.stopBot();

    // As a crash leaves it: one task recorded as ended, its result not yet posted.
    const store = await createTrackingStore({
      url: `sqlite://${join(stack.dataDir, 'store.sqlite')}`,
      logger: pino({ level: 'silent' }),
    });
    const ended = (await store.getTask('video_ended'))!;
    await store.putTask({ ...ended, state: 'ended', endReason: 'completed' });
    await store.close();
    stack.api.addTask({ id: 'video_ended', steps: [{ atMs: 0, status: 'completed', progress: 100 }] });

    // Its result post is held at Discord until the running task has been polled.
    const held = stack.discord.faults.holdNext({
      method: 'POST',
      route: '/channels/:channel_id/messages',
      phase: 'before',
    });
    const restartedAt = performance.now();
    const polled = stack.api.waitForRequest(
      (r: RecordedRequest) =>
        r.route === 'status' && r.taskId === 'video_running' && r.receivedAt > restartedAt,
    );
    await stack.startBot();
    await held.reached;
    const outcome = await Promise.race([
      polled.then(() => 'polled' as const),
      new Promise<'not polled'>((resolve) => setTimeout(() => resolve('not polled'), 5_000)),
    ]);
    held.release();
    expect(outcome).toBe('polled');

    await stack.discord.waitFor(() => stack.botMessages().length === 2, {
      description: 'the held result, posted once released',
    });
  });

  it('delivers the results left over from before the restart side by side, without a 429', async () => {
    const stack = await createStack();
    const RUNNING = [{ atMs: 0, status: 'in_progress' as const, progress: 20 }];
    const channels = [
      stack.channel,
      ...[1, 2, 3, 4, 5].map((n) => stack.discord.world.textChannel(stack.guild, { name: `c${n}` })),
    ];
    // 30 tasks, five per channel; eight of them DM alice, so her DM channel takes more than its 5 per 5 s.
    const ids = Array.from({ length: 30 }, (_, i) => `video_left_${i}`);
    for (const id of ids) stack.api.addTask({ id, steps: RUNNING });
    await stack.startBot();
    for (const [i, id] of ids.entries()) {
      await stack
        .sora(
          'track',
          { id, ...(i % 4 === 0 ? { notify: true } : {}) },
          // Half each: a person tracks at most 25 tasks.
          { channel: channels[i % channels.length]!, user: i % 2 === 0 ? stack.alice : stack.bob },
        )
        .waitForOriginal((m) => m.current.content.includes('Tracking'));
    }
    await stack.discord.waitFor(() => channels.every((c) => stack.progressMessages(c).length === 5), {
      description: 'every progress message',
      timeoutMs: 20_000,
    });
    await stack.stopBot();

    // As a crash leaves them: every task recorded as ended, no result posted.
    const store = await createTrackingStore({
      url: `sqlite://${join(stack.dataDir, 'store.sqlite')}`,
      logger: pino({ level: 'silent' }),
    });
    for (const id of ids)
      await store.putTask({ ...(await store.getTask(id))!, state: 'ended', endReason: 'completed' });
    await store.close();
    for (const id of ids) stack.api.addTask({ id, steps: [{ atMs: 0, status: 'completed', progress: 100 }] });
    // Discord's channel buckets outlive the process: the restart comes a window (5 s) after the last
    // progress message, as a redeploy does, so the 429s counted are the restarted bot's own.
    const lastWriteAt = Math.max(...stack.discord.counters.log().map((e) => e.at));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastWriteAt + 5_000 - Date.now())));
    stack.discord.counters.reset();
    const results = () => channels.reduce((sum, c) => sum + stack.botMessages(c).length - 5, 0);

    // The first result is held at Discord: the others go on meanwhile, they do not wait their turn.
    const held = stack.discord.faults.holdNext({
      method: 'POST',
      route: '/channels/:channel_id/messages',
      phase: 'before',
    });
    await stack.startBot();
    await held.reached;
    await stack.discord.waitFor(() => results() >= 5, {
      description: 'other results posted while the first is held',
      timeoutMs: 10_000,
    });
    held.release();

    await stack.discord.waitFor(() => results() === 30, { description: 'every result', timeoutMs: 30_000 });
    await stack.discord.waitFor(() => stack.discord.messages.dmsTo(stack.alice).length === 8, {
      description: 'every DM',
      timeoutMs: 30_000,
    });
    expect(stack.discord.counters.rateLimited()).toEqual({ user: 0, global: 0, shared: 0 });
  });
});
