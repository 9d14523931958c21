import { z } from 'zod';
import type { VideoSnapshot } from '../video-api/types.js';

/**
 * What the store keeps, as callers see it, and how it is written. Records carry a schema version `v`
 * so a later version can migrate them; dates are epoch milliseconds, and snapshot dates are stored
 * as such and come back as `Date`. Every record is validated when read and before it is written.
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

/** Delivery of the finished video (issue 5): task-wide part, so each step happens once. */
export interface TaskDelivery {
  /** Set when delivery begins: after a restart, finish it rather than start over. */
  startedAt?: number | undefined;
  /** The single download shared by every subscribed channel. */
  download?:
    | {
        /** `waiting`: the API has no file yet; tried again from `retryAt` (src/services/video-wait.ts). */
        state: 'done' | 'failed' | 'skipped' | 'waiting';
        at: number;
        bytes?: number | undefined;
        /** Short, user-safe reason when failed or skipped (no upstream bodies). */
        reason?: string | undefined;
        /** While waiting: when the API first said "no file yet", how often, and when to ask again. */
        since?: number | undefined;
        attempts?: number | undefined;
        retryAt?: number | undefined;
      }
    | undefined;
  /** One entry per user who asked for a DM, keyed by user id: each gets exactly one. */
  dms?: Record<string, DmDelivery> | undefined;
  finishedAt?: number | undefined;
}

export interface DmDelivery {
  /** `closed`: the user's DMs are closed (50007, 50278) — recorded, never retried. */
  state: 'pending' | 'sent' | 'closed' | 'failed';
  /** Sent with enforce_nonce so a create retried after a crash returns the first DM. */
  nonce: string;
  at: number;
  messageId?: string | undefined;
}

/** Delivery of the finished video (issue 5): the part that belongs to one channel. */
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
  /** The last snapshot read from the API. */
  snapshot?: VideoSnapshot | undefined;
  trackedAt: number;
  lastChangeAt: number;
  lastPolledAt?: number | undefined;
  nextPollAt?: number | undefined;
  /** Channels subscribed to this task, kept by the caller (the store keeps its own index too). */
  channelIds: string[];
  delivery?: TaskDelivery | undefined;
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

// ---- stored shapes ----

const epochMs = z.number().int();
const nonEmpty = z.string().min(1);

interface StoredSnapshot extends Omit<
  VideoSnapshot,
  'createdAt' | 'completedAt' | 'expiresAt' | 'statusUpdatedAt'
> {
  createdAt: number | undefined;
  completedAt: number | undefined;
  expiresAt: number | undefined;
  statusUpdatedAt: number | undefined;
}

// Optional keys: JSON drops undefined values, so an absent fact is an absent key once stored.
const storedSnapshotSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  rawStatus: z.string(),
  progress: z.number().optional(),
  videoUrl: z.string().optional(),
  failure: z.object({ reason: z.string(), moderation: z.boolean() }).optional(),
  model: z.string().optional(),
  size: z.string().optional(),
  durationSeconds: z.number().optional(),
  prompt: z.string().optional(),
  enhancedPrompt: z.string().optional(),
  createdAt: epochMs.optional(),
  completedAt: epochMs.optional(),
  expiresAt: epochMs.optional(),
  statusUpdatedAt: epochMs.optional(),
  queuePosition: z.number().optional(),
  estimatedWaitSeconds: z.number().optional(),
});

const dmDeliverySchema = z.object({
  state: z.enum(['pending', 'sent', 'closed', 'failed']),
  nonce: nonEmpty,
  at: epochMs,
  messageId: z.string().optional(),
});

const taskDeliverySchema = z.object({
  startedAt: epochMs.optional(),
  download: z
    .object({
      state: z.enum(['done', 'failed', 'skipped', 'waiting']),
      at: epochMs,
      bytes: z.number().int().nonnegative().optional(),
      reason: z.string().optional(),
      since: epochMs.optional(),
      attempts: z.number().int().positive().optional(),
      retryAt: epochMs.optional(),
    })
    .optional(),
  dms: z.record(z.string(), dmDeliverySchema).optional(),
  finishedAt: epochMs.optional(),
});

