import type { KeyValueBackend } from './backends/index.js';
import { taskCodec } from './codecs.js';
import type { IndexSets } from './index-sets.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { storeKeys } from './keys.js';
import type { RecordIo } from './record-io.js';
import { endedAtOf, type TaskRecord } from './records.js';

/**
 * Ended tasks listed by when they ended, in buckets of `bucketMs`, so that retention finds the old ones
 * without reading every task (docs/configuration.md#retention). A list of bucket starts says which
 * buckets exist. Written after the task record (store-port.ts): a crash leaves at worst a task not yet
 * listed, which its next write or the one-time listing of older stores puts right; an empty listed
 * bucket is dropped by the next sweep.
 */
export interface EndedIndex {
  /** Lists a task whose record says it ended; nothing for an active one. */
  note(task: TaskRecord): Promise<void>;
  /** Bucket starts before `cutoffMs`, oldest first. */
  bucketsBefore(cutoffMs: number): Promise<number[]>;
  members(start: number): Promise<string[]>;
  /** Takes tasks (if any) out of a bucket, and the bucket out of the list once empty. */
  unlist(start: number, taskIds?: readonly string[]): Promise<void>;
  /** Lists the ended tasks of a store written before this index existed; once per store. */
  listOlderOnce(): Promise<void>;
}

const READ_BATCH = 200;

export function createEndedIndex(deps: {
  backend: KeyValueBackend;
  io: RecordIo;
  indexes: IndexSets;
  lock: KeyedMutex;
  bucketMs: number;
}): EndedIndex {
  const { backend, io, indexes, lock, bucketMs } = deps;
  // A bucket is filled and emptied under its own lock, so one emptied meanwhile never drops a new entry's listing.
  const underBucket = <T>(start: number, work: () => Promise<T>) => lock.run(`ended:${start}`, work);
  let listedOlder = false;

  async function note(task: TaskRecord): Promise<void> {
    if (task.state !== 'ended') return;
    const start = Math.floor(endedAtOf(task) / bucketMs) * bucketMs;
    await underBucket(start, async () => {
      // The list after the bucket would leave an entry unfound after a crash: the list first.
      await indexes.add(storeKeys.endedBuckets, String(start));
      await indexes.add(storeKeys.endedBucket(start), task.id);
    });
  }

  return {
    note,
    async bucketsBefore(cutoffMs) {
      const starts = (await indexes.members(storeKeys.endedBuckets)).map(Number);
      return starts.filter((start) => Number.isFinite(start) && start < cutoffMs).sort((a, b) => a - b);
    },
    members: (start) => indexes.members(storeKeys.endedBucket(start)),
    async unlist(start, taskIds = []) {
      const key = storeKeys.endedBucket(start);
      await underBucket(start, async () => {
        await indexes.removeMany(key, taskIds);
        if ((await indexes.members(key)).length === 0) {
          await indexes.remove(storeKeys.endedBuckets, String(start));
        }
      });
    },
    async listOlderOnce() {
      if (listedOlder) return;
      if ((await backend.get(storeKeys.endedIndexed)) === undefined) {
        const keys = await backend.keys('task:');
        for (let start = 0; start < keys.length; start += READ_BATCH) {
          const tasks = await io.readMany(keys.slice(start, start + READ_BATCH), taskCodec);
          for (const task of tasks) if (task) await note(task);
        }
        await backend.set(storeKeys.endedIndexed, { v: 1 });
      }
      listedOlder = true;
    },
  };
}
