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
});
