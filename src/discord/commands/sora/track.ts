import type { Logger } from '../../../ops/logger.js';
import {
  messageUrl,
  renderError,
  renderLimitReached,
  renderMissingPermissions,
  renderTrackedReply,
  type TextPayload,
} from '../../../render/index.js';
import type { Tracker, TrackRequest, TrackResult } from '../../../tracking/tracker.js';
import { channelRefusal, lackingOptionalPermissions, missingPermissionsOrAll } from './channel-checks.js';
import {
  apiErrorReply,
  textOption,
  toEditReply,
  type GuildCommand,
  type SubcommandHandler,
} from './guild-command.js';

/** What `/sora track` asks of the tracker: the task, where to post, who asked and in which language. */
export function trackRequest(interaction: GuildCommand, taskId: string): TrackRequest {
  return {
    taskId,
    channelId: interaction.channelId,
    guildId: interaction.guildId,
    requesterId: interaction.user.id,
    locale: interaction.guildLocale ?? interaction.locale,
    requesterLocale: interaction.locale,
    uploadLimitBytes: interaction.attachmentSizeLimit,
    notify: interaction.options.get('notify')?.value === true,
  };
}

/** The caller's answer to each outcome of tracking. */
export function trackReply(result: TrackResult, interaction: GuildCommand, taskId: string): TextPayload {
  const locale = interaction.locale;
  switch (result.kind) {
    case 'tracked':
    case 'already_tracked': {
      const url = messageUrl(interaction.guildId, interaction.channelId, result.subscription.messageId ?? '');
      return renderTrackedReply({
        locale,
        taskId: result.task.id,
        messageUrl: url ?? '',
        alreadyTracked: result.kind === 'already_tracked',
        lacking: lackingOptionalPermissions(interaction),
      });
    }
    case 'invalid_id':
      return renderError('invalid_id', locale, { taskId });
    case 'user_limit':
      return renderLimitReached(locale, 'user', result.limit);
    case 'guild_limit':
      return renderLimitReached(locale, 'guild', result.limit);
    case 'channel_lost':
      return renderMissingPermissions(locale, missingPermissionsOrAll(interaction));
    case 'post_failed':
      return renderError('transient_discord', locale);
  }
}

/** `/sora track id:<task id> [notify]`: posts the progress message in this channel and follows the task. */
export function createTrackHandler(deps: { tracker: Tracker; logger: Logger }): SubcommandHandler {
  const { tracker, logger } = deps;
  return async (interaction) => {
    const taskId = textOption(interaction, 'id');
    const refusal = channelRefusal(interaction);
    if (refusal) {
      await interaction.editReply(toEditReply(refusal));
      return;
    }
    let result: TrackResult;
    try {
      result = await tracker.track(trackRequest(interaction, taskId));
    } catch (error) {
      await interaction.editReply(toEditReply(apiErrorReply(error, interaction.locale, taskId)));
      return;
    }
    await interaction.editReply(toEditReply(trackReply(result, interaction, taskId)));
    if (result.kind === 'tracked' || result.kind === 'already_tracked') {
      const { channelId, guildId } = interaction;
      logger.info(
        { taskId: result.task.id, channelId, guildId, kind: result.kind },
        'track command answered',
      );
    }
  };
}
