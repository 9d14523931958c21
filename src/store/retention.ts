import type { KeyValueBackend } from './backends/index.js';
import { taskCodec } from './codecs.js';
import type { EndedIndex } from './ended-index.js';
import type { IndexSets } from './index-sets.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { storeKeys } from './keys.js';
import type { RecordIo } from './record-io.js';
import { endedAtOf, type TaskRecord } from './records.js';
import type { PruneCounts, PruneOptions } from './store-port.js';

/**
 * Retention (docs/configuration.md#retention): deletes tasks that ended before a cutoff, with their
 * subscriptions and index entries, and quarantined records moved aside before it. Indexes go before
 * the records they point to, and the ended-index entry that finds the task goes last, so a crash
 * anywhere leaves the task to the next sweep.
 */

const DEFAULT_LIMIT = 500;
/** Tasks pruned at once. */
const PRUNE_CHUNK = 50;

interface RetentionDeps {
  backend: KeyValueBackend;
  io: RecordIo;
  indexes: IndexSets;
  ended: EndedIndex;
  lock: KeyedMutex;
  /** The task's lock in the active index (active-index.ts): held while it is checked and deleted. */
  activeLockKey: (taskId: string) => string;
  isActive: (taskId: string) => Promise<boolean>;
}

/** What became of one listed task: deleted (with this many subscriptions), only unlisted, or kept. */
type Outcome = { kind: 'pruned'; subscriptions: number } | { kind: 'unlisted' } | { kind: 'kept' };
const UNLISTED: Outcome = { kind: 'unlisted' };
const KEPT: Outcome = { kind: 'kept' };

/**
 * Whether nothing of the task's delivery is left to finish: a downloaded file still waiting on disk for
 * a post is the delivery's to remove, so its record stays until then.
 */
export function deliverySettled(task: TaskRecord): boolean {
  const delivery = task.delivery;
  if (delivery === undefined || delivery.finishedAt !== undefined || task.endReason === 'untracked')
    return true;
  return delivery.download?.file === undefined;
}

export function createRetention(deps: RetentionDeps) {
  const { ended } = deps;

  async function pruneTask(taskId: string, cutoffMs: number): Promise<Outcome> {
    return deps.lock.run(deps.activeLockKey(taskId), async () => {
      const task = await deps.io.read(storeKeys.task(taskId), taskCodec);
      // Tracked again since it ended: listed again when it ends again.
      if (!task || task.state === 'active') return UNLISTED;
      if (await deps.isActive(taskId)) return KEPT;
      if (endedAtOf(task) >= cutoffMs || !deliverySettled(task)) return KEPT;
      const subscriptions = await removeSubscriptions(deps, task);
      const key = storeKeys.task(taskId);
      await deps.lock.run(key, () => deps.io.remove(key));
      return { kind: 'pruned', subscriptions };
    });
  }

  async function pruneEnded(cutoffMs: number, options: PruneOptions = {}): Promise<PruneCounts> {
    const limit = options.limit ?? DEFAULT_LIMIT;
    const guard = options.guard ?? ((_taskId, work) => work());
    const counts: PruneCounts = { tasks: 0, subscriptions: 0, quarantined: 0, more: false };
    await ended.listOlderOnce();
    let budget = limit;
    for (const start of await ended.bucketsBefore(cutoffMs)) {
      const members = await ended.members(start);
      // Tasks of a chunk are pruned together, so their writes share SQLite statements and index writes;
      // one after another, a sweep fell behind tasks ending at a few per second.
      for (let at = 0; at < members.length;) {
        if (budget <= 0) return { ...counts, more: true };
        const chunk = members.slice(at, at + Math.min(budget, PRUNE_CHUNK));
        at += chunk.length;
        const outcomes = await Promise.all(
          chunk.map((taskId) => guard(taskId, () => pruneTask(taskId, cutoffMs))),
        );
        const done = chunk.filter((_taskId, i) => outcomes[i]!.kind !== 'kept');
        budget -= done.length;
        for (const outcome of outcomes) {
          if (outcome.kind !== 'pruned') continue;
          counts.tasks += 1;
          counts.subscriptions += outcome.subscriptions;
        }
        await ended.unlist(start, done);
      }
      await ended.unlist(start);
    }
    const quarantine = await pruneQuarantine(deps.backend, cutoffMs, budget);
    return { ...counts, quarantined: quarantine.deleted, more: quarantine.more };
  }

  return { pruneEnded };
}

/** Deletes a task's subscriptions, each out of its indexes first; resolves with how many there were. */
async function removeSubscriptions(deps: RetentionDeps, task: TaskRecord): Promise<number> {
  const { indexes, io, lock } = deps;
  const listed = await indexes.members(storeKeys.taskChannels(task.id));
  const channelIds = [...new Set([...listed, ...task.channelIds])];
  for (const channelId of channelIds) {
    const key = storeKeys.subscription(task.id, channelId);
    await lock.run(key, async () => {
      await indexes.remove(storeKeys.channelTasks(channelId), task.id);
      await io.remove(key);
      // The entry that finds the subscription from its task goes last.
      await indexes.remove(storeKeys.taskChannels(task.id), channelId);
    });
  }
  return channelIds.length;
}

/** Deletes quarantined records moved aside before the cutoff, at most `limit`. */
async function pruneQuarantine(
  backend: KeyValueBackend,
  cutoffMs: number,
  limit: number,
): Promise<{ deleted: number; more: boolean }> {
  if (limit <= 0) return { deleted: 0, more: true };
  const old = (await backend.keys('quarantine:')).filter((key) => {
    const at = Number(key.slice(key.lastIndexOf(':') + 1));
    return Number.isFinite(at) && at < cutoffMs;
  });
  const chosen = old.slice(0, limit);
  for (const key of chosen) await backend.delete(key);
  return { deleted: chosen.length, more: old.length > limit };
}
