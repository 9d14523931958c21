/** What the rest of the bot may ask of the store; tracking-store.ts builds it from its parts. */
import type { BackendKind } from './backends/index.js';
import type { SubscriptionRecord, TaskRecord } from './records.js';

/** Who a task counts against for the per-user and per-server limits. */
export interface ActiveOwners {
  userId?: string | undefined;
  guildId?: string | undefined;
}

/** What one `pruneEnded` call deleted; `more`: it stopped at its limit, call it again. */
export interface PruneCounts {
  tasks: number;
  subscriptions: number;
  quarantined: number;
  more: boolean;
}

export interface PruneOptions {
  /** The most tasks (and quarantined records) one call deletes or unlists; default 500. */
  limit?: number;
  /** Runs the check and deletion of one task, e.g. under the tracker's lock of that task. */
  guard?: <T>(taskId: string, work: () => Promise<T>) => Promise<T>;
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
  /** Whom an active task counts against (what `setActive` was given), for moving it to another store. */
  activeOwners(taskId: string): Promise<{ userIds: string[]; guildIds: string[] }>;
  /** Active tasks this user started tracking (for the per-user limit). */
  countActiveForUser(userId: string): Promise<number>;
  /** Active tasks tracked in this guild (for the per-guild limit). */
  countActiveForGuild(guildId: string): Promise<number>;

  /**
   * Retention (docs/configuration.md#retention): deletes tasks that ended before `cutoffMs`, are not in
   * the active index and have nothing of their delivery left to finish, with their subscriptions and
   * index entries; and quarantined records moved aside before `cutoffMs`. Bounded by `limit`.
   */
  pruneEnded(cutoffMs: number, options?: PruneOptions): Promise<PruneCounts>;

  /** Rejects with a short reason when the backend does not answer (for /healthz). */
  ping(): Promise<void>;
  /** Lets operations in flight finish, then closes the backend. Later calls reject. */
  close(): Promise<void>;
}
