import type { IndexSets } from './index-sets.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { ACTIVE_BUCKET_COUNT, activeBucketOf, storeKeys } from './keys.js';
import type { ActiveOwners, TrackingStore } from './store-port.js';

export type { ActiveOwners } from './store-port.js';

export type ActiveIndex = Pick<
  TrackingStore,
  'activeTaskIds' | 'isActive' | 'setActive' | 'activeOwners' | 'countActiveForUser' | 'countActiveForGuild'
>;

/** Members of a task's owner index: whom the task counts against. */
const ownerMember = {
  user: (userId: string) => `user:${userId}`,
  guild: (guildId: string) => `guild:${guildId}`,
};

/** The count indexes that a task's owner members point to. */
function countKeysOf(ownerMembers: readonly string[]): string[] {
  return ownerMembers.flatMap((member) => {
    if (member.startsWith('user:')) return [storeKeys.userActive(member.slice('user:'.length))];
    if (member.startsWith('guild:')) return [storeKeys.guildActive(member.slice('guild:'.length))];
    return [];
  });
}

/** The lock of a task's entries in the active index. */
export const activeLockKey = (taskId: string) => `active:${taskId}`;
const activeBucketKey = (taskId: string) => storeKeys.activeBucket(activeBucketOf(taskId));

/**
 * The active tasks (in buckets), and per user and guild the active tasks that count against their
 * limits, with each task's owners so that deactivating it releases them all. Changed under the
 * task's lock; the counts prune what a crash left behind.
 */
export function createActiveIndex({ indexes, lock }: { indexes: IndexSets; lock: KeyedMutex }): ActiveIndex {
  const isActive = (taskId: string) => indexes.has(activeBucketKey(taskId), taskId);

  async function countActive(indexKey: string): Promise<number> {
    const taskIds = await indexes.members(indexKey);
    const activeFlags = await Promise.all(taskIds.map(isActive));
    const inactive = taskIds.filter((_, i) => !activeFlags[i]);
    // Left behind by a crash during setActive(false): prune under the task's lock, re-checked.
    await Promise.all(
      inactive.map((taskId) =>
        lock.run(activeLockKey(taskId), async () => {
          if (!(await isActive(taskId))) await indexes.remove(indexKey, taskId);
        }),
      ),
    );
    return taskIds.length - inactive.length;
  }

  async function activate(taskId: string, owners: ActiveOwners): Promise<void> {
    const added = [
      ...(owners.userId !== undefined ? [ownerMember.user(owners.userId)] : []),
      ...(owners.guildId !== undefined ? [ownerMember.guild(owners.guildId)] : []),
    ];
    // Owners first: whatever a crash leaves counted is found and undone by setActive(false),
    // or pruned by the counts, which only count tasks in the active index.
    const ownersKey = storeKeys.taskOwners(taskId);
    await Promise.all(added.map((member) => indexes.add(ownersKey, member)));
    await Promise.all(countKeysOf(added).map((countKey) => indexes.add(countKey, taskId)));
    await indexes.add(activeBucketKey(taskId), taskId);
  }

  async function deactivate(taskId: string): Promise<void> {
    const ownersKey = storeKeys.taskOwners(taskId);
    await indexes.remove(activeBucketKey(taskId), taskId);
    const counted = await indexes.members(ownersKey);
    await Promise.all(countKeysOf(counted).map((countKey) => indexes.remove(countKey, taskId)));
    await indexes.removeMany(ownersKey, counted);
  }

  return {
    async activeTaskIds() {
      const buckets = Array.from({ length: ACTIVE_BUCKET_COUNT }, (_, i) => storeKeys.activeBucket(i));
      const members = await indexes.membersOfMany(buckets);
      return [...members.values()].flat();
    },
    isActive,
    async setActive(taskId, active, owners = {}) {
      await lock.run(activeLockKey(taskId), () => (active ? activate(taskId, owners) : deactivate(taskId)));
    },
    async activeOwners(taskId) {
      const members = await indexes.members(storeKeys.taskOwners(taskId));
      const after = (prefix: string) =>
        members.filter((member) => member.startsWith(prefix)).map((member) => member.slice(prefix.length));
      return { userIds: after(ownerMember.user('')), guildIds: after(ownerMember.guild('')) };
    },
    countActiveForUser: (userId) => countActive(storeKeys.userActive(userId)),
    countActiveForGuild: (guildId) => countActive(storeKeys.guildActive(guildId)),
  };
}
