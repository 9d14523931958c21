import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrackingStore } from '../../src/store/index.js';
import { collectingLogger } from '../integration/store/support.js';
import { createManualClock } from '../../testkit/clock/manual-clock.js';
import { embedText, useStack } from './harness.js';

/**
 * Upgrading a single-process install: without SHARD_COUNT the bot is shard 0 of 1 and keeps the store
 * keys of the unsharded version, so what that version tracked is resumed, and the other way round.
 */
describe('an unsharded store after the upgrade', () => {
  const createStack = useStack();

  it('is read and written under the same keys as before: tracked tasks resume', async () => {
    const apiClock = createManualClock(Date.now());
    const stack = await createStack({ apiClock });
    stack.api.addTask({
      id: 'video_upgrade',
      steps: [
        { atMs: 0, status: 'in_progress', progress: 30 },
        { atMs: 1_000, status: 'completed', progress: 100 },
      ],
    });
    const storeUrl = `sqlite://${join(stack.dataDir, 'store.sqlite')}`;

    // A store as the unsharded version opened it: createTrackingStore({ url, logger }), default namespace.
    const legacy = await createTrackingStore({ url: storeUrl, logger: collectingLogger().logger });
    expect(await legacy.activeTaskIds()).toEqual([]);
    await legacy.close();

    await stack.startBot({ STORE_URL: storeUrl });
    await stack
      .sora('track', { id: 'video_upgrade' })
      .waitForOriginal((m) => m.current.content.startsWith('Tracking'));
    await stack.stopBot();

    // What the bot wrote with SHARD_COUNT unset is where the unsharded version looks for it…
    const reopened = await createTrackingStore({ url: storeUrl, logger: collectingLogger().logger });
    expect(await reopened.activeTaskIds()).toEqual(['video_upgrade']);
    expect(await reopened.subscriptionsOf('video_upgrade')).toHaveLength(1);
    await reopened.close();

    // …and a bot started on that store resumes the task on the same message.
    const [progress] = stack.progressMessages();
    await apiClock.advance(1_000);
    await stack.startBot({ STORE_URL: storeUrl });
    await stack.discord.waitFor(() => /Completed/.test(embedText(progress!)), {
      description: 'the resumed task to reach its final state',
      timeoutMs: 15_000,
    });
    expect(stack.progressMessages()).toEqual([progress]);

    // With SHARD_COUNT=2 the shards use namespaces of their own: nothing of the above is theirs.
    const sharded = await createTrackingStore({
      url: storeUrl,
      namespace: 'sora-tracker:shard-0-of-2',
      logger: collectingLogger().logger,
    });
    expect(await sharded.activeTaskIds()).toEqual([]);
    await sharded.close();
  });
});
