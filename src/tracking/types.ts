import type { Delivery, DmClaims } from '../delivery/delivery.js';
import type { VideoSnapshot } from '../domain/video.js';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { PollOutcome } from '../scheduling/poll-scheduler.js';
import type { PruneCounts, SubscriptionRecord, TaskRecord, TrackingStore } from '../store/index.js';
import type { VideoApiClient } from '../video-api/client.js';

/**
 * The tracker's types: its options, its ports (the publisher, the poll queue) and what its actions
 * answer. Re-exported by tracker.ts, the path the rest of the app imports.
 */

export type PublishOutcome =
  | { kind: 'published'; hash: string }
  | { kind: 'unchanged' }
  /** A newer state for the same message was written instead. */
  | { kind: 'superseded' }
  | { kind: 'message_deleted' }
  | { kind: 'channel_lost' }
  /** A transient failure (5xx, network): try again with the next change or retry. */
  | { kind: 'failed' };

export type CreateOutcome =
  | { kind: 'created'; messageId: string; createdAt: number; hash: string }
  | { kind: 'channel_lost' }
  | { kind: 'failed' };

/** The port through which the tracker shows a task to people; implemented on the Discord side. */
export interface ProgressPublisher {
  /** Posts the progress message; idempotent through `subscription.nonce`. */
  create(subscription: SubscriptionRecord, task: TaskRecord): Promise<CreateOutcome>;
  /** Brings the progress message up to date with the task; paced and coalesced by the implementation. */
  update(
    subscription: SubscriptionRecord,
    task: TaskRecord,
    options: { final: boolean },
  ): Promise<PublishOutcome>;
}

/** What the tracker needs from the scheduler (kept structural so tests can pass a stub). */
export interface PollQueue {
  schedule(taskId: string, options?: { dueAt?: number }): void;
  unschedule(taskId: string): void;
  /** Polls now (joining a poll in flight); resolves undefined when it could not. */
  pollNow(taskId: string): Promise<PollOutcome | undefined>;
}

/**
 * What the shards share about people (docs/scaling.md#what-is-shared-and-what-is-not): who sends a DM,
 * and how many tasks a user tracks on every shard. Implemented in src/cluster, wired by src/app.
 */
export interface CrossShardLedger extends DmClaims {
  /** Active tasks this user started tracking, on every shard; rejects when it cannot tell. */
  countActiveForUser(userId: string): Promise<number>;
}

export interface TrackerMetrics {
  pollFinished(outcome: 'changed' | 'unchanged' | 'terminal' | 'error', seconds: number): void;
}

export interface TrackerOptions {
  store: TrackingStore;
  videoApi: VideoApiClient;
  publisher: ProgressPublisher;
  clock: Clock;
  logger: Logger;
  limits: {
    maxTasksPerUser: number;
    maxTasksPerGuild: number;
    idleTimeoutMs: number;
    maxAgeMs: number;
    /** Restarted tasks are spread over this window so a restart does not stampede the API. */
    resumeSpreadMs: number;
    /** Shortest gap between two Refresh presses that poll a task. */
    refreshCooldownMs: number;
    /** Delivery that keeps failing (Discord down, video unreachable) is given up after this long. */
    deliveryGiveUpMs: number;
  };
  metrics?: TrackerMetrics;
  random?: () => number;
  /** Delivers the result of an ended task (results, DMs); without it tasks just show their final state. */
  delivery?: Delivery;
  /** Counts a user's tasks for MAX_TASKS_PER_USER on every shard; default the store's (one shard). */
  ledger?: Pick<CrossShardLedger, 'countActiveForUser'>;
  /**
   * When a task restored by resume() is first polled, e.g. just after its relay's next refresh;
   * undefined spreads it over `limits.resumeSpreadMs`.
   */
  firstPollAt?: (task: TaskRecord, now: number) => number | undefined;
}

export interface TrackRequest {
  taskId: string;
  channelId: string;
  guildId: string | undefined;
  requesterId: string;
  /** Locale of the channel message (the guild's), and of the requester. */
  locale: string;
  requesterLocale: string;
  uploadLimitBytes: number | undefined;
  notify: boolean;
}

export type TrackResult =
  | { kind: 'tracked'; subscription: SubscriptionRecord; task: TaskRecord }
  | { kind: 'already_tracked'; subscription: SubscriptionRecord; task: TaskRecord }
  | { kind: 'invalid_id'; reason: string }
  | { kind: 'user_limit'; limit: number }
  | { kind: 'guild_limit'; limit: number }
  | { kind: 'channel_lost' }
  | { kind: 'post_failed' };

export type UntrackResult =
  | { kind: 'untracked'; subscription: SubscriptionRecord }
  | { kind: 'not_tracked' }
  | { kind: 'invalid_id'; reason: string };

export type RefreshResult =
  | { kind: 'refreshed'; outcome: PollOutcome | undefined }
  | { kind: 'too_soon'; retryAt: number }
  | { kind: 'not_tracked' };

export type NotifyResult = { kind: 'on' } | { kind: 'off' } | { kind: 'not_tracked' };

export interface ChannelEntry {
  subscription: SubscriptionRecord;
  task: TaskRecord | undefined;
}

export interface Tracker {
  track(request: TrackRequest): Promise<TrackResult>;
  untrack(taskId: string, channelId: string, byUserId: string): Promise<UntrackResult>;
  /** A one-off reading for `/sora status`; throws VideoApiError. */
  snapshot(
    taskId: string,
  ): Promise<{ kind: 'ok'; snapshot: VideoSnapshot } | { kind: 'invalid_id'; reason: string }>;
  listChannel(channelId: string): Promise<ChannelEntry[]>;
  /** The active subscription of a channel to a task, if any. */
  subscription(taskId: string, channelId: string): Promise<SubscriptionRecord | undefined>;
  /** Polls a task now for a Refresh press, at most once per `refreshCooldownMs`. */
  refresh(taskId: string, channelId: string): Promise<RefreshResult>;
  /** Turns the DM on the task's end on or off for a user (toggles when `on` is omitted). */
  setNotify(taskId: string, channelId: string, userId: string, on?: boolean): Promise<NotifyResult>;
  /**
   * One poll of a task: the scheduler calls it. `apiDone` is called once the poll needs the API no more,
   * so that showing a task's end (which waits for Discord) does not hold up the polls of other tasks.
   */
  poll(taskId: string, signal?: AbortSignal, apiDone?: () => void): Promise<PollOutcome>;
  /** Reloads every active task after a start and puts it back on the schedule. */
  resume(queue: PollQueue): Promise<{ resumed: number; finished: number }>;
  attach(queue: PollQueue): void;
  /** Resolves once every message write started so far has been answered. */
  settled(): Promise<void>;
  /** Drops what is kept in memory of a task that left the schedule (it ended, or nobody follows it). */
  forget(taskId: string): void;
  /** How many entries the tracker keeps in memory (for tests and the soak benchmark). */
  inMemory(): { republish: number; refreshCooldowns: number };
  /**
   * One batch of retention (TrackingStore.pruneEnded): deletes up to `limit` tasks that ended before
   * `cutoffMs`, each under the task's lock so that a task tracked again meanwhile is kept.
   */
  pruneEnded(cutoffMs: number, limit: number): Promise<PruneCounts>;
}
