import type { VideoSnapshot } from '../domain/video.js';
import type { EndReason, SubscriptionRecord, TaskRecord } from '../store/index.js';
import type { TrackerOptions } from './types.js';

/**
 * The tracker's decisions that need no I/O: what a reading changes, when a task ends and why, and
 * when an ended task may leave the active index.
 */

type Limits = TrackerOptions['limits'];

const TERMINAL: Record<VideoSnapshot['status'], EndReason | undefined> = {
  completed: 'completed',
  failed: 'failed',
  queued: undefined,
  in_progress: undefined,
};

/** Why a task with this status has ended, or undefined while it runs. */
export function terminalReason(status: VideoSnapshot['status']): EndReason | undefined {
  return TERMINAL[status];
}

/** Fields whose change people would see in the progress message. */
export function visiblyDifferent(before: VideoSnapshot | undefined, after: VideoSnapshot): boolean {
  if (!before) return true;
  return (
    before.status !== after.status ||
    before.rawStatus !== after.rawStatus ||
    Math.floor(before.progress ?? -1) !== Math.floor(after.progress ?? -1) ||
    before.queuePosition !== after.queuePosition ||
    before.estimatedWaitSeconds !== after.estimatedWaitSeconds ||
    before.videoUrl !== after.videoUrl ||
    before.failure?.reason !== after.failure?.reason ||
    before.model !== after.model ||
    before.size !== after.size ||
    before.durationSeconds !== after.durationSeconds ||
    before.prompt !== after.prompt
  );
}

/**
 * Facts about the task itself do not change while it runs, but some relays send them only in some
 * states (the seed relay's completed object has no prompt): keep what an earlier reading told us.
 */
export function withKnownFacts(previous: VideoSnapshot | undefined, next: VideoSnapshot): VideoSnapshot {
  if (!previous) return next;
  return {
    ...next,
    model: next.model ?? previous.model,
    size: next.size ?? previous.size,
    durationSeconds: next.durationSeconds ?? previous.durationSeconds,
    prompt: next.prompt ?? previous.prompt,
    enhancedPrompt: next.enhancedPrompt ?? previous.enhancedPrompt,
    createdAt: next.createdAt ?? previous.createdAt,
  };
}

/** The task after a reading taken at `now` (already merged with known facts), and whether people see a change. */
export function applySnapshot(
  task: TaskRecord,
  snapshot: VideoSnapshot,
  now: number,
): { next: TaskRecord; changed: boolean } {
  const changed = visiblyDifferent(task.snapshot, snapshot);
  // A reading ends any run of "not found" answers (not-found.ts).
  const { notFound: _cleared, ...known } = task;
  return {
    next: { ...known, snapshot, lastPolledAt: now, lastChangeAt: changed ? now : task.lastChangeAt },
    changed,
  };
}

/** A task tracked too long, or showing no change for too long, is given up. */
export function deadlineReason(
  task: TaskRecord,
  now: number,
  limits: Pick<Limits, 'maxAgeMs' | 'idleTimeoutMs'>,
): EndReason | undefined {
  if (now - task.trackedAt >= limits.maxAgeMs) return 'max_age';
  if (now - task.lastChangeAt >= limits.idleTimeoutMs) return 'idle_timeout';
  return undefined;
}

/** Why a task ends after a successful poll: its status first, then its deadlines. */
export function endReasonAfterPoll(
  task: TaskRecord,
  now: number,
  limits: Pick<Limits, 'maxAgeMs' | 'idleTimeoutMs'>,
): EndReason | undefined {
  return (task.snapshot && terminalReason(task.snapshot.status)) ?? deadlineReason(task, now, limits);
}

/**
 * Whether an ended task's result has been delivered: always without a delivery service, and an
 * untracked task has nothing to deliver.
 */
export function isDelivered(task: TaskRecord | undefined, hasDelivery: boolean): boolean {
  return !hasDelivery || task?.delivery?.finishedAt !== undefined || task?.endReason === 'untracked';
}

/** Delivery that has kept failing since it started (or since the last poll) for `giveUpMs` is given up. */
export function deliveryGivenUp(task: TaskRecord, now: number, giveUpMs: number): boolean {
  const startedAt = task.delivery?.startedAt ?? task.lastPolledAt ?? now;
  return now - startedAt >= giveUpMs;
}

/**
 * What becomes of an ended task once delivery and the final edit have been tried: it leaves the
 * active index when both are done, or when delivery is given up; otherwise it is tried again.
 */
export function endingVerdict(outcome: {
  shown: boolean;
  delivered: boolean;
  givenUp: boolean;
}): 'finished' | 'given_up' | 'retry' {
  if (outcome.shown && outcome.delivered) return 'finished';
  return outcome.givenUp ? 'given_up' : 'retry';
}

/** A subscription whose progress message a crash may have left unposted (records written, create cut short). */
export function isUnposted(sub: SubscriptionRecord, task: TaskRecord): boolean {
  return sub.state === 'active' && sub.messageId === undefined && task.channelIds.includes(sub.channelId);
}
