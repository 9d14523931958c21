import type { Logger } from '../ops/logger.js';
import { createSystemClock, type Clock } from '../scheduling/clock.js';
import { openBackend, type BackendKind } from './backend.js';
import { createIndexSets } from './index-sets.js';
import { createKeyedMutex } from './keyed-mutex.js';
import { ACTIVE_BUCKET_COUNT, activeBucketOf, storeKeys } from './keys.js';
import { createRecordIo, type Codec } from './record-io.js';
import {
  RECORD_VERSION,
  storedIndexSchema,
  storedSubscriptionSchema,
  storedTaskSchema,
  taskFromStored,
  taskToStored,
  type SubscriptionRecord,
  type TaskRecord,
} from './records.js';

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

export interface ActiveOwners {
  userId?: string | undefined;
  guildId?: string | undefined;
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
  /** Writes the subscription and lists it under its task and its channel. */
  putSubscription(subscription: SubscriptionRecord): Promise<void>;
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

const taskCodec: Codec<Parameters<typeof taskFromStored>[0], TaskRecord> = {
  kind: 'task',
  schema: storedTaskSchema,
  fromStored: taskFromStored,
  toStored: taskToStored,
  cached: true,
};

const subscriptionCodec: Codec<SubscriptionRecord, SubscriptionRecord> = {
  kind: 'subscription',
  schema: storedSubscriptionSchema,
  fromStored: (stored) => stored,
  toStored: (subscription) => subscription,
  cached: true,
};

const indexCodec: Codec<{ v: 1; members: string[] }, string[]> = {
  kind: 'index',
  schema: storedIndexSchema,
  fromStored: (stored) => stored.members,
  toStored: (members) => ({ v: RECORD_VERSION, members }),
};

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
  const indexes = createIndexSets(
    {
      read: async (key) => (await io.read(key, indexCodec)) ?? [],
      readMany: async (keys) => (await io.readMany(keys, indexCodec)).map((members) => members ?? []),
      write: (key, members) =>
        members.length === 0 ? io.remove(key) : io.write(key, [...members], indexCodec),
    },
    { maxCachedKeys: options.maxCachedIndexKeys ?? 50_000 },
  );

  const activeLockKey = (taskId: string) => `active:${taskId}`;
  const activeBucketKey = (taskId: string) => storeKeys.activeBucket(activeBucketOf(taskId));

  async function isActive(taskId: string): Promise<boolean> {
    return indexes.has(activeBucketKey(taskId), taskId);
  }

  async function subscriptionsOf(taskId: string): Promise<SubscriptionRecord[]> {
    const channelIds = await indexes.members(storeKeys.taskChannels(taskId));
    const keys = channelIds.map((channelId) => storeKeys.subscription(taskId, channelId));
    const subscriptions = await io.readMany(keys, subscriptionCodec);
    const found: SubscriptionRecord[] = [];
    const missing: string[] = [];
    subscriptions.forEach((subscription, i) => {
      if (subscription) found.push(subscription);
      else missing.push(channelIds[i] ?? '');
    });
    await Promise.all(missing.map((channelId) => pruneSubscriptionIndexes(taskId, channelId)));
    return found;
  }

  /** Drops index entries of a subscription whose record is gone (a crash between two writes). */
  async function pruneSubscriptionIndexes(taskId: string, channelId: string): Promise<void> {
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

  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  /** Every public operation goes through here, so close() can wait for them and refuse new ones. */
  function operation<A extends unknown[], R>(work: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return (...args) => {
      if (closed) return Promise.reject(new Error('The tracking store is closed'));
      const running = work(...args);
      inFlight.add(running);
      void running.then(
        () => inFlight.delete(running),
        () => inFlight.delete(running),
      );
      return running;
    };
  }

  const store: TrackingStore = {
    backend: backend.kind,

    getTask: operation((taskId: string) => io.read(storeKeys.task(taskId), taskCodec)),

    getTasks: operation(async (taskIds: readonly string[]) => {
      const tasks = await io.readMany(taskIds.map(storeKeys.task), taskCodec);
      const found = new Map<string, TaskRecord>();
      tasks.forEach((task, i) => {
        const id = taskIds[i];
        if (task && id !== undefined) found.set(id, task);
      });
      return found;
    }),

    putTask: operation(async (task: TaskRecord) => {
      const key = storeKeys.task(task.id);
      await lock.run(key, () => io.write(key, task, taskCodec));
    }),

    getSubscription: operation((taskId: string, channelId: string) =>
      io.read(storeKeys.subscription(taskId, channelId), subscriptionCodec),
    ),

    putSubscription: operation(async (subscription: SubscriptionRecord) => {
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
    }),

    deleteSubscription: operation(async (taskId: string, channelId: string) => {
      const key = storeKeys.subscription(taskId, channelId);
      await lock.run(key, async () => {
        await io.remove(key);
        await Promise.all([
          indexes.remove(storeKeys.taskChannels(taskId), channelId),
          indexes.remove(storeKeys.channelTasks(channelId), taskId),
        ]);
      });
    }),

    unlistSubscription: operation(async (taskId: string, channelId: string) => {
      await indexes.remove(storeKeys.channelTasks(channelId), taskId);
    }),

    subscriptionsOf: operation(subscriptionsOf),

    channelTaskIds: operation(async (channelId: string) => {
      const taskIds = await indexes.members(storeKeys.channelTasks(channelId));
      const keys = taskIds.map((taskId) => storeKeys.subscription(taskId, channelId));
      const subscriptions = await io.readMany(keys, subscriptionCodec);
      const missing = taskIds.filter((_, i) => subscriptions[i] === undefined);
      await Promise.all(missing.map((taskId) => pruneSubscriptionIndexes(taskId, channelId)));
      return taskIds.filter((_, i) => subscriptions[i] !== undefined);
    }),

    activeTaskIds: operation(async () => {
      const buckets = Array.from({ length: ACTIVE_BUCKET_COUNT }, (_, i) => storeKeys.activeBucket(i));
      const members = await indexes.membersOfMany(buckets);
      return [...members.values()].flat();
    }),

    isActive: operation(isActive),

    setActive: operation(async (taskId: string, active: boolean, owners: ActiveOwners = {}) => {
      const ownersKey = storeKeys.taskOwners(taskId);
      await lock.run(activeLockKey(taskId), async () => {
        if (active) {
          const added = [
            ...(owners.userId !== undefined ? [ownerMember.user(owners.userId)] : []),
            ...(owners.guildId !== undefined ? [ownerMember.guild(owners.guildId)] : []),
          ];
          // Owners first: whatever a crash leaves counted is found and undone by setActive(false),
          // or pruned by the counts, which only count tasks in the active index.
          await Promise.all(added.map((member) => indexes.add(ownersKey, member)));
          await Promise.all(countKeysOf(added).map((countKey) => indexes.add(countKey, taskId)));
          await indexes.add(activeBucketKey(taskId), taskId);
          return;
        }
        await indexes.remove(activeBucketKey(taskId), taskId);
        const counted = await indexes.members(ownersKey);
        await Promise.all(countKeysOf(counted).map((countKey) => indexes.remove(countKey, taskId)));
        await indexes.removeMany(ownersKey, counted);
      });
    }),

    countActiveForUser: operation((userId: string) => countActive(storeKeys.userActive(userId))),
    countActiveForGuild: operation((guildId: string) => countActive(storeKeys.guildActive(guildId))),

    ping: operation(() => backend.ping()),

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...inFlight]);
      await backend.close();
    },
  };
  return store;
}
