import type { Logger } from '../ops/logger.js';
import { createSystemClock, type Clock } from '../scheduling/clock.js';
import { activeLockKey, createActiveIndex } from './active-index.js';
import { openBackend, type WriteFence } from './backends/index.js';
import { indexStorageOver } from './codecs.js';
import { createEndedIndex } from './ended-index.js';
import { createIndexSets } from './index-sets.js';
import { createKeyedMutex } from './keyed-mutex.js';
import { createOperationGate } from './operation-gate.js';
import { createRecordIo } from './record-io.js';
import { createRetention } from './retention.js';
import { createSubscriptionOperations } from './subscriptions.js';
import type { TrackingStore } from './store-port.js';
import { createTaskOperations } from './tasks.js';

export type { ActiveOwners } from './active-index.js';
export type { PruneCounts, PruneOptions, TrackingStore } from './store-port.js';

export interface CreateStoreOptions {
  /** `sqlite://<path>` (relative to the working directory), `redis://…`, `rediss://…` or `memory://`. */
  url: string;
  logger: Logger;
  /** Prefix of every key; default `sora-tracker`. One bot process (or shard) writes a namespace. */
  namespace?: string;
  clock?: Clock;
  /**
   * How long to wait for Redis to connect first and to answer a PING, and, on close, for operations
   * in flight. Default 5 s.
   */
  connectTimeoutMs?: number;
  /**
   * Redis only: how long one store operation may wait for Redis's answer before it rejects
   * (StoreUnavailableError), so a connection that never answers cannot hang a poll. Default 5 s.
   */
  commandTimeoutMs?: number;
  /** Bound of the in-memory copy of the indexes. Default 50,000 keys. */
  maxCachedIndexKeys?: number;
  /**
   * Bound of the in-memory copy of task and subscription records (read on every poll). Default 25,000;
   * 0 turns it off. Only one process may write a namespace while it is on (one bot, or one shard lease).
   */
  maxCachedRecords?: number;
  /**
   * Redis only: the shard lease term this store writes for. Every write is refused (FencedOutError)
   * once the lease holds another value (docs/scaling.md#fencing).
   */
  fence?: WriteFence | undefined;
  /**
   * Width of the buckets that list ended tasks by when they ended (docs/configuration.md#retention);
   * default 1 hour. Only how finely retention finds old tasks, never what it deletes.
   */
  endedBucketMs?: number | undefined;
}

const DEFAULT_NAMESPACE = 'sora-tracker';

export async function createTrackingStore(options: CreateStoreOptions): Promise<TrackingStore> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  if (!/^[\w.-]+(:[\w.-]+)*$/.test(namespace)) {
    throw new Error('Store namespace must be letters, digits, `_`, `-`, `.`, separated by `:`');
  }
  const logger = options.logger;
  const clock = options.clock ?? createSystemClock();
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const backend = await openBackend({
    url: options.url,
    namespace,
    logger,
    connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs ?? 5_000,
    fence: options.fence,
  });

  // One lock per record key (and per task for the active index): writes of one key happen in call
  // order, and a pruned index entry is checked against its record under the record's lock.
  const lock = createKeyedMutex();
  const io = createRecordIo({
    backend,
    logger,
    clock,
    lock,
    maxCachedRecords: options.maxCachedRecords ?? 25_000,
  });
  const indexes = createIndexSets(indexStorageOver(io), {
    maxCachedKeys: options.maxCachedIndexKeys ?? 50_000,
  });
  const bucketMs = Math.max(1_000, Math.floor(options.endedBucketMs ?? 3_600_000));
  const ended = createEndedIndex({ backend, io, indexes, lock, bucketMs });
  const tasks = createTaskOperations({ io, lock, ended });
  const subscriptions = createSubscriptionOperations({ backend, io, indexes, lock });
  const active = createActiveIndex({ indexes, lock });
  const retention = createRetention({
    backend,
    io,
    indexes,
    ended,
    lock,
    activeLockKey,
    isActive: active.isActive,
  });

  const gate = createOperationGate('The tracking store is closed');
  return {
    backend: backend.kind,
    getTask: gate.wrap(tasks.getTask),
    getTasks: gate.wrap(tasks.getTasks),
    putTask: gate.wrap(tasks.putTask),
    getSubscription: gate.wrap(subscriptions.getSubscription),
    putSubscription: gate.wrap(subscriptions.putSubscription),
    updateSubscription: gate.wrap(subscriptions.updateSubscription),
    deleteSubscription: gate.wrap(subscriptions.deleteSubscription),
    unlistSubscription: gate.wrap(subscriptions.unlistSubscription),
    subscriptionsOf: gate.wrap(subscriptions.subscriptionsOf),
    channelTaskIds: gate.wrap(subscriptions.channelTaskIds),
    activeTaskIds: gate.wrap(active.activeTaskIds),
    isActive: gate.wrap(active.isActive),
    setActive: gate.wrap(active.setActive),
    activeOwners: gate.wrap(active.activeOwners),
    countActiveForUser: gate.wrap(active.countActiveForUser),
    countActiveForGuild: gate.wrap(active.countActiveForGuild),
    pruneEnded: gate.wrap(retention.pruneEnded),
    ping: gate.wrap(() => backend.ping()),
    async close() {
      // Operations stuck on a stalled Redis are given up on (closing the backend rejects them): a shard
      // that lost its lease must stop, and a process must be able to run the shard again.
      if (await gate.close(connectTimeoutMs)) await backend.close();
    },
  };
}
