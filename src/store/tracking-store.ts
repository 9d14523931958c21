import type { Logger } from '../ops/logger.js';
import { createSystemClock, type Clock } from '../scheduling/clock.js';
import { createActiveIndex, type ActiveOwners } from './active-index.js';
import { openBackend, type BackendKind } from './backends/index.js';
import { indexStorageOver } from './codecs.js';
import { createIndexSets } from './index-sets.js';
import { createKeyedMutex } from './keyed-mutex.js';
import { createOperationGate } from './operation-gate.js';
import { createRecordIo } from './record-io.js';
import type { SubscriptionRecord, TaskRecord } from './records.js';
import { createSubscriptionOperations } from './subscriptions.js';
import { createTaskOperations } from './tasks.js';

export type { ActiveOwners } from './active-index.js';

export interface CreateStoreOptions {
  /** `sqlite://<path>` (relative to the working directory), `redis://…`, `rediss://…` or `memory://`. */
  url: string;
  logger: Logger;
  /** Prefix of every key; default `sora-tracker`. One bot process (or shard) writes a namespace. */
  namespace?: string;
  clock?: Clock;
  /** Redis: how long to wait for the first connection and for a PING answer. Default 5 s. */
  connectTimeoutMs?: number;
  /** Bound of the in-memory copy of the indexes. Default 50,000 keys. */
  maxCachedIndexKeys?: number;
  /**
   * Bound of the in-memory copy of task and subscription records (read on every poll). Default 25,000;
   * 0 turns it off. Only one process may write a namespace while it is on (one bot, or one shard lease).
   */
  maxCachedRecords?: number;
}

/**
 * Everything needed to resume tracking after a restart, even after `kill -9`. Each record is written
 * atomically; indexes are written after the records they point to when adding and before them when
 * removing, and reads drop index entries whose record is gone, so a crash between two writes leaves
 * a consistent store. Methods reject when the backend fails (Redis down): retry later.
 */
export interface TrackingStore {
  readonly backend: BackendKind;

  getTask(taskId: string): Promise<TaskRecord | undefined>;
  /** The tasks found among `taskIds` (missing or invalid ones are left out). */
  getTasks(taskIds: readonly string[]): Promise<Map<string, TaskRecord>>;
  putTask(task: TaskRecord): Promise<void>;

  getSubscription(taskId: string, channelId: string): Promise<SubscriptionRecord | undefined>;
  /**
   * Writes the subscription and lists it under its task and its channel, replacing what was stored:
   * to change fields of a subscription that may exist, use `updateSubscription`.
   */
  putSubscription(subscription: SubscriptionRecord): Promise<void>;
  /**
   * Changes one subscription as a unit: `change` is given the record as stored now (undefined if there
   * is none) and returns the record to store, or undefined to leave it as it is; resolves with the
   * record as stored afterwards. Every write of one subscription (put, update, delete) waits for the
   * one before, so no writer applies its change to a stale copy or undoes another's field. `change`
   * runs under the record's lock: keep it quick and pure. Within one process; across processes, the
   * shard lease keeps a namespace to one writer (docs/scaling.md).
   */
  updateSubscription(
    taskId: string,
    channelId: string,
    change: (current: SubscriptionRecord | undefined) => SubscriptionRecord | undefined,
  ): Promise<SubscriptionRecord | undefined>;
  deleteSubscription(taskId: string, channelId: string): Promise<void>;
  /**
   * Takes a subscription out of its channel's list (what `/sora list` shows) and keeps the record,
   * still found by key and under its task: a finished task leaves the list but is still known there.
   */
  unlistSubscription(taskId: string, channelId: string): Promise<void>;
  /** Every subscription of a task, whatever its state. */
  subscriptionsOf(taskId: string): Promise<SubscriptionRecord[]>;
  /** Ids of the tasks with a subscription (in any state) in this channel, oldest first. */
  channelTaskIds(channelId: string): Promise<string[]>;

  /** The index of active tasks: what to resume after a start. */
  activeTaskIds(): Promise<string[]>;
  isActive(taskId: string): Promise<boolean>;
  /**
   * Adds a task to the active index (with the user and guild it counts against) or removes it (from
   * every user and guild it counted against). Independent of `TaskRecord.state`, so a caller can
   * record a task as ended, finish showing it, and only then take it out of the index.
   */
  setActive(taskId: string, active: boolean, owners?: ActiveOwners): Promise<void>;
  /** Active tasks this user started tracking (for the per-user limit). */
  countActiveForUser(userId: string): Promise<number>;
  /** Active tasks tracked in this guild (for the per-guild limit). */
  countActiveForGuild(guildId: string): Promise<number>;

  /** Rejects with a short reason when the backend does not answer (for /healthz). */
  ping(): Promise<void>;
  /** Lets operations in flight finish, then closes the backend. Later calls reject. */
  close(): Promise<void>;
}

const DEFAULT_NAMESPACE = 'sora-tracker';

export async function createTrackingStore(options: CreateStoreOptions): Promise<TrackingStore> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  if (!/^[\w.-]+(:[\w.-]+)*$/.test(namespace)) {
    throw new Error('Store namespace must be letters, digits, `_`, `-`, `.`, separated by `:`');
  }
  const logger = options.logger;
  const clock = options.clock ?? createSystemClock();
  const backend = await openBackend({
    url: options.url,
    namespace,
    logger,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
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
  const tasks = createTaskOperations({ io, lock });
  const subscriptions = createSubscriptionOperations({ backend, io, indexes, lock });
  const active = createActiveIndex({ indexes, lock });

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
    countActiveForUser: gate.wrap(active.countActiveForUser),
    countActiveForGuild: gate.wrap(active.countActiveForGuild),
    ping: gate.wrap(() => backend.ping()),
    async close() {
      if (await gate.close()) await backend.close();
    },
  };
}
