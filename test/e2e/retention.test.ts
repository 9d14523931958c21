import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/ops/logger.js';
import { createTrackingStore, type TrackingStore } from '../../src/store/index.js';
import { createManualClock, type ManualClock } from '../../testkit/clock/manual-clock.js';
import { embedText, useStack } from './harness.js';

/**
 * Retention (docs/configuration.md#retention) in the running bot, on a manual clock: a task that ended
 * longer than RETENTION_DAYS ago is deleted by the shard's sweep; a task still tracked and one whose
 * delivery is not settled are kept; `/sora status` of the deleted task still answers from the relay.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Moves the bot's clock on a step at a time, letting its I/O run in between, until `done` holds. */
async function advanceUntil(clock: ManualClock, stepMs: number, done: () => boolean, what: string) {
  for (let i = 0; i < 500; i++) {
    if (done()) return;
    await clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits for `promise` while the bot's clock moves on (the bot paces its Discord writes by it). */
async function whileAdvancing<T>(clock: ManualClock, promise: Promise<T>, what: string): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  await advanceUntil(clock, 50, () => settled, what);
  return watched;
}

describe('retention in the running bot', () => {
  const createStack = useStack();

  it('deletes what ended more than RETENTION_DAYS ago and keeps what is tracked or still delivering', async () => {
    const stack = await createStack();
    const clock = createManualClock(Date.now());
    const file = join(stack.dataDir, 'store.sqlite');
    const openStore = () =>
      createTrackingStore({
        url: `sqlite://${file}`,
        logger: createLogger({ level: 'silent', secrets: [] }),
        maxCachedRecords: 0,
      });
    // Left by an earlier run: ended long ago, but its downloaded file still waits for a post.
    const seed: TrackingStore = await openStore();
    await seed.putTask({
      v: 1,
      id: 'video_unsettled',
      state: 'ended',
      endReason: 'completed',
      endedAt: clock.now() - 3 * DAY,
      trackedAt: clock.now() - 3 * DAY,
      lastChangeAt: clock.now() - 3 * DAY,
      channelIds: [],
      delivery: {
        startedAt: clock.now() - 3 * DAY,
        download: {
          state: 'done',
          at: 1,
          file: { path: join(stack.dataDir, 'x.mp4'), contentType: 'video/mp4' },
        },
      },
    });
    await seed.close();

    stack.api.addTask({ id: 'video_done', steps: [{ atMs: 0, status: 'completed', progress: 100 }] });
    stack.api.addTask({ id: 'video_running', steps: [{ atMs: 0, status: 'in_progress', progress: 10 }] });
    await stack.startBot(
      {
        RETENTION_DAYS: '1',
        TASK_MAX_AGE_MS: String(10 * DAY),
        TASK_IDLE_TIMEOUT_MS: String(10 * DAY),
        POLL_MAX_INTERVAL_MS: String(HOUR),
      },
      { clock },
    );
    for (const id of ['video_done', 'video_running']) {
      const reply = stack
        .sora('track', { id })
        .waitForOriginal((m) => m.current.content.includes('Tracking'));
      await whileAdvancing(clock, reply, `the answer to tracking ${id}`);
    }
    const delivered = () => stack.botMessages().some((m) => m.versions[0]?.messageReference !== undefined);
    await advanceUntil(clock, 200, delivered, 'the result of video_done');

    // A day and more later, the sweep (hourly here) has removed the ended task.
    await clock.advance(DAY);
    const swept = () => stack.logs.some((line) => line.includes('retention: removed'));
    await advanceUntil(clock, 10 * 60_000, swept, 'a retention sweep that removes something');
    // Shutdown waits on the bot's clock (its grace, paced writes): keep it moving meanwhile.
    await whileAdvancing(clock, stack.stopBot(), 'the bot to stop');

    const line = JSON.parse(stack.logs.find((l) => l.includes('retention: removed'))!) as Record<
      string,
      unknown
    >;
    expect(line).toMatchObject({ tasks: 1, subscriptions: 1 });
    const store = await openStore();
    try {
      expect(await store.getTask('video_done')).toBeUndefined();
      expect(await store.getSubscription('video_done', stack.channel.id)).toBeUndefined();
      expect((await store.getTask('video_running'))?.state).toBe('active');
      expect(await store.isActive('video_running')).toBe(true);
      expect(await store.getTask('video_unsettled')).toBeDefined();
    } finally {
      await store.close();
    }

    // The relay still knows the deleted task: /sora status reads it from there.
    await stack.startBot({ RETENTION_DAYS: '1' }, { clock });
    const status = await whileAdvancing(
      clock,
      stack.sora('status', { id: 'video_done' }).waitForOriginal((m) => m.current.embeds.length > 0),
      'the answer to /sora status',
    );
    expect(embedText(status)).toMatch(/Completed/);
    await whileAdvancing(clock, stack.stopBot(), 'the bot to stop');
  });
});
