/**
 * Delivery's side of a video file that the API does not have yet (video-api/content-readiness.ts says
 * what that answer looks like): the download record kept between tries, whether the next try is due,
 * and the task turned into a failure when `/content` says the video failed. The record lives in the
 * task, so a restart goes on waiting where it stopped. Knows nothing of Discord.
 */
import type { TaskDelivery, TaskRecord } from '../store/index.js';
import type { DownloadResult } from '../video-api/client.js';
import {
  NOT_READY_GIVE_UP_MS,
  nextNotReadyStep,
  type NotReadyBackoff,
} from '../video-api/content-readiness.js';

export type DownloadRecord = NonNullable<TaskDelivery['download']>;

/** One download try as delivery sees it: the client's result, or why it threw. */
export type DownloadOutcome = DownloadResult | 'failed' | 'expired';

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
 * What to keep of one try. "No file yet" is `waiting` (with when to ask again) until the bound has
 * passed; then it is kept as failed with reason `not_ready`, and the channel gets a link or an
 * explanation.
 */
export function recordDownload(
  outcome: DownloadOutcome,
  now: number,
  previous: DownloadRecord | undefined,
  backoff: NotReadyBackoff,
): DownloadRecord {
  if (typeof outcome === 'string') return { state: 'failed', at: now, reason: outcome };
  switch (outcome.kind) {
    case 'file':
      return { state: 'done', at: now, bytes: outcome.bytes };
    case 'too_large':
      return { state: 'skipped', at: now, ...(outcome.bytes !== undefined ? { bytes: outcome.bytes } : {}) };
    case 'failed':
      return { state: 'failed', at: now, reason: 'video_failed' };
    case 'not_ready': {
      const waited = previous?.state === 'waiting' ? previous : undefined;
      const wait = { since: waited?.since ?? now, attempts: (waited?.attempts ?? 0) + 1 };
      const step = nextNotReadyStep(wait, now, backoff);
      return step.kind === 'retry'
        ? { state: 'waiting', at: now, ...wait, retryAt: step.at }
        : { state: 'failed', at: now, reason: 'not_ready', ...wait };
    }
  }
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
