import { z } from 'zod';
import {
  END_REASONS,
  RECORD_VERSION,
  SUBSCRIPTION_STATES,
  type SubscriptionRecord,
  type TaskRecord,
} from '../domain/task-record.js';
import type { VideoSnapshot } from '../domain/video.js';

/**
 * How the store writes its records (src/domain/task-record.ts) and checks them: every record is
 * validated when read and before it is written. Snapshot dates are stored as epoch milliseconds and
 * come back as `Date`.
 */

export {
  END_REASONS,
  RECORD_VERSION,
  SUBSCRIPTION_STATES,
  type DmDelivery,
  type EndReason,
  type SubscriptionDelivery,
  type SubscriptionRecord,
  type SubscriptionState,
  type TaskDelivery,
  type TaskRecord,
  endedAtOf,
} from '../domain/task-record.js';

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
  state: z.enum(['pending', 'sent', 'closed', 'failed', 'elsewhere']),
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
      file: z
        .object({ path: nonEmpty, contentType: z.string(), publicUrl: z.string().optional() })
        .optional(),
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
  endedAt: epochMs.optional(),
  snapshot: storedSnapshotSchema.optional(),
  trackedAt: epochMs,
  lastChangeAt: epochMs,
  lastPolledAt: epochMs.optional(),
  nextPollAt: epochMs.optional(),
  channelIds: z.array(nonEmpty),
  delivery: taskDeliverySchema.optional(),
  notFound: z.object({ since: epochMs, count: z.number().int().positive() }).optional(),
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
