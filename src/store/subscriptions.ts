import type { KeyValueBackend } from './backends/index.js';
import { subscriptionCodec } from './codecs.js';
import type { IndexSets } from './index-sets.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { storeKeys } from './keys.js';
import type { RecordIo } from './record-io.js';
import type { SubscriptionRecord } from './records.js';
import type { TrackingStore } from './store-port.js';

export type SubscriptionOperations = Pick<
  TrackingStore,
  | 'getSubscription'
  | 'putSubscription'
  | 'updateSubscription'
  | 'deleteSubscription'
  | 'unlistSubscription'
  | 'subscriptionsOf'
  | 'channelTaskIds'
>;

interface SubscriptionDeps {
  backend: KeyValueBackend;
  io: RecordIo;
  indexes: IndexSets;
  lock: KeyedMutex;
}

/**
 * Subscription records, each listed under its task (which channels follow it) and its channel (which
 * tasks `/sora list` shows there). Written under the record's lock, indexes first when adding and last
 * when removing; an index entry whose record is gone is dropped when read.
 */
export function createSubscriptionOperations(deps: SubscriptionDeps): SubscriptionOperations {
  const { io, indexes, lock } = deps;
  const pruneIndexes = (taskId: string, channelId: string) => pruneIndexesOf(deps, taskId, channelId);
  const writeLocked = (key: string, subscription: SubscriptionRecord) => writeListed(deps, key, subscription);

  return {
    getSubscription: (taskId, channelId) =>
      io.read(storeKeys.subscription(taskId, channelId), subscriptionCodec),

    async putSubscription(subscription) {
      const key = storeKeys.subscription(subscription.taskId, subscription.channelId);
      await lock.run(key, () => writeLocked(key, subscription));
    },

    async updateSubscription(taskId, channelId, change) {
      const key = storeKeys.subscription(taskId, channelId);
      return lock.run(key, async () => {
        // Read under the lock: the change applies to the latest record, never to a copy read before.
        const current = await io.read(key, subscriptionCodec, true);
        const next = change(current);
        if (next === undefined || next === current) return current;
        if (next.taskId !== taskId || next.channelId !== channelId)
          throw new Error('updateSubscription must keep the task and channel of the record');
        await writeLocked(key, next);
        return next;
      });
    },

    async deleteSubscription(taskId, channelId) {
      const key = storeKeys.subscription(taskId, channelId);
      await lock.run(key, async () => {
        await io.remove(key);
        await Promise.all([
          indexes.remove(storeKeys.taskChannels(taskId), channelId),
          indexes.remove(storeKeys.channelTasks(channelId), taskId),
        ]);
      });
    },

    async unlistSubscription(taskId, channelId) {
      await indexes.remove(storeKeys.channelTasks(channelId), taskId);
    },

    async subscriptionsOf(taskId) {
      const channelIds = await indexes.members(storeKeys.taskChannels(taskId));
      const keys = channelIds.map((channelId) => storeKeys.subscription(taskId, channelId));
      const subscriptions = await io.readMany(keys, subscriptionCodec);
      const found: SubscriptionRecord[] = [];
      const missing: string[] = [];
      subscriptions.forEach((subscription, i) => {
        if (subscription) found.push(subscription);
        else missing.push(channelIds[i] ?? '');
      });
      await Promise.all(missing.map((channelId) => pruneIndexes(taskId, channelId)));
      return found;
    },

    async channelTaskIds(channelId) {
      const taskIds = await indexes.members(storeKeys.channelTasks(channelId));
      const keys = taskIds.map((taskId) => storeKeys.subscription(taskId, channelId));
      const subscriptions = await io.readMany(keys, subscriptionCodec);
      const missing = taskIds.filter((_, i) => subscriptions[i] === undefined);
      await Promise.all(missing.map((taskId) => pruneIndexes(taskId, channelId)));
      return taskIds.filter((_, i) => subscriptions[i] !== undefined);
    },
  };
}

/** Drops index entries of a subscription whose record is gone (a crash between two writes). */
async function pruneIndexesOf(deps: SubscriptionDeps, taskId: string, channelId: string): Promise<void> {
  const { backend, indexes, lock } = deps;
  const key = storeKeys.subscription(taskId, channelId);
  await lock.run(key, async () => {
    // Checked under the record's lock, so a subscription being written right now is not pruned.
    // A raw read: validating here could quarantine, which takes this same lock.
    if ((await backend.get(key)) !== undefined) return;
    await Promise.all([
      indexes.remove(storeKeys.taskChannels(taskId), channelId),
      indexes.remove(storeKeys.channelTasks(channelId), taskId),
    ]);
  });
}

/** Writes a subscription and lists it; the caller holds the record's lock. */
async function writeListed(deps: SubscriptionDeps, key: string, subscription: SubscriptionRecord) {
  const { taskId, channelId } = subscription;
  // Indexes first: an entry whose record is missing is dropped on read, while a record
  // missing from its indexes would never be found again.
  await Promise.all([
    deps.indexes.add(storeKeys.taskChannels(taskId), channelId),
    deps.indexes.add(storeKeys.channelTasks(channelId), taskId),
  ]);
  await deps.io.write(key, subscription, subscriptionCodec);
}
