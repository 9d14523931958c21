import { mkdir } from 'node:fs/promises';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { TaskRecord, TrackingStore } from '../store/index.js';
import type { DownloadResult, VideoApiClient } from '../video-api/client.js';
import { VideoApiError } from '../video-api/errors.js';
import type { NotReadyBackoff } from '../video-api/content-readiness.js';
import {
  isDownloadIn,
  keptDownload,
  mayKeepDownloads,
  removeKeptDownload,
  type FolderSize,
} from './download-dir.js';
import {
  DEFAULT_NOT_READY_BACKOFF,
  downloadDue,
  recordDownload,
  withVideoFailure,
  type DownloadOutcome,
  type DownloadRecord,
} from './video-wait.js';

export interface VideoDownloadDeps {
  store: TrackingStore;
  videoApi: VideoApiClient;
  clock: Clock;
  logger: Logger;
  /** Where downloads are written; the OS temp dir by default. */
  downloadDirectory?: string | undefined;
  /**
   * A download is kept until every place has it while the download directory holds at most this many
   * bytes (download-dir.ts); default 0, none kept. Needs `downloadDirectory`.
   */
  keepDownloadsMaxBytes?: number | undefined;
  /** Measures `downloadDirectory`, shared by the deliveries of a shard (download-dir.ts). */
  downloadFolderSize?: FolderSize | undefined;
  /** How often, and how long, to try again for a file the API does not have yet or could not send (video-wait.ts). */
  notReadyBackoff?: NotReadyBackoff | undefined;
}

/**
 * The one download as the executor sees it; `waiting` while the API has no file yet or the download
 * failed for a passing reason. `kept`: the file stays for a later try (the executor must not delete it).
 */
export type DownloadStep =
  | { kind: 'waiting'; task: TaskRecord }
  | { kind: 'downloaded'; task: TaskRecord; video: DownloadResult | 'failed' | 'expired'; kept: boolean };

/**
 * The one download of a task, shared by every place it goes to, at most `maxBytes` (the largest place
 * it can be attached); what it gave is recorded on the task. A file kept from an earlier try is used
 * again. A failure is an answer, not a throw: the places get the link or an explanation instead.
 */
export async function downloadForDelivery(
  deps: VideoDownloadDeps,
  task: TaskRecord,
  maxBytes: number,
): Promise<DownloadStep> {
  // The last try gave no file: nothing is posted until the next try is due.
  const previous = task.delivery?.download;
  if (!downloadDue(previous, deps.clock.now())) return { kind: 'waiting', task };
  const kept = await keptDownload(deps.downloadDirectory, previous);
  if (kept) {
    deps.logger.debug({ taskId: task.id, bytes: kept.bytes }, 'sending the video downloaded before');
    return { kind: 'downloaded', task, video: kept, kept: true };
  }
  // A kept file that is no longer whole is not sent; it goes, and the video is fetched again.
  await removeKeptDownload(deps.downloadDirectory, previous);
  const video = await download(deps, task, maxBytes);
  const { record, keep } = await recordOf(deps, video, previous);
  let recorded: TaskRecord = { ...task, delivery: { ...task.delivery, download: record } };
  if (typeof video === 'object' && video.kind === 'failed')
    recorded = withVideoFailure(recorded, video.reason);
  await deps.store.putTask(recorded);
  if (record.state !== 'waiting')
    return {
      kind: 'downloaded',
      task: recorded,
      video: video === 'transient' ? 'failed' : video,
      kept: keep,
    };
  deps.logger.info(
    { taskId: task.id, attempts: record.attempts, retryAt: record.retryAt, reason: record.reason },
    record.reason === 'transient'
      ? 'the video could not be downloaded for now; trying again later'
      : 'the video API has no file for this task yet; trying again later',
  );
  return { kind: 'waiting', task: recorded };
}

/** What to record of a try, with the file when it may be kept for later tries. */
async function recordOf(
  deps: VideoDownloadDeps,
  video: DownloadOutcome,
  previous: DownloadRecord | undefined,
): Promise<{ record: DownloadRecord; keep: boolean }> {
  const record = recordDownload(
    video,
    deps.clock.now(),
    previous,
    deps.notReadyBackoff ?? DEFAULT_NOT_READY_BACKOFF,
  );
  const { downloadDirectory: directory, keepDownloadsMaxBytes: maxBytes = 0 } = deps;
  if (typeof video !== 'object' || video.kind !== 'file' || directory === undefined)
    return { record, keep: false };
  // Only a file in the folder is kept: that is where the next try and the sweep look for it.
  if (
    !isDownloadIn(directory, video.path) ||
    !(await mayKeepDownloads(directory, maxBytes, deps.downloadFolderSize))
  )
    return { record, keep: false };
  const file = { path: video.path, contentType: video.contentType, publicUrl: video.publicUrl };
  return { record: { ...record, file }, keep: true };
}

async function download(
  { videoApi, logger, downloadDirectory }: VideoDownloadDeps,
  task: TaskRecord,
  maxBytes: number,
): Promise<DownloadOutcome> {
  try {
    // The folder may have been emptied (a tmp cleaner) since the start.
    if (downloadDirectory) await mkdir(downloadDirectory, { recursive: true });
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
    // 5xx, timeouts, resets, a cut-off body (after the client's own tries), 429, and a refused key (rotated,
    // or a relay's billing: polls wait for it too): worth another try later, within the delivery's window.
    return kind === 'transient' || kind === 'rate_limited' || kind === 'unauthorized'
      ? 'transient'
      : 'failed';
  }
}
