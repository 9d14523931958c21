/**
 * The key layout inside the namespace. Ids are URI-encoded so that an id containing `:` can never
 * collide with another key. Changing anything here needs a migration of existing stores.
 */

/** The active-task index is split so that one change rewrites ~1/64 of it, not all of it. */
export const ACTIVE_BUCKET_COUNT = 64;

const part = (value: string) => encodeURIComponent(value);

export const storeKeys = {
  task: (taskId: string) => `task:${part(taskId)}`,
  subscription: (taskId: string, channelId: string) => `sub:${part(taskId)}:${part(channelId)}`,
  /** Channels subscribed to one task. */
  taskChannels: (taskId: string) => `idx:task-channels:${part(taskId)}`,
  /** Tasks with a subscription in one channel, whatever its state. */
  channelTasks: (channelId: string) => `idx:channel-tasks:${part(channelId)}`,
  /** Users and guilds an active task counts against, so that deactivating it releases them all. */
  taskOwners: (taskId: string) => `idx:task-owners:${part(taskId)}`,
  /** Active tasks one user started tracking (for the per-user limit). */
  userActive: (userId: string) => `idx:user-active:${part(userId)}`,
  /** Active tasks tracked in one guild (for the per-guild limit). */
  guildActive: (guildId: string) => `idx:guild-active:${part(guildId)}`,
  activeBucket: (bucket: number) => `idx:active:${bucket}`,
  /** Ended tasks by when they ended (a bucket starting at `start` ms), what retention sweeps. */
  endedBucket: (start: number) => `idx:ended:${start}`,
  /** The starts of the ended buckets that exist. */
  endedBuckets: 'idx:ended-buckets',
  /** Set once the tasks ended before the ended index existed have been put in it. */
  endedIndexed: 'meta:ended-indexed',
  quarantine: (key: string, at: number) => `quarantine:${key}:${at}`,
};

/** FNV-1a: stable across processes and versions, unlike anything seeded. */
export function activeBucketOf(taskId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < taskId.length; i++) {
    hash ^= taskId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % ACTIVE_BUCKET_COUNT;
}
