import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import type { DmDelivery, SubscriptionRecord, TaskRecord, TrackingStore } from './store/index.js';
import type { DownloadResult, VideoApiClient } from './video-api/client.js';
import type { NotReadyBackoff } from './video-api/content-readiness.js';
import { VideoApiError } from './video-api/errors.js';
import { DEFAULT_NOT_READY_BACKOFF, downloadDue, recordDownload, withVideoFailure } from './video-wait.js';

/**
 * Delivering a finished task to the people who care, exactly once, even across restarts: one download
 * shared by every channel, one result message per subscribed channel (attached, linked or explained),
 * one DM per user who asked. Every step is recorded before and after its side effect, and every message
 * is created with a nonce, so a step redone after a crash returns the first message instead of a second.
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
      /** `not_ready`: the API still had no file when we stopped waiting for it (video-wait.ts). */
      why: 'too_large' | 'download_failed' | 'not_ready';
    }
  | { kind: 'too_large_no_link'; bytes: number | undefined; limitBytes: number }
  | { kind: 'download_failed_no_link' }
  | { kind: 'not_ready_no_link' }
  | { kind: 'expired' }
  /** The task failed (or was blocked): the reason is in the task's snapshot. */
  | { kind: 'failed' }
  /** Tracking ended without a result (not found, deadlines): only DMs say so. */
  | { kind: 'ended' };

export type PostOutcome =
  | { kind: 'posted'; messageId: string }
  /** 413 / 40005: the file was refused; post again with a link. */
  | { kind: 'too_large' }
  | { kind: 'channel_lost' }
  | { kind: 'failed' };

export type DmOutcome =
  { kind: 'sent'; messageId: string } | { kind: 'closed' } | { kind: 'too_large' } | { kind: 'failed' };

/** The Discord side of delivery. */
export interface ResultPublisher {
  /** The most a file may weigh in this subscription's channel. */
  channelUploadLimit(subscription: SubscriptionRecord): number;
  /** The most a file may weigh in a DM. */
  readonly dmUploadLimit: number;
  /** Posts the result in the channel, replying to the progress message and mentioning the requester. */
  postResult(
    subscription: SubscriptionRecord,
    task: TaskRecord,
    content: ResultContent,
    nonce: string,
  ): Promise<PostOutcome>;
  /** DMs one user about the task's end, with a link to the channel's result when there is one. */
  sendDm(
    userId: string,
    locale: string,
    subscription: SubscriptionRecord,
    task: TaskRecord,
    content: ResultContent,
    nonce: string,
  ): Promise<DmOutcome>;
}

export interface DeliveryOptions {
  store: TrackingStore;
  videoApi: VideoApiClient;
  publisher: ResultPublisher;
  clock: Clock;
  logger: Logger;
  /** Where downloads are written (removed after delivery); the OS temp dir by default. */
  downloadDirectory?: string;
  /** How often, and how long, to ask again for a file the API does not have yet (video-wait.ts). */
  notReadyBackoff?: NotReadyBackoff;
}

export interface Delivery {
  /** Delivers an ended task to every active subscription and every user who asked; safe to call again. */
  deliver(task: TaskRecord): Promise<void>;
}

const newNonce = () => randomUUID().replace(/-/g, '').slice(0, 25);

