import type { KeyValueBackend } from './backends/index.js';
import { subscriptionCodec } from './codecs.js';
import type { IndexSets } from './index-sets.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { storeKeys } from './keys.js';
import type { RecordIo } from './record-io.js';
import type { SubscriptionRecord } from './records.js';
import type { TrackingStore } from './tracking-store.js';

export type SubscriptionOperations = Pick<
  TrackingStore,
  | 'getSubscription'
  | 'putSubscription'
  | 'deleteSubscription'
  | 'unlistSubscription'
  | 'subscriptionsOf'
  | 'channelTaskIds'
>;

/**
 * Subscription records, each listed under its task (which channels follow it) and its channel (which
 * tasks `/sora list` shows there). Written under the record's lock, indexes first when adding and last
 * when removing; an index entry whose record is gone is dropped when read.
 */
export function createSubscriptionOperations(deps: {
  backend: KeyValueBackend;
  io: RecordIo;
  indexes: IndexSets;
  lock: KeyedMutex;
}): SubscriptionOperations {
  const { backend, io, indexes, lock } = deps;

  /** Drops index entries of a subscription whose record is gone (a crash between two writes). */
  async function pruneIndexes(taskId: string, channelId: string): Promise<void> {
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

  return {
    getSubscription: (taskId, channelId) =>
      io.read(storeKeys.subscription(taskId, channelId), subscriptionCodec),

    async putSubscription(subscription) {
      const { taskId, channelId } = subscription;
      const key = storeKeys.subscription(taskId, channelId);
      await lock.run(key, async () => {
        // Indexes first: an entry whose record is missing is dropped on read, while a record
        // missing from its indexes would never be found again.
        await Promise.all([
          indexes.add(storeKeys.taskChannels(taskId), channelId),
          indexes.add(storeKeys.channelTasks(channelId), taskId),
        ]);
        await io.write(key, subscription, subscriptionCodec);
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
