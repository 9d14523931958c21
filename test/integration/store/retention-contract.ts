import { expect, it } from 'vitest';
import type { TrackingStore } from '../../../src/store/index.js';
import { sampleSubscription, sampleTask } from './support.js';

/**
 * Retention as every backend must do it (TrackingStore.pruneEnded); run inside describeStoreContract,
 * whose `fresh` gives an empty store closed after the test.
 */
export function retentionCases(fresh: () => Promise<TrackingStore>): void {
  const DAY = 86_400_000;
  const now = 1_767_261_600_000 + 40 * DAY;
  const cutoff = now - 30 * DAY;
  const longAgo = cutoff - DAY;
  const ended = (id: string, endedAt: number, extra = {}) =>
    sampleTask(id, { state: 'ended', endReason: 'completed', endedAt, channelIds: ['c1', 'c2'], ...extra });

  it('retention deletes a task that ended before the cutoff, with its subscriptions and index entries', async () => {
    const store = await fresh();
    await store.putTask(ended('old', longAgo, { delivery: { startedAt: 1, finishedAt: longAgo } }));
    await store.putSubscription(sampleSubscription('old', 'c1', { messageId: '400000000000000001' }));
    await store.putSubscription(sampleSubscription('old', 'c2'));
    await store.unlistSubscription('old', 'c2');
    await store.putSubscription(sampleSubscription('other', 'c1'));

    expect(await store.pruneEnded(cutoff)).toEqual({
      tasks: 1,
      subscriptions: 2,
      quarantined: 0,
      more: false,
    });
    expect(await store.getTask('old')).toBeUndefined();
    expect(await store.getSubscription('old', 'c1')).toBeUndefined();
    expect(await store.getSubscription('old', 'c2')).toBeUndefined();
    expect(await store.subscriptionsOf('old')).toEqual([]);
    expect(await store.channelTaskIds('c1')).toEqual(['other']);
    // Nothing is left to find: a second sweep does nothing.
    expect(await store.pruneEnded(cutoff)).toEqual({
      tasks: 0,
      subscriptions: 0,
      quarantined: 0,
      more: false,
    });
  });

  it('retention keeps what is active, ended recently, or still delivering', async () => {
    const store = await fresh();
    await store.putTask(sampleTask('running', { lastChangeAt: longAgo, lastPolledAt: longAgo }));
    await store.setActive('running', true, { userId: 'u1' });
    // Ended, but its end is still being shown (in the active index).
    await store.putTask(ended('ending', longAgo));
    await store.setActive('ending', true, { userId: 'u1' });
    await store.putTask(ended('recent', cutoff + 1));
    // Its downloaded file still waits on disk for a post.
    const file = { path: '/tmp/x.mp4', contentType: 'video/mp4' };
    await store.putTask(
      ended('delivering', longAgo, { delivery: { startedAt: 1, download: { state: 'done', at: 2, file } } }),
    );
    await store.putTask(ended('gone', longAgo));

    expect((await store.pruneEnded(cutoff)).tasks).toBe(1);
    expect(await store.getTask('gone')).toBeUndefined();
    for (const id of ['running', 'ending', 'recent', 'delivering']) {
      expect((await store.getTask(id))?.id).toBe(id);
    }
    expect(await store.countActiveForUser('u1')).toBe(2);
    // Once they end long enough ago and settle, they go too.
    await store.setActive('ending', false);
    await store.putTask(ended('delivering', longAgo, { delivery: { startedAt: 1, finishedAt: 3 } }));
    expect((await store.pruneEnded(cutoff + 2)).tasks).toBe(3);
  });

  it('retention counts a record without endedAt (an earlier version) from its last poll', async () => {
    const store = await fresh();
    const legacy = ended('legacy', 0);
    delete legacy.endedAt;
    await store.putTask({ ...legacy, lastChangeAt: longAgo - DAY, lastPolledAt: cutoff + 5 });
    expect((await store.pruneEnded(cutoff)).tasks).toBe(0);
    expect((await store.pruneEnded(cutoff + 6)).tasks).toBe(1);
  });

  it('retention keeps a task tracked again after it ended, until it ends again', async () => {
    const store = await fresh();
    await store.putTask(ended('again', longAgo));
    await store.putTask(sampleTask('again', { trackedAt: now, lastChangeAt: now }));
    await store.setActive('again', true);
    expect((await store.pruneEnded(cutoff)).tasks).toBe(0);
    await store.setActive('again', false);
    await store.putTask(ended('again', now));
    expect((await store.pruneEnded(cutoff)).tasks).toBe(0);
    expect((await store.pruneEnded(now + 1)).tasks).toBe(1);
  });

  it('retention works in batches of at most `limit` tasks', async () => {
    const store = await fresh();
    const ids = Array.from({ length: 7 }, (_, i) => `batch_${i}`);
    for (const [i, id] of ids.entries()) await store.putTask(ended(id, longAgo - i * 60_000));
    const rounds: number[] = [];
    for (let more = true; more;) {
      const counts = await store.pruneEnded(cutoff, { limit: 3 });
      rounds.push(counts.tasks);
      more = counts.more;
    }
    expect(rounds.slice(0, 3)).toEqual([3, 3, 1]);
    expect(rounds.reduce((a, b) => a + b)).toBe(7);
    expect((await store.getTasks(ids)).size).toBe(0);
  });

  it('retention prunes the tasks of a sweep together, so that it keeps up with tasks ending fast', async () => {
    const store = await fresh();
    const ids = Array.from({ length: 120 }, (_, i) => `many_${i}`);
    await Promise.all(ids.map((id) => store.putTask(ended(id, longAgo))));
    let inFlight = 0;
    let most = 0;
    // The guard runs each task's pruning (the tracker passes its task lock): count how many overlap.
    const guard = async <T>(_taskId: string, work: () => Promise<T>) => {
      most = Math.max(most, ++inFlight);
      try {
        return await work();
      } finally {
        inFlight -= 1;
      }
    };
    expect((await store.pruneEnded(cutoff, { guard })).tasks).toBe(120);
    // One at a time, each task's writes waited on the one before: the soak's sweeps fell behind.
    expect(most).toBeGreaterThan(10);
    expect((await store.getTasks(ids)).size).toBe(0);
    expect(await store.pruneEnded(cutoff)).toEqual({
      tasks: 0,
      subscriptions: 0,
      quarantined: 0,
      more: false,
    });
  });
}
