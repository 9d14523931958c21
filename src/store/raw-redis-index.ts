import { activeBucketOf, storeKeys } from './keys.js';
import { storedIndexSchema } from './records.js';

/**
 * A user's active tasks in store namespaces that other processes write, read straight from Redis: no
 * cache, since another writer changes them. Counted as `countActiveForUser` counts in its own namespace:
 * an entry counts only while its task is in that namespace's active index, so whatever a crash left
 * behind is never counted (the namespace's own shard prunes it on its next count).
 */

/** The one Redis read this needs: values of many keys at once (node-redis `mGet`). */
export type RawGetMany = (keys: string[]) => Promise<(string | null)[]>;

/** A key as the Redis backend stores it: Keyv's namespace, then `:` (store/backends/redis.ts). */
const redisKey = (namespace: string, key: string) => `${namespace}:${key}`;

export async function countActiveForUserIn(
  getMany: RawGetMany,
  namespaces: readonly string[],
  userId: string,
): Promise<number> {
  if (namespaces.length === 0) return 0;
  const indexes = await getMany(namespaces.map((ns) => redisKey(ns, storeKeys.userActive(userId))));
  const candidates = namespaces.flatMap((ns, i) =>
    membersOf(indexes[i] ?? null).map((taskId) => ({ taskId, bucketKey: redisKey(ns, bucketKeyOf(taskId)) })),
  );
  if (candidates.length === 0) return 0;
  const bucketKeys = [...new Set(candidates.map((c) => c.bucketKey))];
  const buckets = await getMany(bucketKeys);
  const active = new Map(bucketKeys.map((key, i) => [key, new Set(membersOf(buckets[i] ?? null))]));
  return candidates.filter((c) => active.get(c.bucketKey)?.has(c.taskId)).length;
}

const bucketKeyOf = (taskId: string) => storeKeys.activeBucket(activeBucketOf(taskId));

/** The members of a stored index entry (Keyv's `{"value": …}` around the index record); none if unreadable. */
function membersOf(raw: string | null): string[] {
  if (raw === null) return [];
  try {
    const entry = JSON.parse(raw) as { value?: unknown };
    const parsed = storedIndexSchema.safeParse(entry.value);
    return parsed.success ? parsed.data.members : [];
  } catch {
    // Its own shard moves an unreadable entry aside; here it counts nothing.
    return [];
  }
}
