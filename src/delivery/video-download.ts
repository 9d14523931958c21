import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { TaskRecord, TrackingStore } from '../store/index.js';
import type { DownloadResult, VideoApiClient } from '../video-api/client.js';
import { VideoApiError } from '../video-api/errors.js';
import { downloadRecord } from './outcomes.js';

export interface VideoDownloadDeps {
  store: TrackingStore;
  videoApi: VideoApiClient;
  clock: Clock;
  logger: Logger;
  /** Where downloads are written; the OS temp dir by default. */
  downloadDirectory?: string | undefined;
}

/**
 * The one download of a task, shared by every place it goes to, at most `maxBytes` (the largest place
 * it can be attached); what it gave is recorded on the task. A failure is an answer, not a throw: the
 * places get the link or an explanation instead.
 */
export async function downloadForDelivery(
  deps: VideoDownloadDeps,
  task: TaskRecord,
  maxBytes: number,
): Promise<{ task: TaskRecord; video: DownloadResult | 'failed' | 'expired' }> {
  const video = await download(deps, task, maxBytes);
  const recorded: TaskRecord = {
    ...task,
    delivery: { ...task.delivery, download: downloadRecord(video, deps.clock.now()) },
  };
  await deps.store.putTask(recorded);
  return { task: recorded, video };
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
