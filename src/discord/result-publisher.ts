import type { RESTPostAPIChannelMessageJSONBody } from 'discord.js';
import type { Logger } from '../ops/logger.js';
import { messageUrl } from '../render/index.js';
import { renderResultDm, renderResultMessage } from '../render/result.js';
import type { EditPacer } from './edit-pacer.js';
import {
  MAX_REQUEST_BYTES,
  type DmOutcome,
  type PostAllowance,
  type PostOutcome,
  type ResultContent,
  type ResultPublisher,
} from '../delivery/delivery.js';
import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import type { BotChannelPermissions, ChannelPermissionsLookup } from './channel-permissions.js';
import { classifyDiscordError, describeDiscordError, missingPostPermission } from './errors.js';
import type { DiscordPort } from './port.js';
import { createDmChannels } from './dm-channels.js';
import { createUploadSlots } from './upload-slots.js';
import { pacedWrite } from './pacing/paced-write.js';
import { findPostedResult, findSentDm } from './posted-lookup.js';

/** How many recent messages a look-up for an earlier post reads: one page. */
const LOOKUP_LIMIT = 50;

const MiB = 1024 * 1024;

/**
 * Per-file upload limits by boost tier when the interaction gave none (docs/discord-limits.md#upload-limits: 10 MiB default;
 * tiers 2 and 3 raise it), never above the 25 MiB request cap.
 */
export function uploadLimitForTier(premiumTier: number | undefined): number {
  const byTier = [10 * MiB, 10 * MiB, 50 * MiB, 100 * MiB];
  return Math.min(byTier[premiumTier ?? 0] ?? 10 * MiB, MAX_REQUEST_BYTES);
}

/** Bots' files in DMs get the default per-file limit. */
export const DM_UPLOAD_LIMIT = 10 * MiB;

/** A file name Discord and players accept, from any task id. */
export function videoFileName(taskId: string): string {
  return `${taskId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80)}.mp4`;
}

/** The result's video as the upload will name it, still on disk; undefined when it is linked. */
function videoFile(taskId: string, content: ResultContent) {
  if (content.kind !== 'attached') return undefined;
  return {
    name: videoFileName(taskId),
    path: content.video.path,
    contentType: content.video.contentType.startsWith('video/') ? content.video.contentType : 'video/mp4',
  };
}

/**
 * The channel's result: a reply to the progress message (a plain message when `reply` is false), created
 * once whatever the retries.
 */
export function resultMessageBody(
  sub: SubscriptionRecord,
  task: TaskRecord,
  content: ResultContent,
  nonce: string,
  reply = true,
): RESTPostAPIChannelMessageJSONBody {
  const payload = renderResultMessage({
    locale: sub.locale,
    taskId: task.id,
    requesterId: sub.requesterId,
    snapshot: task.snapshot,
    content,
    progressMessageId: reply ? sub.messageId : undefined,
  });
  return { ...payload, nonce, enforce_nonce: true };
}

/** The DM, linking the channel's result message when there is one. */
export function resultDmBody(
  locale: string,
  sub: SubscriptionRecord,
  task: TaskRecord,
  content: ResultContent,
  nonce: string,
): RESTPostAPIChannelMessageJSONBody {
  const resultId = sub.delivery?.resultMessageId;
  const payload = renderResultDm({
    locale,
    taskId: task.id,
    channelId: sub.channelId,
    snapshot: task.snapshot,
    endReason: task.endReason,
    content,
    channelResultUrl: resultId && sub.guildId ? messageUrl(sub.guildId, sub.channelId, resultId) : undefined,
  });
  return { ...payload, nonce, enforce_nonce: true };
}

/**
 * What a refused result post means: a file too large, a permission the post lacks (a lesser post may
 * still go through), a channel the bot can no longer see, or a retry.
 */
export function postFailureOutcome(error: unknown): Exclude<PostOutcome, { kind: 'posted' }> {
  const missing = missingPostPermission(error);
  if (missing !== undefined) return { kind: 'forbidden', missing };
  const failure = classifyDiscordError(error);
  if (failure === 'too_large' || failure === 'channel_lost') return { kind: failure };
  return { kind: 'failed' };
}

/**
 * What a result post may carry in a channel, from the bot's known permissions there. Where it seems it
 * cannot post at all, the plainest post is tried once: the cache may be stale.
 */
export function postAllowanceFrom(permissions: BotChannelPermissions | undefined): PostAllowance | undefined {
  if (permissions === undefined) return undefined;
  const { post } = permissions;
  return { attachFiles: post && permissions.attachFiles, reply: post && permissions.readMessageHistory };
}

/** What a refused DM means: the user's DMs closed (never retried), a file too large, or a retry. */
export function dmFailureOutcome(error: unknown): Exclude<DmOutcome, { kind: 'sent' }> {
  const failure = classifyDiscordError(error);
  if (failure === 'dms_closed') return { kind: 'closed' };
  if (failure === 'too_large') return { kind: 'too_large' };
  return { kind: 'failed' };
}

