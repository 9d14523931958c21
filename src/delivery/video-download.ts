import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { TaskRecord, TrackingStore } from '../store/index.js';
import type { DownloadResult, VideoApiClient } from '../video-api/client.js';
import { VideoApiError } from '../video-api/errors.js';
import type { NotReadyBackoff } from '../video-api/content-readiness.js';
import {
  DEFAULT_NOT_READY_BACKOFF,
  downloadDue,
  recordDownload,
  withVideoFailure,
  type DownloadOutcome,
} from './video-wait.js';

export interface VideoDownloadDeps {
  store: TrackingStore;
  videoApi: VideoApiClient;
  clock: Clock;
  logger: Logger;
  /** Where downloads are written; the OS temp dir by default. */
  downloadDirectory?: string | undefined;
  /** How often, and how long, to try again for a file the API does not have yet or could not send (video-wait.ts). */
  notReadyBackoff?: NotReadyBackoff | undefined;
}

/**
 * The one download as the executor sees it; `waiting` while the API has no file yet or the download
 * failed for a passing reason.
 */
export type DownloadStep =
  | { kind: 'waiting'; task: TaskRecord }
  | { kind: 'downloaded'; task: TaskRecord; video: DownloadResult | 'failed' | 'expired' };

/**
 * The one download of a task, shared by every place it goes to, at most `maxBytes` (the largest place
 * it can be attached); what it gave is recorded on the task. A failure is an answer, not a throw: the
 * places get the link or an explanation instead.
 */
export async function downloadForDelivery(
  deps: VideoDownloadDeps,
  task: TaskRecord,
  maxBytes: number,
): Promise<DownloadStep> {
  // The last try gave no file: nothing is posted until the next try is due.
  const previous = task.delivery?.download;
  if (!downloadDue(previous, deps.clock.now())) return { kind: 'waiting', task };
  const video = await download(deps, task, maxBytes);
  const record = recordDownload(
    video,
    deps.clock.now(),
    previous,
    deps.notReadyBackoff ?? DEFAULT_NOT_READY_BACKOFF,
  );
  let recorded: TaskRecord = { ...task, delivery: { ...task.delivery, download: record } };
  if (typeof video === 'object' && video.kind === 'failed')
    recorded = withVideoFailure(recorded, video.reason);
  await deps.store.putTask(recorded);
  if (record.state !== 'waiting')
    return { kind: 'downloaded', task: recorded, video: video === 'transient' ? 'failed' : video };
  deps.logger.info(
    { taskId: task.id, attempts: record.attempts, retryAt: record.retryAt, reason: record.reason },
    record.reason === 'transient'
      ? 'the video could not be downloaded for now; trying again later'
      : 'the video API has no file for this task yet; trying again later',
  );
  return { kind: 'waiting', task: recorded };
}

async function download(
  { videoApi, logger, downloadDirectory }: VideoDownloadDeps,
  task: TaskRecord,
  maxBytes: number,
): Promise<DownloadOutcome> {
  try {
    return await videoApi.downloadVideo(task.id, {
      maxBytes,
      knownUrl: task.snapshot?.videoUrl,
      expiresAt: task.snapshot?.expiresAt,
      ...(downloadDirectory ? { directory: downloadDirectory } : {}),
    });
  } catch (error) {
    const kind = error instanceof VideoApiError ? error.kind : undefined;
    logger.warn(
      { taskId: task.id, err: error },
      kind === 'expired' ? 'video expired before download' : 'video download failed',
    );
    if (kind === 'expired') return 'expired';
    // 5xx, timeouts, resets, a cut-off body (after the client's own tries), 429: worth another try later.
    return kind === 'transient' || kind === 'rate_limited' ? 'transient' : 'failed';
  }
}
