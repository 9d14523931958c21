import { readFile } from 'node:fs/promises';
import type { RawFile } from 'discord.js';
import type { Logger } from '../ops/logger.js';
import { messageUrl } from '../render/index.js';
import { renderResultDm, renderResultMessage } from '../render/result.js';
import type { EditPacer } from './edit-pacer.js';
import {
  MAX_REQUEST_BYTES,
  type DmOutcome,
  type PostOutcome,
  type ResultContent,
  type ResultPublisher,
} from '../delivery/delivery.js';
import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import { classifyDiscordError, describeDiscordError } from './errors.js';
import type { DiscordPort } from './port.js';

const MiB = 1024 * 1024;

/**
 * Per-file upload limits by boost tier when the interaction gave none (discord.md §3: 10 MiB default;
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

async function videoFile(taskId: string, content: ResultContent): Promise<RawFile[]> {
  if (content.kind !== 'attached') return [];
  return [
    {
      name: videoFileName(taskId),
      data: await readFile(content.video.path),
      contentType: content.video.contentType.startsWith('video/') ? content.video.contentType : 'video/mp4',
    },
  ];
}

/**
 * Posts results and DMs through the Discord port. Result messages go through the edit pacer as final
 * writes, so they take precedence over progress ticks in a busy channel.
 */
export function createResultPublisher(options: {
  port: DiscordPort;
  pacer: EditPacer;
  logger: Logger;
  /** The boost tier of a guild, from the gateway's cache. */
  guildPremiumTier: (guildId: string) => number | undefined;
}): ResultPublisher {
  const { port, pacer, logger } = options;
  const dmChannels = new Map<string, string>();

  function paced<T>(channelId: string, key: string, write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      pacer.submit({
        channelId,
        key,
        priority: 'final',
        dropped: () => reject(new Error('shutting down')),
        run: () => write().then(resolve, reject),
      });
    });
  }

  return {
    dmUploadLimit: DM_UPLOAD_LIMIT,

    channelUploadLimit(sub) {
      if (sub.uploadLimitBytes !== undefined) return Math.min(sub.uploadLimitBytes, MAX_REQUEST_BYTES);
      return uploadLimitForTier(
        sub.guildId === undefined ? undefined : options.guildPremiumTier(sub.guildId),
      );
    },

    async postResult(sub, task, content, nonce): Promise<PostOutcome> {
      const payload = renderResultMessage({
        locale: sub.locale,
        taskId: task.id,
        requesterId: sub.requesterId,
        snapshot: task.snapshot,
        content,
        progressMessageId: sub.messageId,
      });
      const context = { taskId: task.id, channelId: sub.channelId, guildId: sub.guildId };
      try {
        const files = await videoFile(task.id, content);
        const message = await paced(sub.channelId, `result:${sub.channelId}:${task.id}`, () =>
          port.createMessage(sub.channelId, { ...payload, nonce, enforce_nonce: true }, files),
        );
        return { kind: 'posted', messageId: message.id };
      } catch (error) {
        const failure = classifyDiscordError(error);
        logger.warn({ ...context, ...describeDiscordError(error) }, 'result message not posted');
        if (failure === 'too_large') return { kind: 'too_large' };
        if (failure === 'channel_lost') return { kind: 'channel_lost' };
        return { kind: 'failed' };
      }
    },

    async sendDm(
      userId,
      locale,
      sub: SubscriptionRecord,
      task: TaskRecord,
      content,
      nonce,
    ): Promise<DmOutcome> {
      const resultId = sub.delivery?.resultMessageId;
      const payload = renderResultDm({
        locale,
        taskId: task.id,
        channelId: sub.channelId,
        snapshot: task.snapshot,
        endReason: task.endReason,
        content,
        channelResultUrl:
          resultId && sub.guildId ? messageUrl(sub.guildId, sub.channelId, resultId) : undefined,
      });
      try {
        let channelId = dmChannels.get(userId);
        if (channelId === undefined) {
          channelId = await port.openDm(userId);
          dmChannels.set(userId, channelId);
        }
        const files = await videoFile(task.id, content);
        const message = await port.createMessage(
          channelId,
          { ...payload, nonce, enforce_nonce: true },
          files,
        );
        return { kind: 'sent', messageId: message.id };
      } catch (error) {
        const failure = classifyDiscordError(error);
        logger.info({ taskId: task.id, userId, ...describeDiscordError(error) }, 'DM not sent');
        if (failure === 'dms_closed') return { kind: 'closed' };
        if (failure === 'too_large') return { kind: 'too_large' };
        return { kind: 'failed' };
      }
    },
  };
}