/** A write that waits its turn in the channel with the other final writes, ahead of progress ticks. */
function pacedFinal<T>(
  pacer: EditPacer,
  channelId: string,
  key: string,
  write: () => Promise<T>,
): Promise<T> {
  return pacedWrite(pacer, channelId, key, write, 'final');
}

/**
 * Looks for what an earlier try already posted, among the bot's recent messages: Discord forgets a
 * nonce after a few minutes (docs/discord-limits.md#idempotent-message-creation).
 */
function earlierDeliveries(
  port: DiscordPort,
  pacer: EditPacer,
  logger: Logger,
  dmChannelOf: (userId: string) => Promise<string>,
): Pick<ResultPublisher, 'findPostedResult' | 'findSentDm'> {
  return {
    async findPostedResult(sub, task) {
      const { channelId, messageId } = sub;
      try {
        // The result replies to the progress message, so it comes after it; read in the channel's turn.
        const own = await pacedFinal(
          pacer,
          channelId,
          `lookup:${channelId}:${task.id}`,
          async () => (await port.ownMessages?.(channelId, { after: messageId, limit: LOOKUP_LIMIT })) ?? [],
        );
        return findPostedResult(own, { taskId: task.id, progressMessageId: messageId })?.id;
      } catch (error) {
        const context = { taskId: task.id, channelId, guildId: sub.guildId };
        logger.warn({ ...context, ...describeDiscordError(error) }, 'could not look for an earlier result');
        return undefined;
      }
    },

    async findSentDm(userId, task) {
      try {
        const channelId = await dmChannelOf(userId);
        const own = (await port.ownMessages?.(channelId, { limit: LOOKUP_LIMIT })) ?? [];
        return findSentDm(own, task.id)?.id;
      } catch (error) {
        logger.info(
          { taskId: task.id, userId, ...describeDiscordError(error) },
          'could not look for an earlier DM',
        );
        return undefined;
      }
    },
  };
}

/**
 * Posts results and DMs through the Discord port. Every write (result messages, DM opens and DMs) goes
 * through the edit pacer as a final write: it counts in the global budget and takes precedence over
 * progress ticks in a busy channel.
 */
export function createResultPublisher(options: {
  port: DiscordPort;
  pacer: EditPacer;
  logger: Logger;
  /** The boost tier of a guild, from the gateway's cache. */
  guildPremiumTier: (guildId: string) => number | undefined;
  /** The bot's permissions in a channel, from the gateway's cache. */
  channelPermissions?: ChannelPermissionsLookup;
  /** Uploads at once (default UPLOADS_AT_ONCE). */
  uploadsAtOnce?: number;
}): ResultPublisher {
  const { port, pacer, logger } = options;
  const uploads = createUploadSlots(options.uploadsAtOnce);
  const dmChannels = createDmChannels(port, pacer);
  const dmChannelOf = (userId: string) => dmChannels.channelOf(userId);

  return {
    dmUploadLimit: DM_UPLOAD_LIMIT,
    ...earlierDeliveries(port, pacer, logger, dmChannelOf),

    channelUploadLimit(sub) {
      if (sub.uploadLimitBytes !== undefined) return Math.min(sub.uploadLimitBytes, MAX_REQUEST_BYTES);
      return uploadLimitForTier(
        sub.guildId === undefined ? undefined : options.guildPremiumTier(sub.guildId),
      );
    },

    postAllowance(sub) {
      return postAllowanceFrom(options.channelPermissions?.(sub.channelId));
    },

    async postResult(sub, task, content, nonce, { reply } = { reply: true }): Promise<PostOutcome> {
      const body = resultMessageBody(sub, task, content, nonce, reply);
      try {
        const file = videoFile(task.id, content);
        const message = await pacedFinal(pacer, sub.channelId, `result:${sub.channelId}:${task.id}`, () =>
          uploads.upload(file, (files) => port.createMessage(sub.channelId, body, files)),
        );
        return { kind: 'posted', messageId: message.id };
      } catch (error) {
        const context = { taskId: task.id, channelId: sub.channelId, guildId: sub.guildId };
        logger.warn({ ...context, ...describeDiscordError(error) }, 'result message not posted');
        return postFailureOutcome(error);
      }
    },

    async sendDm(userId, locale, sub, task, content, nonce): Promise<DmOutcome> {
      const body = resultDmBody(locale, sub, task, content, nonce);
      try {
        const channelId = await dmChannelOf(userId);
        const file = videoFile(task.id, content);
        const message = await pacedFinal(pacer, channelId, `dm:${channelId}:${nonce}`, () =>
          uploads.upload(file, (files) => port.createMessage(channelId, body, files)),
        );
        return { kind: 'sent', messageId: message.id };
      } catch (error) {
        logger.info({ taskId: task.id, userId, ...describeDiscordError(error) }, 'DM not sent');
        return dmFailureOutcome(error);
      }
    },
  };
}
