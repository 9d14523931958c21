import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { TaskRecord, TrackingStore } from '../store/index.js';
import type { DownloadResult, VideoApiClient } from '../video-api/client.js';
import { VideoApiError } from '../video-api/errors.js';
import type { NotReadyBackoff } from '../video-api/content-readiness.js';
import { DEFAULT_NOT_READY_BACKOFF, downloadDue, recordDownload, withVideoFailure } from './video-wait.js';

export interface VideoDownloadDeps {
  store: TrackingStore;
  videoApi: VideoApiClient;
  clock: Clock;
  logger: Logger;
  /** Where downloads are written; the OS temp dir by default. */
  downloadDirectory?: string | undefined;
  /** How often, and how long, to ask again for a file the API does not have yet (video-wait.ts). */
  notReadyBackoff?: NotReadyBackoff | undefined;
}

/** The one download as the executor sees it; `waiting` while the API has no file yet. */
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
  // The API had no file yet at the last try: nothing is posted until the next try is due.
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
  if (record.state !== 'waiting') return { kind: 'downloaded', task: recorded, video };
  deps.logger.info(
    { taskId: task.id, attempts: record.attempts, retryAt: record.retryAt },
    'the video API has no file for this task yet; trying again later',
  );
  return { kind: 'waiting', task: recorded };
}

async function download(
  { videoApi, logger, downloadDirectory }: VideoDownloadDeps,
  task: TaskRecord,
  maxBytes: number,
): Promise<DownloadResult | 'failed' | 'expired'> {
  try {
    return await videoApi.downloadVideo(task.id, {
      maxBytes,
      knownUrl: task.snapshot?.videoUrl,
      expiresAt: task.snapshot?.expiresAt,
      ...(downloadDirectory ? { directory: downloadDirectory } : {}),
    });
  } catch (error) {
    const expired = error instanceof VideoApiError && error.kind === 'expired';
    logger.warn(
      { taskId: task.id, err: error },
      expired ? 'video expired before download' : 'video download failed',
    );
    return expired ? 'expired' : 'failed';
  }
}