const subscriptionDeliverySchema = z.object({
  state: z.enum(['pending', 'posted', 'failed']),
  nonce: nonEmpty,
  resultMessageId: z.string().optional(),
  mode: z.enum(['attached', 'linked', 'explained']).optional(),
  postedAt: epochMs.optional(),
  finalEditDone: z.boolean().optional(),
});

type StoredTask = Omit<TaskRecord, 'snapshot'> & {
  snapshot?: (Partial<StoredSnapshot> & Pick<StoredSnapshot, 'id' | 'status' | 'rawStatus'>) | undefined;
};

// The annotations make the compiler check that each schema reads back exactly the public shape.
export const storedTaskSchema: z.ZodType<StoredTask> = z.object({
  v: z.literal(RECORD_VERSION),
  id: nonEmpty,
  state: z.enum(['active', 'ended']),
  endReason: z.enum(END_REASONS).optional(),
  snapshot: storedSnapshotSchema.optional(),
  trackedAt: epochMs,
  lastChangeAt: epochMs,
  lastPolledAt: epochMs.optional(),
  nextPollAt: epochMs.optional(),
  channelIds: z.array(nonEmpty),
  delivery: taskDeliverySchema.optional(),
});

export const storedSubscriptionSchema: z.ZodType<SubscriptionRecord> = z.object({
  v: z.literal(RECORD_VERSION),
  taskId: nonEmpty,
  channelId: nonEmpty,
  guildId: nonEmpty.optional(),
  requesterId: nonEmpty,
  messageId: nonEmpty.optional(),
  // Discord caps nonces at 25 characters.
  nonce: nonEmpty.max(25),
  messageCreatedAt: epochMs.optional(),
  notifyUserIds: z.array(nonEmpty),
  locale: nonEmpty,
  requesterLocale: nonEmpty,
  uploadLimitBytes: z.number().int().positive().optional(),
  createdAt: epochMs,
  lastRenderedHash: z.string().optional(),
  state: z.enum(SUBSCRIPTION_STATES),
  stoppedBy: nonEmpty.optional(),
  delivery: subscriptionDeliverySchema.optional(),
});

/** An index: a set of member strings. */
export const storedIndexSchema = z.object({
  v: z.literal(RECORD_VERSION),
  members: z.array(z.string()),
});

// ---- conversions ----

const time = (date: Date | undefined) => date?.getTime();
const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

export function taskToStored(task: TaskRecord): unknown {
  const { snapshot, ...rest } = task;
  return {
    ...rest,
    snapshot: snapshot && {
      ...snapshot,
      createdAt: time(snapshot.createdAt),
      completedAt: time(snapshot.completedAt),
      expiresAt: time(snapshot.expiresAt),
      statusUpdatedAt: time(snapshot.statusUpdatedAt),
    },
  };
}

export function taskFromStored(stored: StoredTask): TaskRecord {
  const { snapshot, ...rest } = stored;
  if (!snapshot) return rest;
  // Every VideoSnapshot key is present, as the type promises, even when its value is absent.
  const revived: VideoSnapshot = {
    id: snapshot.id,
    status: snapshot.status,
    rawStatus: snapshot.rawStatus,
    progress: snapshot.progress,
    videoUrl: snapshot.videoUrl,
    failure: snapshot.failure,
    model: snapshot.model,
    size: snapshot.size,
    durationSeconds: snapshot.durationSeconds,
    prompt: snapshot.prompt,
    enhancedPrompt: snapshot.enhancedPrompt,
    createdAt: date(snapshot.createdAt),
    completedAt: date(snapshot.completedAt),
    expiresAt: date(snapshot.expiresAt),
    statusUpdatedAt: date(snapshot.statusUpdatedAt),
    queuePosition: snapshot.queuePosition,
    estimatedWaitSeconds: snapshot.estimatedWaitSeconds,
  };
  return { ...rest, snapshot: revived };
}
