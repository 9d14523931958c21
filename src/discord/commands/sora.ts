import {
  ChannelType,
  MessageFlags,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type InteractionEditReplyOptions,
} from 'discord.js';
import type { InteractionHandlers } from '../interactions.js';
import { createTranslator } from '../../i18n/index.js';
import type { Logger } from '../../ops/logger.js';
import {
  REQUIRED_CHANNEL_PERMISSIONS,
  messageUrl,
  noMentions,
  renderError,
  renderLimitReached,
  renderList,
  renderMissingPermissions,
  renderNotTrackedReply,
  renderStatusReply,
  renderTrackedReply,
  renderUnsupportedChannel,
  renderUntrackedReply,
  userMention,
  type ChannelPermission,
  type MessagePayload,
  type TextPayload,
} from '../../render/index.js';
import type { Clock } from '../../scheduling/clock.js';
import type { Tracker } from '../../tracking/tracker.js';
import { VideoApiError } from '../../video-api/errors.js';

/**
 * Handlers of `/sora`: parse the options, call the tracker, render the answer. Every answer goes only
 * to the caller (ephemeral); the channel sees only the progress message.
 */

type GuildCommand = ChatInputCommandInteraction<'cached' | 'raw'>;

const THREAD_TYPES = new Set([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);
const POSTABLE_TYPES = new Set([ChannelType.GuildText, ChannelType.GuildAnnouncement, ...THREAD_TYPES]);

/** Permissions the bot needs to post and keep editing the progress message (and later the video). */
function missingPermissions(interaction: GuildCommand): ChannelPermission[] {
  const inThread = interaction.channel ? THREAD_TYPES.has(interaction.channel.type) : false;
  const needed = REQUIRED_CHANNEL_PERMISSIONS.filter((permission) =>
    inThread ? permission !== 'SendMessages' : permission !== 'SendMessagesInThreads',
  );
  return needed.filter((permission) => !interaction.appPermissions.has(permission));
}

function toEditReply(payload: TextPayload | MessagePayload): InteractionEditReplyOptions {
  return {
    content: payload.content ?? '',
    embeds: 'embeds' in payload ? payload.embeds : [],
    components: [],
    allowedMentions: { parse: [] },
  };
}

/**
 * An option's text as typed, '' when it is missing. Read without the type check of `getString`: a
 * stale registration (an old definition still deployed) may send it missing or with another type, and
 * the caller then gets "not a valid task id" rather than "something went wrong".
 */
function textOption(interaction: GuildCommand, name: string): string {
  const value = interaction.options.get(name)?.value;
  return value === undefined || value === null ? '' : String(value).trim();
}

function apiErrorReply(error: unknown, locale: string, taskId: string): TextPayload {
  if (error instanceof VideoApiError) {
    return renderError(error.kind, locale, { taskId, retryAfterMs: error.retryAfterMs });
  }
  throw error;
}

export function createSoraHandlers(options: {
  tracker: Tracker;
  clock: Clock;
  logger: Logger;
}): InteractionHandlers {
  const { tracker, clock, logger } = options;

  async function track(interaction: GuildCommand): Promise<void> {
    const locale = interaction.locale;
    const taskId = textOption(interaction, 'id');
    const notify = interaction.options.get('notify')?.value === true;

    const channelType = interaction.channel?.type;
    if (channelType !== undefined && !POSTABLE_TYPES.has(channelType)) {
      await interaction.editReply(toEditReply(renderUnsupportedChannel(locale)));
      return;
    }
    const missing = missingPermissions(interaction);
    if (missing.length > 0) {
      await interaction.editReply(toEditReply(renderMissingPermissions(locale, missing)));
      return;
    }

    let result;
    try {
      result = await tracker.track({
        taskId,
        channelId: interaction.channelId,
        guildId: interaction.guildId,
        requesterId: interaction.user.id,
        locale: interaction.guildLocale ?? locale,
        requesterLocale: locale,
        uploadLimitBytes: interaction.attachmentSizeLimit,
        notify,
      });
    } catch (error) {
      await interaction.editReply(toEditReply(apiErrorReply(error, locale, taskId)));
      return;
    }

    switch (result.kind) {
      case 'tracked':
      case 'already_tracked': {
        const url = messageUrl(
          interaction.guildId,
          interaction.channelId,
          result.subscription.messageId ?? '',
        );
        await interaction.editReply(
          toEditReply(
            renderTrackedReply({
              locale,
              taskId: result.task.id,
              messageUrl: url ?? '',
              alreadyTracked: result.kind === 'already_tracked',
            }),
          ),
        );
        logger.info(
          {
            taskId: result.task.id,
            channelId: interaction.channelId,
            guildId: interaction.guildId,
            kind: result.kind,
          },
          'track command answered',
        );
        return;
      }
      case 'invalid_id':
        await interaction.editReply(toEditReply(renderError('invalid_id', locale, { taskId })));
        return;
      case 'user_limit':
        await interaction.editReply(toEditReply(renderLimitReached(locale, 'user', result.limit)));
        return;
      case 'guild_limit':
        await interaction.editReply(toEditReply(renderLimitReached(locale, 'guild', result.limit)));
        return;
      case 'channel_lost':
        await interaction.editReply(
          toEditReply(renderMissingPermissions(locale, missingPermissionsOrAll(interaction))),
        );
        return;
      case 'post_failed':
        await interaction.editReply(toEditReply(renderError('transient_discord', locale)));
        return;
    }
  }

  /** Discord refused the post although `app_permissions` looked fine: name everything we need. */
  function missingPermissionsOrAll(interaction: GuildCommand): ChannelPermission[] {
    const missing = missingPermissions(interaction);
    return missing.length > 0 ? missing : ['ViewChannel', 'SendMessages', 'EmbedLinks', 'ReadMessageHistory'];
  }

  async function status(interaction: GuildCommand): Promise<void> {
    const locale = interaction.locale;
    const taskId = textOption(interaction, 'id');
    try {
      const result = await tracker.snapshot(taskId);
      if (result.kind === 'invalid_id') {
        await interaction.editReply(toEditReply(renderError('invalid_id', locale, { taskId })));
        return;
      }
      await interaction.editReply(toEditReply(renderStatusReply(result.snapshot, locale, clock.now())));
    } catch (error) {
      await interaction.editReply(toEditReply(apiErrorReply(error, locale, taskId)));
    }
  }

  async function untrack(interaction: GuildCommand): Promise<void> {
    const locale = interaction.locale;
    const taskId = textOption(interaction, 'id');
    // As with the ⏹️ button: only the requester, or someone who may manage messages here, stops it.
    const tracked = await tracker.subscription(taskId, interaction.channelId);
    if (
      tracked &&
      tracked.requesterId !== interaction.user.id &&
      !interaction.memberPermissions.has('ManageMessages')
    ) {
      const tr = createTranslator(locale);
      await interaction.editReply(
        toEditReply({
          content: tr('button.stopRefused', { user: userMention(tracked.requesterId) }),
          allowed_mentions: noMentions(),
        }),
      );
      return;
    }
    const result = await tracker.untrack(taskId, interaction.channelId, interaction.user.id);
    const reply =
      result.kind === 'untracked'
        ? renderUntrackedReply(locale, taskId)
        : result.kind === 'not_tracked'
          ? renderNotTrackedReply(locale, taskId)
          : renderError('invalid_id', locale, { taskId });
    await interaction.editReply(toEditReply(reply));
  }

  async function list(interaction: GuildCommand): Promise<void> {
    const entries = await tracker.listChannel(interaction.channelId);
    const payload = renderList(
      entries.map(({ subscription, task }) => ({
        taskId: subscription.taskId,
        guildId: interaction.guildId,
        channelId: subscription.channelId,
        messageId: subscription.messageId,
        snapshot: task?.snapshot,
        trackedAt: task?.trackedAt ?? subscription.createdAt,
        ended: task?.state === 'ended',
      })),
      interaction.locale,
      clock.now(),
    );
    await interaction.editReply(toEditReply(payload));
  }

  return {
    async chatInput(interaction) {
      if (interaction.commandName !== 'sora') return;
      if (!interaction.inGuild()) {
        await interaction.reply({
          ...renderError('guild_only', interaction.locale),
          flags: MessageFlags.Ephemeral,
        });
        return;
      }
      // Answer within Discord's 3 s at once; the work below may wait on the video API.
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      switch (interaction.options.getSubcommand(false)) {
        case 'track':
          return track(interaction);
        case 'status':
          return status(interaction);
        case 'untrack':
          return untrack(interaction);
        case 'list':
          return list(interaction);
        default:
          await interaction.editReply(toEditReply(renderError('unexpected', interaction.locale)));
      }
    },

    async autocomplete(interaction: AutocompleteInteraction) {
      if (interaction.commandName !== 'sora' || !interaction.inGuild()) {
        await interaction.respond([]);
        return;
      }
      const typed = String(interaction.options.getFocused()).toLowerCase();
      const entries = await tracker.listChannel(interaction.channelId);
      const choices = entries
        .map((entry) => entry.subscription.taskId)
        // Choice names and values are at most 100 characters; a longer id must be typed.
        .filter((id) => id.length <= 100 && id.toLowerCase().includes(typed))
        .slice(0, 25)
        .map((id) => ({ name: id, value: id }));
      await interaction.respond(choices);
    },
  };
}
