/**
 * Delivery's side of a video file that the API does not have yet (video-api/content-readiness.ts says
 * what that answer looks like) or that could not be fetched for a passing reason (5xx, timeouts, resets,
 * a cut-off body, after the client's own tries): the download record kept between tries, whether the
 * next try is due, and the task turned into a failure when `/content` says the video failed. The record
 * lives in the task, so a restart goes on waiting where it stopped. Knows nothing of Discord.
 */
import type { TaskDelivery, TaskRecord } from '../store/index.js';
import type { DownloadResult } from '../video-api/client.js';
import {
  NOT_READY_GIVE_UP_MS,
  nextNotReadyStep,
  type NotReadyBackoff,
} from '../video-api/content-readiness.js';

export type DownloadRecord = NonNullable<TaskDelivery['download']>;

/**
 * One download try as delivery sees it: the client's result, or why it threw: `transient` for a failure
 * worth trying again later, `failed` for one that stands (a link that no longer works, a refusal).
 */
export type DownloadOutcome = DownloadResult | 'failed' | 'expired' | 'transient';

/** The bot passes its poll intervals (src/app/tracking.ts); these are the defaults of POLL_INTERVAL_MS and POLL_MAX_INTERVAL_MS. */
export const DEFAULT_NOT_READY_BACKOFF: NotReadyBackoff = {
  firstDelayMs: 10_000,
  maxDelayMs: 60_000,
  giveUpAfterMs: NOT_READY_GIVE_UP_MS,
};

/** False while the task waits for its file and its next try is not due yet. */
export function downloadDue(record: DownloadRecord | undefined, now: number): boolean {
  return record?.state !== 'waiting' || record.retryAt === undefined || now >= record.retryAt;
}

/**
 * What to keep of one try. "No file yet" and a passing failure are `waiting` (with when to try again)
 * until the bound has passed, counted from the first try that did not give the file; then the record
 * is failed, with reason `not_ready` or `failed` as the last try gave, and the channel gets a link or
 * an explanation.
 */
export function recordDownload(
  outcome: DownloadOutcome,
  now: number,
  previous: DownloadRecord | undefined,
  backoff: NotReadyBackoff,
): DownloadRecord {
  if (outcome === 'transient') return waitOrGiveUp(now, previous, backoff, 'transient', 'failed');
  if (typeof outcome === 'string') return { state: 'failed', at: now, reason: outcome };
  switch (outcome.kind) {
    case 'file':
      return { state: 'done', at: now, bytes: outcome.bytes };
    case 'too_large':
      return { state: 'skipped', at: now, ...(outcome.bytes !== undefined ? { bytes: outcome.bytes } : {}) };
    case 'failed':
      return { state: 'failed', at: now, reason: 'video_failed' };
    case 'not_ready':
      return waitOrGiveUp(now, previous, backoff, undefined, 'not_ready');
  }
}

/** Another try of a wait (the first when not waiting yet): ask again with backoff, or give up. */
function waitOrGiveUp(
  now: number,
  previous: DownloadRecord | undefined,
  backoff: NotReadyBackoff,
  waitReason: 'transient' | undefined,
  giveUpReason: 'failed' | 'not_ready',
): DownloadRecord {
  const waited = previous?.state === 'waiting' ? previous : undefined;
  const wait = { since: waited?.since ?? now, attempts: (waited?.attempts ?? 0) + 1 };
  const step = nextNotReadyStep(wait, now, backoff);
  if (step.kind === 'give_up') return { state: 'failed', at: now, reason: giveUpReason, ...wait };
  return {
    state: 'waiting',
    at: now,
    ...wait,
    retryAt: step.at,
    ...(waitReason ? { reason: waitReason } : {}),
  };
}

/** `/content` said the video failed: the task ends as failed, with that reason, wherever it is shown. */
export function withVideoFailure(task: TaskRecord, reason: string): TaskRecord {
  return {
    ...task,
    endReason: 'failed',
    ...(task.snapshot
      ? { snapshot: { ...task.snapshot, status: 'failed', failure: { reason, moderation: false } } }
      : {}),
  };
}
