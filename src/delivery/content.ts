import type { TaskRecord } from '../store/index.js';
import type { DownloadResult } from '../video-api/client.js';

/**
 * What a place gets for a finished task, decided from the task and the one download alone: the file
 * when it fits, the public link when it does not (or could not be fetched), an explanation otherwise.
 */

/** Discord's cap on one request; no attachment can be larger whatever the server's boost. */
export const MAX_REQUEST_BYTES = 25 * 1024 * 1024;

export interface DownloadedVideo {
  path: string;
  bytes: number;
  contentType: string;
}

/** What a channel (or a DM) gets for a finished task. */
export type ResultContent =
  | { kind: 'attached'; video: DownloadedVideo }
  | {
      kind: 'linked';
      url: string;
      bytes: number | undefined;
      /**
       * `not_ready`: the API still had no file when we stopped waiting for it (video-wait.ts);
       * `attach_denied`: the bot may not attach files in the channel (no Attach Files).
       */
      why: 'too_large' | 'download_failed' | 'not_ready' | 'attach_denied';
    }
  | { kind: 'too_large_no_link'; bytes: number | undefined; limitBytes: number }
  /** The bot may not attach files in the channel, and the API gave no public link. */
  | { kind: 'attach_denied_no_link' }
  | { kind: 'download_failed_no_link' }
  | { kind: 'not_ready_no_link' }
  | { kind: 'expired' }
  /** The task failed (or was blocked): the reason is in the task's snapshot. */
  | { kind: 'failed' }
  /** Tracking ended without a result (not found, deadlines): only DMs say so. */
  | { kind: 'ended' };

/** What the one download of a task gave; undefined when there was none (no video to fetch). */
export type VideoFacts = DownloadResult | 'failed' | 'expired' | undefined;

/** What a place that accepts files up to `limit` bytes gets, given the one download. */
export function contentFor(task: TaskRecord, video: VideoFacts, limit: number): ResultContent {
  if (task.endReason === 'failed') return { kind: 'failed' };
  if (task.endReason !== 'completed') return { kind: 'ended' };
  const url = task.snapshot?.videoUrl;
  if (video === 'expired')
    return url ? { kind: 'linked', url, bytes: undefined, why: 'download_failed' } : { kind: 'expired' };
  if (video === undefined || video === 'failed') {
    return url
      ? { kind: 'linked', url, bytes: undefined, why: 'download_failed' }
      : { kind: 'download_failed_no_link' };
  }
  const publicUrl = video.publicUrl ?? url;
  if (video.kind === 'not_ready' || video.kind === 'failed') {
    return publicUrl
      ? { kind: 'linked', url: publicUrl, bytes: undefined, why: 'not_ready' }
      : { kind: 'not_ready_no_link' };
  }
  if (video.kind === 'file' && video.bytes <= limit) {
    return {
      kind: 'attached',
      video: { path: video.path, bytes: video.bytes, contentType: video.contentType },
    };
  }
  const bytes = video.bytes;
  return publicUrl
    ? { kind: 'linked', url: publicUrl, bytes, why: 'too_large' }
    : { kind: 'too_large_no_link', bytes, limitBytes: limit };
}

/** When a file was refused (413) although it fit our idea of the limit: link it, or explain. */
export function withoutAttachment(task: TaskRecord, content: ResultContent, limit: number): ResultContent {
  if (content.kind !== 'attached') return content;
  const url = task.snapshot?.videoUrl;
  return url
    ? { kind: 'linked', url, bytes: content.video.bytes, why: 'too_large' }
    : {
        kind: 'too_large_no_link',
        bytes: content.video.bytes,
        limitBytes: Math.min(limit, content.video.bytes - 1),
      };
}

/** When the channel does not let the bot attach files (no Attach Files): link the video, or explain. */
export function withoutAttachPermission(task: TaskRecord, content: ResultContent): ResultContent {
  if (content.kind !== 'attached') return content;
  const url = task.snapshot?.videoUrl;
  return url
    ? { kind: 'linked', url, bytes: content.video.bytes, why: 'attach_denied' }
    : { kind: 'attach_denied_no_link' };
}

/** How a posted result handed the video over, as recorded on the subscription. */
export function deliveryMode(content: ResultContent): 'attached' | 'linked' | 'explained' {
  return content.kind === 'attached' ? 'attached' : content.kind === 'linked' ? 'linked' : 'explained';
}
