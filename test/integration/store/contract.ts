import { afterEach, describe, expect, it } from 'vitest';
import type { SubscriptionRecord, TrackingStore } from '../../../src/store/index.js';
import { retentionCases } from './retention-contract.js';
import { sampleSnapshot, sampleSubscription, sampleTask } from './support.js';

/**
 * What every backend must do the same way. `open` gives a fresh, empty store each time; the suite
 * closes it after each test.
 */
export function describeStoreContract(name: string, open: () => Promise<TrackingStore>): void {
  describe(`${name}: tracking store contract`, () => {
    const opened: TrackingStore[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('round-trips a task with its snapshot, dates coming back as the same instants', async () => {
      const store = await fresh();
      const task = sampleTask('video_abc', {
        snapshot: sampleSnapshot({
          id: 'video_abc',
          status: 'failed',
          failure: { reason: 'Blocked by moderation', moderation: true },
          completedAt: new Date('2026-01-01T10:09:59.999Z'),
        }),
        delivery: {
          startedAt: 5,
          download: { state: 'done', at: 6, bytes: 1024 },
          dms: { '300000000000000002': { state: 'closed', nonce: 'dm1', at: 7 } },
        },
      });
      await store.putTask(task);
      const read = await store.getTask('video_abc');

      expect(read).toEqual(task);
      expect(read?.snapshot?.createdAt).toBeInstanceOf(Date);
      expect(read?.snapshot?.createdAt?.toISOString()).toBe('2026-01-01T10:00:00.123Z');
      expect(read?.snapshot?.completedAt?.getTime()).toBe(Date.parse('2026-01-01T10:09:59.999Z'));
      // Absent facts stay absent (and the key is still there, as VideoSnapshot promises).
      expect(read?.snapshot).toHaveProperty('videoUrl', undefined);
      expect(await store.getTask('video_unknown')).toBeUndefined();
    });

    it('round-trips a subscription and lists it under its task and channel', async () => {
      const store = await fresh();
      const sub = sampleSubscription('task_1', '200000000000000009', {
        messageId: '400000000000000001',
        messageCreatedAt: 1_767_261_601_000,
        notifyUserIds: ['300000000000000002'],
        uploadLimitBytes: 10 * 1024 * 1024,
        lastRenderedHash: 'abc123',
        delivery: { state: 'posted', nonce: 'r1', resultMessageId: '400000000000000002', mode: 'attached' },
      });
      await store.putSubscription(sub);

      expect(await store.getSubscription('task_1', '200000000000000009')).toEqual(sub);
      expect(await store.subscriptionsOf('task_1')).toEqual([sub]);
      expect(await store.channelTaskIds('200000000000000009')).toEqual(['task_1']);

      await store.deleteSubscription('task_1', '200000000000000009');
      expect(await store.getSubscription('task_1', '200000000000000009')).toBeUndefined();
      expect(await store.subscriptionsOf('task_1')).toEqual([]);
      expect(await store.channelTaskIds('200000000000000009')).toEqual([]);
    });

    it('applies concurrent changes of one subscription each to the record as stored: none is lost', async () => {
      const store = await fresh();
      await store.putSubscription(sampleSubscription('task_1', 'c1', { messageId: '400000000000000001' }));
      const users = Array.from({ length: 30 }, (_, i) => `3000000000000001${String(i).padStart(2, '0')}`);
      // A 🔔 press per user, the hash of a progress edit and a result's nonce, all at once.
      await Promise.all([
        ...users.map((user) =>
          store.updateSubscription('task_1', 'c1', (sub) =>
            sub ? { ...sub, notifyUserIds: [...sub.notifyUserIds, user] } : undefined,
          ),
        ),
        store.updateSubscription('task_1', 'c1', (sub) => sub && { ...sub, lastRenderedHash: 'h2' }),
        store.updateSubscription(
          'task_1',
          'c1',
          (sub) => sub && { ...sub, delivery: { state: 'pending', nonce: 'r1' } },
        ),
      ]);
      expect(await store.getSubscription('task_1', 'c1')).toMatchObject({
        notifyUserIds: users,
        messageId: '400000000000000001',
        lastRenderedHash: 'h2',
        delivery: { state: 'pending', nonce: 'r1' },
      });
    });

    it('gives a change the record as stored or none, and stores what it returns or nothing', async () => {
      const store = await fresh();
      const seen: unknown[] = [];
      const untouched = await store.updateSubscription('task_2', 'c1', (sub) => void seen.push(sub));
      expect([untouched, seen]).toEqual([undefined, [undefined]]);
      expect(await store.subscriptionsOf('task_2')).toEqual([]);

      // A change may create the record: it is listed under its task and its channel, as by a put.
      const created = sampleSubscription('task_2', 'c1');
      expect(await store.updateSubscription('task_2', 'c1', (sub) => sub ?? created)).toEqual(created);
      expect(await store.subscriptionsOf('task_2')).toEqual([created]);
      expect(await store.channelTaskIds('c1')).toEqual(['task_2']);

      expect(await store.updateSubscription('task_2', 'c1', () => undefined)).toEqual(created);
      await expect(
        store.updateSubscription('task_2', 'c1', (sub) => sub && { ...sub, channelId: 'c2' }),
      ).rejects.toThrow(/task and channel/);
      expect(await store.getSubscription('task_2', 'c1')).toEqual(created);
      expect(await store.getSubscription('task_2', 'c2')).toBeUndefined();
    });

    it('orders a change after the put or delete of the same subscription before it', async () => {
      const store = await fresh();
      await store.putSubscription(sampleSubscription('task_3', 'c1', { messageId: '400000000000000001' }));
      const late = (sub: SubscriptionRecord | undefined) => sub && { ...sub, lastRenderedHash: 'late' };
      // A channel dropped while an edit of its message was landing is not brought back by it.
      const [, afterDelete] = await Promise.all([
        store.deleteSubscription('task_3', 'c1'),
        store.updateSubscription('task_3', 'c1', late),
      ]);
      expect(afterDelete).toBeUndefined();
      expect(await store.getSubscription('task_3', 'c1')).toBeUndefined();
      expect(await store.subscriptionsOf('task_3')).toEqual([]);

      const replaced = sampleSubscription('task_3', 'c1', { messageId: '400000000000000002' });
      const [, afterPut] = await Promise.all([
        store.putSubscription(replaced),
        store.updateSubscription('task_3', 'c1', late),
      ]);
      expect(afterPut).toEqual({ ...replaced, lastRenderedHash: 'late' });
      expect(await store.getSubscription('task_3', 'c1')).toEqual(afterPut);
    });

    it('refuses to write a record that would not read back, and stores nothing', async () => {
      const store = await fresh();
      await expect(store.putTask(sampleTask('bad', { trackedAt: Number.NaN }))).rejects.toThrow(
        /task record/,
      );
      await expect(
        store.putSubscription(sampleSubscription('bad', 'c1', { nonce: 'x'.repeat(26) })),
      ).rejects.toThrow(/nonce/);
      expect(await store.getTask('bad')).toBeUndefined();
      expect(await store.getSubscription('bad', 'c1')).toBeUndefined();
    });

    it('keeps ids with separators and unicode apart', async () => {
      const store = await fresh();
      await store.putTask(sampleTask('a:b', { lastChangeAt: 1 }));
      await store.putTask(sampleTask('a', { lastChangeAt: 2 }));
      await store.putSubscription(sampleSubscription('a', 'b:c'));
      await store.putSubscription(sampleSubscription('a:b', 'c'));
      await store.putTask(sampleTask('任务/1', { lastChangeAt: 3 }));

      expect((await store.getTask('a:b'))?.lastChangeAt).toBe(1);
      expect((await store.getTask('a'))?.lastChangeAt).toBe(2);
      expect((await store.getTask('任务/1'))?.lastChangeAt).toBe(3);
      expect((await store.subscriptionsOf('a')).map((s) => s.channelId)).toEqual(['b:c']);
      expect((await store.subscriptionsOf('a:b')).map((s) => s.channelId)).toEqual(['c']);
    });

    it('keeps the active index right under many concurrent activations and deactivations', async () => {
      const store = await fresh();
      const ids = Array.from({ length: 300 }, (_, i) => `video_${i}`);
      await Promise.all(ids.map((id) => store.setActive(id, true)));
      expect(new Set(await store.activeTaskIds())).toEqual(new Set(ids));

      // End every third task while re-activating others, all at once.
      const ended = ids.filter((_, i) => i % 3 === 0);
      await Promise.all([
        ...ended.map((id) => store.setActive(id, false)),
        ...ids.filter((_, i) => i % 3 === 1).map((id) => store.setActive(id, true)),
      ]);
      const expected = ids.filter((_, i) => i % 3 !== 0);
      const active = await store.activeTaskIds();
      expect(active).toHaveLength(expected.length);
      expect(new Set(active)).toEqual(new Set(expected));
      expect(await store.isActive('video_0')).toBe(false);
      expect(await store.isActive('video_1')).toBe(true);
    });

    it('lists every task of a channel when many are tracked there at once', async () => {
      const store = await fresh();
      const channel = '200000000000000042';
      const ids = Array.from({ length: 60 }, (_, i) => `task_${i}`);
      await Promise.all(ids.map((id) => store.putSubscription(sampleSubscription(id, channel))));
      expect(new Set(await store.channelTaskIds(channel))).toEqual(new Set(ids));

      await Promise.all(ids.slice(0, 20).map((id) => store.deleteSubscription(id, channel)));
      expect(new Set(await store.channelTaskIds(channel))).toEqual(new Set(ids.slice(20)));
    });

    it('fans one task out to every channel subscribed concurrently', async () => {
      const store = await fresh();
      const channels = Array.from({ length: 25 }, (_, i) => `2000000000000001${String(i).padStart(2, '0')}`);
      await Promise.all(
        channels.map((channel) => store.putSubscription(sampleSubscription('shared', channel))),
      );
      const subs = await store.subscriptionsOf('shared');
      expect(new Set(subs.map((s) => s.channelId))).toEqual(new Set(channels));
    });

    it('counts active tasks per user and per guild, releasing them when tasks end', async () => {
      const store = await fresh();
      const alice = '300000000000000001';
      const bob = '300000000000000002';
      const guild = '100000000000000001';
      const aliceTasks = Array.from({ length: 30 }, (_, i) => `alice_${i}`);
      const bobTasks = Array.from({ length: 5 }, (_, i) => `bob_${i}`);
      await Promise.all([
        ...aliceTasks.map((id) => store.setActive(id, true, { userId: alice, guildId: guild })),
        ...bobTasks.map((id) => store.setActive(id, true, { userId: bob, guildId: guild })),
      ]);
      expect(await store.countActiveForUser(alice)).toBe(30);
      expect(await store.countActiveForUser(bob)).toBe(5);
      expect(await store.countActiveForGuild(guild)).toBe(35);
      expect(await store.countActiveForGuild('100000000000000999')).toBe(0);

      // Bob also tracks one of Alice's tasks: it counts for him too, and once in the guild.
      await store.setActive('alice_0', true, { userId: bob, guildId: guild });
      expect(await store.countActiveForUser(bob)).toBe(6);
      expect(await store.countActiveForGuild(guild)).toBe(35);

      await Promise.all(aliceTasks.slice(0, 10).map((id) => store.setActive(id, false)));
      expect(await store.countActiveForUser(alice)).toBe(20);
      expect(await store.countActiveForUser(bob)).toBe(5);
      expect(await store.countActiveForGuild(guild)).toBe(25);

      // Re-tracking an ended task later counts only for whoever tracks it now.
      await store.setActive('alice_0', true, { userId: bob });
      expect(await store.countActiveForUser(alice)).toBe(20);
      expect(await store.countActiveForUser(bob)).toBe(6);
    });

    it('answers ping and refuses work once closed', async () => {
      const store = await fresh();
      await expect(store.ping()).resolves.toBeUndefined();
      const pending = store.putTask(sampleTask('closing'));
      await store.close();
      // The write in flight when close() was called was finished, not cut off.
      await expect(pending).resolves.toBeUndefined();
      await expect(store.getTask('closing')).rejects.toThrow(/closed/);
    });

    retentionCases(fresh);
  });
}
