import type { Logger } from '../ops/logger.js';
import { messageUrl, renderProgressMessage, visibleHash, type ProgressView } from '../render/index.js';
import type { Clock } from '../scheduling/clock.js';
import type { EditPacer } from './edit-pacer.js';
import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import type { CreateOutcome, ProgressPublisher, PublishOutcome } from '../tracking/tracker.js';
import type { ChannelPermissionsLookup } from './channel-permissions.js';
import { classifyDiscordError, describeDiscordError, missingPostPermission } from './errors.js';
import type { DiscordPort } from './port.js';
import { pacedWrite } from './pacing/paced-write.js';

/** What people see for a subscription, from the records alone. */
export function progressView(sub: SubscriptionRecord, task: TaskRecord): ProgressView {
  const tracking: ProgressView['tracking'] =
    sub.state === 'stopped'
      ? { state: 'ended', reason: 'untracked', stoppedBy: sub.stoppedBy }
      : task.state === 'ended'
        ? { state: 'ended', reason: task.endReason ?? 'untracked' }
        : { state: 'active' };
  return {
    locale: sub.locale,
    taskId: task.id,
    snapshot: task.snapshot,
    requesterId: sub.requesterId,
    trackedAt: task.trackedAt,
    lastUpdateAt: task.lastChangeAt,
    tracking,
    resultUrl:
      sub.delivery?.resultMessageId && sub.guildId
        ? messageUrl(sub.guildId, sub.channelId, sub.delivery.resultMessageId)
        : undefined,
    preparingVideo: task.delivery?.download?.state === 'waiting',
    downloadRetrying:
      task.delivery?.download?.state === 'waiting' && task.delivery.download.reason === 'transient',
  };
}

/**
 * What Discord's refusal of an edit means for the tracker: a deleted message, a lost channel, or a retry
 * (a rate limit also holds the channel back).
 */
function refusedEdit(
  error: unknown,
  sub: SubscriptionRecord,
  deps: { pacer: EditPacer; logger: Logger; canPost: boolean },
): PublishOutcome {
  const failure = classifyDiscordError(error);
  const context = { taskId: sub.taskId, channelId: sub.channelId, guildId: sub.guildId };
  // Refused (50013) although the bot may still post here, e.g. Embed Links newly denied and the cache
  // not yet told: the channel is kept for its result.
  if (missingPostPermission(error) === 'unknown' && deps.canPost) {
    deps.logger.info(context, 'progress message not editable here (a permission is missing)');
    return { kind: 'unchanged' };
  }
  if (failure === 'message_deleted' || failure === 'channel_lost') return { kind: failure };
  if (failure === 'rate_limited') deps.pacer.penalize(sub.channelId, 5_000);
  deps.logger.warn({ ...context, ...describeDiscordError(error) }, 'progress edit failed');
  return { kind: 'failed' };
}

/**
 * Renders a task for one channel and writes it through the edit pacer: unchanged renders are skipped,
 * a newer state replaces one still waiting, and Discord's answers become outcomes for the tracker.
 */
export function createProgressPublisher(options: {
  port: DiscordPort;
  pacer: EditPacer;
  clock: Clock;
  logger: Logger;
  /** The bot's permissions in a channel, from the gateway's cache. */
  channelPermissions?: ChannelPermissionsLookup;
}): ProgressPublisher {
  const { port, pacer, clock, logger } = options;
  // Without Embed Links the progress embed cannot be shown, but the channel still gets its result
  // (a plain message): the subscription stays, and the edit is skipped rather than refused each time.
  const canPost = (channelId: string) => options.channelPermissions?.(channelId)?.post === true;
  const cannotEmbed = (channelId: string) =>
    canPost(channelId) && options.channelPermissions?.(channelId)?.embedLinks === false;

  return {
    async create(sub, task): Promise<CreateOutcome> {
      const payload = renderProgressMessage(progressView(sub, task), clock.now());
      try {
        // Paced like edits: a create counts in the channel's and the global budget (docs/discord-limits.md).
        const message = await pacedWrite(pacer, sub.channelId, `create:${sub.channelId}:${sub.nonce}`, () =>
          port.createMessage(sub.channelId, { ...payload, nonce: sub.nonce, enforce_nonce: true }),
        );
        return {
          kind: 'created',
          messageId: message.id,
          createdAt: message.createdAt,
          hash: visibleHash(payload),
        };
      } catch (error) {
        const failure = classifyDiscordError(error);
        logger.warn(
          {
            taskId: sub.taskId,
            channelId: sub.channelId,
            guildId: sub.guildId,
            ...describeDiscordError(error),
          },
          'could not post the progress message',
        );
        return { kind: failure === 'channel_lost' ? 'channel_lost' : 'failed' };
      }
    },

    update(sub, task, { final }): Promise<PublishOutcome> {
      const messageId = sub.messageId;
      if (messageId === undefined) return Promise.resolve({ kind: 'unchanged' });
      const renderedAt = clock.now();
      const hash = visibleHash(renderProgressMessage(progressView(sub, task), renderedAt));
      if (hash === sub.lastRenderedHash) return Promise.resolve({ kind: 'unchanged' });
      if (cannotEmbed(sub.channelId)) return Promise.resolve({ kind: 'unchanged' });

      const key = `${sub.channelId}:${messageId}`;
      return new Promise<PublishOutcome>((settle) => {
        pacer.submit({
          channelId: sub.channelId,
          key,
          priority: final ? 'ending' : 'progress',
          ...(sub.messageCreatedAt !== undefined ? { targetCreatedAt: sub.messageCreatedAt } : {}),
          // Replaced by a newer state of the same message, or dropped at shutdown (retried after restart).
          dropped: (reason) => settle(reason === 'replaced' ? { kind: 'superseded' } : { kind: 'failed' }),
          run: async () => {
            try {
              // Rendered again rather than kept: thousands of edits may wait when Discord is busy.
              const payload = renderProgressMessage(progressView(sub, task), renderedAt);
              await port.editMessage(sub.channelId, messageId, payload);
              settle({ kind: 'published', hash });
            } catch (error) {
              settle(refusedEdit(error, sub, { pacer, logger, canPost: canPost(sub.channelId) }));
            }
          },
        });
      });
    },
  };
}
