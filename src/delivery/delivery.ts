import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { TaskRecord, TrackingStore } from '../store/index.js';
import type { VideoApiClient } from '../video-api/client.js';
import type { NotReadyBackoff } from '../video-api/content-readiness.js';
import { createFolderSize } from './download-dir.js';
import { executeDelivery, markFinished, markStarted, withoutKeptDownload } from './executor.js';
import type { DmClaims } from './dm-claims.js';
import { planDelivery } from './plan.js';
import type { ResultPublisher } from './result-port.js';

/**
 * Delivering a finished task to the people who care, exactly once, even across restarts: one download
 * shared by every channel, one result message per subscribed channel (attached, linked or explained),
 * one DM per user who asked. What is owed is planned from the records (plan.ts, no I/O); the executor
 * carries the plan out, recording every step before and after its side effect.
 */

export { MAX_REQUEST_BYTES, type DownloadedVideo, type ResultContent, type VideoFacts } from './content.js';
export { soleDmClaims, type DmClaims } from './dm-claims.js';
export type { DmOutcome, PostAllowance, PostOutcome, ResultPublisher, UploadLimits } from './result-port.js';

export interface DeliveryOptions {
  store: TrackingStore;
  videoApi: VideoApiClient;
  publisher: ResultPublisher;
  clock: Clock;
  logger: Logger;
  /** Where downloads are written (removed after delivery); the OS temp dir by default. */
  downloadDirectory?: string;
  /**
   * Keep a download until every place has it (a post retried after a Discord failure sends the same
   * file) while `downloadDirectory` holds at most this many bytes (download-dir.ts); default 0, none kept.
   */
  keepDownloadsMaxBytes?: number;
  /** How often, and how long, to try again for a file the API does not have yet or could not send (video-wait.ts). */
  notReadyBackoff?: NotReadyBackoff;
  /** Which shard sends a DM when several deliver the task; default this one alone (dm-claims.ts). */
  dmClaims?: DmClaims;
}

export interface Delivery {
  /** Delivers an ended task to every active subscription and every user who asked; safe to call again. */
  deliver(task: TaskRecord): Promise<void>;
  /** Lets go of what delivery keeps for a task it will not finish (the downloaded file); safe to call again. */
  abandon?(task: TaskRecord): Promise<void>;
}

export function createDelivery(given: DeliveryOptions): Delivery {
  const { downloadDirectory: directory } = given;
  // One measurer per shard's delivery: concurrent downloads share its scans of the folder.
  const options = { ...given, downloadFolderSize: directory ? createFolderSize(directory) : undefined };
  const { store, publisher } = options;
  const abandon = async (task: TaskRecord) => {
    if (task.delivery?.download?.file === undefined) return;
    await store.putTask(await withoutKeptDownload(options, task));
  };
  return {
    async deliver(endedTask) {
      if (endedTask.endReason === 'untracked' || endedTask.delivery?.finishedAt !== undefined)
        return abandon(endedTask);
      const task = await markStarted(options, endedTask);
      const plan = planDelivery(task, await store.subscriptionsOf(task.id), publisher);
      if (plan.kind === 'finish') await markFinished(options, task);
      else if (plan.kind === 'deliver') await executeDelivery(options, task, plan);
    },
    abandon,
  };
}
