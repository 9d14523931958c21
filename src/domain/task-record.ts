import type { VideoSnapshot } from './video.js';

/**
 * What the store keeps of a tracked task and of each channel's subscription to it, as the rest of the
 * bot sees it. Records carry a schema version `v` so a later version can migrate them; times are epoch
 * milliseconds (the snapshot keeps its `Date`s). The store validates and writes them (store/records.ts).
 */

export const RECORD_VERSION = 1 as const;

export const END_REASONS = [
  'completed',
  'failed',
  'not_found',
  'unauthorized',
  'idle_timeout',
  'max_age',
  'untracked',
] as const;
export type EndReason = (typeof END_REASONS)[number];

export const SUBSCRIPTION_STATES = ['active', 'stopped', 'message_deleted', 'channel_lost'] as const;
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number];

/** Delivery of the finished video (docs/reliability.md#exactly-once-delivery): task-wide part, so each step happens once. */
export interface TaskDelivery {
  /** Set when delivery begins: after a restart, finish it rather than start over. */
  startedAt?: number | undefined;
  /** The single download shared by every subscribed channel. */
  download?:
    | {
        /**
         * `waiting`: the API has no file yet, or the download failed for a passing reason (`reason:
         * 'transient'`); tried again from `retryAt` (src/delivery/video-wait.ts).
         */
        state: 'done' | 'failed' | 'skipped' | 'waiting';
        at: number;
        bytes?: number | undefined;
        /** Short, user-safe reason when failed or skipped (no upstream bodies). */
        reason?: string | undefined;
        /** While waiting: when the first try failed, how many tries so far, and when to try again. */
        since?: number | undefined;
        attempts?: number | undefined;
        retryAt?: number | undefined;
        /**
         * When done: the downloaded file, kept until every place has it, so a post retried after a
         * Discord failure (or a restart) sends it again without downloading it again (src/delivery/download-dir.ts).
         */
        file?: { path: string; contentType: string; publicUrl?: string | undefined } | undefined;
      }
    | undefined;
  /** One entry per user who asked for a DM, keyed by user id: each gets exactly one. */
  dms?: Record<string, DmDelivery> | undefined;
  finishedAt?: number | undefined;
}

export interface DmDelivery {
  /**
   * `closed`: the user's DMs are closed (50007, 50278) — recorded, never retried. `elsewhere`: another
   * shard claimed this DM and sends it (src/delivery/dm-claims.ts) — nothing is sent from here.
   */
  state: 'pending' | 'sent' | 'closed' | 'failed' | 'elsewhere';
  /** Sent with enforce_nonce so a create retried after a crash returns the first DM. */
  nonce: string;
  at: number;
  messageId?: string | undefined;
}

/** Delivery of the finished video (docs/reliability.md#exactly-once-delivery): the part that belongs to one channel. */
export interface SubscriptionDelivery {
  state: 'pending' | 'posted' | 'failed';
  /** Nonce of the result message, with enforce_nonce, so a retried create returns the first. */
  nonce: string;
  resultMessageId?: string | undefined;
  mode?: 'attached' | 'linked' | 'explained' | undefined;
  postedAt?: number | undefined;
  /** The progress message shows its final state with a link to the result. */
  finalEditDone?: boolean | undefined;
}

export interface TaskRecord {
  v: typeof RECORD_VERSION;
  id: string;
  /** `active` tasks are in the active index and are polled; the store keeps the two in step. */
  state: 'active' | 'ended';
  endReason?: EndReason | undefined;
  /** When the task ended; what retention counts from. Absent in records of earlier versions (see `endedAtOf`). */
  endedAt?: number | undefined;
  /** The last snapshot read from the API. */
  snapshot?: VideoSnapshot | undefined;
  trackedAt: number;
  lastChangeAt: number;
  lastPolledAt?: number | undefined;
  nextPollAt?: number | undefined;
  /** Channels subscribed to this task, kept by the caller (the store keeps its own index too). */
  channelIds: string[];
  delivery?: TaskDelivery | undefined;
  /** Set while the API answers "not found" for a task it knew; any reading clears it (src/tracking/not-found.ts). */
  notFound?: NotFoundStreak | undefined;
}

/** "Not found" answers in a row: when the first came and how many, kept so a restart goes on counting. */
export interface NotFoundStreak {
  since: number;
  count: number;
}

export interface SubscriptionRecord {
  v: typeof RECORD_VERSION;
  taskId: string;
  channelId: string;
  guildId?: string | undefined;
  requesterId: string;
  /** The progress message; undefined until posted. */
  messageId?: string | undefined;
  /** Sent with enforce_nonce so a create retried after a crash returns the first message. */
  nonce: string;
  messageCreatedAt?: number | undefined;
  /** Users to DM when the task ends. */
  notifyUserIds: string[];
  /** Locale of the channel message (the guild's). */
  locale: string;
  requesterLocale: string;
  /** `attachment_size_limit` from the interaction that started tracking. */
  uploadLimitBytes?: number | undefined;
  createdAt: number;
  /** Hash of what people see, to skip edits that would change nothing. */
  lastRenderedHash?: string | undefined;
  state: SubscriptionState;
  stoppedBy?: string | undefined;
  delivery?: SubscriptionDelivery | undefined;
}

/**
 * When a task ended, for retention (docs/configuration.md#retention): its `endedAt`, or for a record
 * written before that field existed, the last time anything happened to it.
 */
export function endedAtOf(task: TaskRecord): number {
  if (task.endedAt !== undefined) return task.endedAt;
  return Math.max(task.lastChangeAt, task.lastPolledAt ?? 0, task.delivery?.finishedAt ?? 0);
}