export function createDelivery(options: DeliveryOptions): Delivery {
  const { store, videoApi, publisher, clock, logger } = options;

  /** One download for the whole task, at most as large as the largest place it can be attached. */
  async function download(
    task: TaskRecord,
    maxBytes: number,
  ): Promise<DownloadResult | 'failed' | 'expired'> {
    try {
      return await videoApi.downloadVideo(task.id, {
        maxBytes,
        knownUrl: task.snapshot?.videoUrl,
        expiresAt: task.snapshot?.expiresAt,
        ...(options.downloadDirectory ? { directory: options.downloadDirectory } : {}),
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

  /** What a place with `limit` bytes gets, given the one download. */
  function contentFor(
    task: TaskRecord,
    downloaded: DownloadResult | 'failed' | 'expired' | undefined,
    limit: number,
  ): ResultContent {
    if (task.endReason === 'failed') return { kind: 'failed' };
    if (task.endReason !== 'completed') return { kind: 'ended' };
    const url = task.snapshot?.videoUrl;
    if (downloaded === 'expired')
      return url ? { kind: 'linked', url, bytes: undefined, why: 'download_failed' } : { kind: 'expired' };
    if (downloaded === undefined || downloaded === 'failed') {
      return url
        ? { kind: 'linked', url, bytes: undefined, why: 'download_failed' }
        : { kind: 'download_failed_no_link' };
    }
    const publicUrl = downloaded.publicUrl ?? url;
    if (downloaded.kind === 'not_ready' || downloaded.kind === 'failed') {
      return publicUrl
        ? { kind: 'linked', url: publicUrl, bytes: undefined, why: 'not_ready' }
        : { kind: 'not_ready_no_link' };
    }
    if (downloaded.kind === 'file' && downloaded.bytes <= limit) {
      return {
        kind: 'attached',
        video: { path: downloaded.path, bytes: downloaded.bytes, contentType: downloaded.contentType },
      };
    }
    const bytes = downloaded.bytes;
    return publicUrl
      ? { kind: 'linked', url: publicUrl, bytes, why: 'too_large' }
      : { kind: 'too_large_no_link', bytes, limitBytes: limit };
  }

  /** When a file was refused (413) although it fit our idea of the limit: link it, or explain. */
  function withoutAttachment(task: TaskRecord, content: ResultContent, limit: number): ResultContent {
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

  async function updateSubscription(
    sub: SubscriptionRecord,
    change: (current: SubscriptionRecord) => SubscriptionRecord,
  ): Promise<SubscriptionRecord> {
    const current = (await store.getSubscription(sub.taskId, sub.channelId)) ?? sub;
    const next = change(current);
    await store.putSubscription(next);
    return next;
  }

  async function deliverToChannel(
    sub: SubscriptionRecord,
    task: TaskRecord,
    downloaded: DownloadResult | 'failed' | 'expired' | undefined,
  ): Promise<SubscriptionRecord> {
    const log = logger.child({ taskId: task.id, channelId: sub.channelId, guildId: sub.guildId });
    // The nonce is recorded before the post: a post redone after a crash returns the first message.
    let current = sub.delivery
      ? sub
      : await updateSubscription(sub, (s) => ({ ...s, delivery: { state: 'pending', nonce: newNonce() } }));
    const nonce = current.delivery!.nonce;
    const limit = Math.min(publisher.channelUploadLimit(current), MAX_REQUEST_BYTES);
    let content = contentFor(task, downloaded, limit);
    let outcome = await publisher.postResult(current, task, content, nonce);
    if (outcome.kind === 'too_large') {
      log.info('upload refused as too large; posting the link instead');
      content = withoutAttachment(task, content, limit);
      outcome = await publisher.postResult(current, task, content, nonce);
    }
    if (outcome.kind === 'posted') {
      current = await updateSubscription(current, (s) => ({
        ...s,
        delivery: {
          state: 'posted',
          nonce,
          resultMessageId: outcome.messageId,
          mode: content.kind === 'attached' ? 'attached' : content.kind === 'linked' ? 'linked' : 'explained',
          postedAt: clock.now(),
        },
      }));
      log.info({ mode: current.delivery?.mode }, 'result posted');
    } else if (outcome.kind === 'channel_lost') {
      current = await updateSubscription(current, (s) => ({
        ...s,
        state: 'channel_lost',
        delivery: { state: 'failed', nonce },
      }));
      log.info('channel lost before the result could be posted');
    } else {
      log.warn('result could not be posted; will retry');
    }
    return current;
  }

  /** Everyone who asked for a DM, each once, in the locale we know for them. */
  function dmRecipients(subs: readonly SubscriptionRecord[]): Map<string, SubscriptionRecord> {
    const recipients = new Map<string, SubscriptionRecord>();
    for (const sub of subs)
      for (const userId of sub.notifyUserIds) if (!recipients.has(userId)) recipients.set(userId, sub);
    return recipients;
  }

  async function recordDm(taskId: string, userId: string, dm: DmDelivery): Promise<void> {
    const task = await store.getTask(taskId);
    if (!task) return;
    await store.putTask({
      ...task,
      delivery: { ...task.delivery, dms: { ...task.delivery?.dms, [userId]: dm } },
    });
  }

  return {
    async deliver(endedTask) {
      if (endedTask.endReason === 'untracked') return;
      let task = endedTask;
      if (task.delivery?.finishedAt !== undefined) return;
      if (task.delivery?.startedAt === undefined) {
        task = { ...task, delivery: { ...task.delivery, startedAt: clock.now() } };
        await store.putTask(task);
      }
      const tracking = (await store.subscriptionsOf(task.id)).filter(
        (sub) => sub.state === 'active' && task.channelIds.includes(sub.channelId),
      );
      const subs = tracking.filter((sub) => sub.messageId !== undefined);
      const channelsToPost = subs.filter((sub) => sub.delivery?.state !== 'posted');
      const recipients = dmRecipients(subs);
      const dmsToSend = [...recipients.keys()].filter((userId) => {
        const state = task.delivery?.dms?.[userId]?.state;
        return state !== 'sent' && state !== 'closed';
      });
      const hasResult = task.endReason === 'completed' || task.endReason === 'failed';
      // A channel whose progress message is not posted yet (a crash cut its create short) gets its result
      // once it is: until then delivery is not finished.
      const awaitingMessage = hasResult && tracking.length > subs.length;
      if ((!hasResult || channelsToPost.length === 0) && dmsToSend.length === 0) {
        if (!awaitingMessage) await markFinished(task);
        return;
      }

      let downloaded: DownloadResult | 'failed' | 'expired' | undefined;
      if (task.endReason === 'completed') {
        const limits = [
          ...channelsToPost.map((sub) => publisher.channelUploadLimit(sub)),
          ...(dmsToSend.length > 0 ? [publisher.dmUploadLimit] : []),
        ];
        const maxBytes = Math.min(MAX_REQUEST_BYTES, Math.max(0, ...limits));
        // The API had no file yet at the last try: nothing is posted until the next try is due.
        const previous = task.delivery?.download;
        if (!downloadDue(previous, clock.now())) return;
        downloaded = await download(task, maxBytes);
        const backoff = options.notReadyBackoff ?? DEFAULT_NOT_READY_BACKOFF;
        const record = recordDownload(downloaded, clock.now(), previous, backoff);
        task = { ...task, delivery: { ...task.delivery, download: record } };
        if (typeof downloaded === 'object' && downloaded.kind === 'failed')
          task = withVideoFailure(task, downloaded.reason);
        await store.putTask(task);
        if (record.state === 'waiting') {
          logger.info(
            { taskId: task.id, attempts: record.attempts, retryAt: record.retryAt },
            'the video API has no file for this task yet; trying again later',
          );
          return;
        }
      }

      try {
        const posted = new Map<string, SubscriptionRecord>();
        if (hasResult) {
          // One channel at a time: the file is read into memory for each upload (discord.js buffers it).
          for (const sub of channelsToPost)
            posted.set(sub.channelId, await deliverToChannel(sub, task, downloaded));
        }
        for (const userId of dmsToSend) {
          const sub = recipients.get(userId)!;
          const withResult =
            posted.get(sub.channelId) ?? (await store.getSubscription(sub.taskId, sub.channelId)) ?? sub;
          const locale = userId === sub.requesterId ? sub.requesterLocale : sub.locale;
          const dm = task.delivery?.dms?.[userId] ?? {
            state: 'pending' as const,
            nonce: newNonce(),
            at: clock.now(),
          };
          if (task.delivery?.dms?.[userId] === undefined) await recordDm(task.id, userId, dm);
          let content = contentFor(task, downloaded, publisher.dmUploadLimit);
          let outcome = await publisher.sendDm(userId, locale, withResult, task, content, dm.nonce);
          if (outcome.kind === 'too_large') {
            content = withoutAttachment(task, content, publisher.dmUploadLimit);
            outcome = await publisher.sendDm(userId, locale, withResult, task, content, dm.nonce);
          }
          const log = logger.child({ taskId: task.id, userId });
          if (outcome.kind === 'sent') {
            await recordDm(task.id, userId, {
              ...dm,
              state: 'sent',
              at: clock.now(),
              messageId: outcome.messageId,
            });
            log.info('DM sent');
          } else if (outcome.kind === 'closed') {
            // Recorded and never retried: the user does not accept DMs from the bot.
            await recordDm(task.id, userId, { ...dm, state: 'closed', at: clock.now() });
            log.info('DM not delivered: the user does not accept DMs');
          } else {
            log.warn('DM could not be sent; will retry');
          }
        }
      } finally {
        if (typeof downloaded === 'object' && downloaded.kind === 'file') await downloaded.cleanup();
      }

      const latest = (await store.getTask(task.id)) ?? task;
      const stillPending = (await store.subscriptionsOf(task.id)).some(
        (sub) =>
          hasResult &&
          sub.state === 'active' &&
          latest.channelIds.includes(sub.channelId) &&
          (sub.messageId === undefined || sub.delivery?.state !== 'posted'),
      );
      const dmsPending = dmsToSend.some((userId) => {
        const state = latest.delivery?.dms?.[userId]?.state;
        return state !== 'sent' && state !== 'closed';
      });
      if (!stillPending && !dmsPending) await markFinished(latest);
    },
  };

  async function markFinished(task: TaskRecord): Promise<void> {
    const latest = (await store.getTask(task.id)) ?? task;
    await store.putTask({ ...latest, delivery: { ...latest.delivery, finishedAt: clock.now() } });
  }
}
