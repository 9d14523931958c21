import { MessageFlags, type ButtonInteraction } from 'discord.js';
import { createTranslator, type Translator } from '../../i18n/index.js';
import type { Logger } from '../../ops/logger.js';
import {
  clip,
  decodeButtonId,
  discordTimestamp,
  inlineCode,
  refersTo,
  userMention,
  type ButtonTaskRef,
} from '../../render/index.js';
import type { Clock } from '../../scheduling/clock.js';
import type { Tracker } from '../../tracking/tracker.js';

/**
 * Presses on the progress message's buttons: decode the `custom_id`, call the tracker, tell the presser
 * what happened. Every answer goes to the presser alone (ephemeral) and pings nobody; the channel sees
 * only what the progress message shows.
 */

/** Task ids in answers: enough to recognise. */
const TASK_ID_BUDGET = 200;

export function createButtonHandler(options: {
  tracker: Tracker;
  clock: Clock;
  logger: Logger;
}): (interaction: ButtonInteraction) => Promise<void> {
  const { tracker, logger } = options;

  /** The id of the tracked task a button names in this channel, if it is still tracked there. */
  async function trackedTaskId(ref: ButtonTaskRef, channelId: string): Promise<string | undefined> {
    if (ref.kind === 'id')
      return (await tracker.subscription(ref.taskId, channelId)) ? ref.taskId : undefined;
    const entries = await tracker.listChannel(channelId);
    return entries.find((entry) => refersTo(ref, entry.subscription.taskId))?.subscription.taskId;
  }

  async function refresh(tr: Translator, taskId: string, channelId: string): Promise<string> {
    const result = await tracker.refresh(taskId, channelId);
    switch (result.kind) {
      case 'refreshed':
        // No outcome: the poll failed (API down, rate limited); the schedule keeps trying by itself.
        return tr(result.outcome === undefined ? 'button.refreshFailed' : 'button.refreshed');
      case 'too_soon':
        // Rounded up, so the time shown is never before a press would be accepted.
        return tr('button.refreshTooSoon', {
          time: discordTimestamp(Math.ceil(result.retryAt / 1000) * 1000),
        });
      case 'not_tracked':
        return tr('button.notTracked');
    }
  }

  async function notify(tr: Translator, taskId: string, interaction: ButtonInteraction): Promise<string> {
    const result = await tracker.setNotify(taskId, interaction.channelId, interaction.user.id);
    switch (result.kind) {
      case 'on':
        return tr('button.notifyOn');
      case 'off':
        return tr('button.notifyOff');
      case 'not_tracked':
        return tr('button.notTracked');
    }
  }

  async function stop(tr: Translator, taskId: string, interaction: ButtonInteraction): Promise<string> {
    const { channelId, user } = interaction;
    const subscription = await tracker.subscription(taskId, channelId);
    if (!subscription) return tr('button.notTracked');
    const allowed =
      user.id === subscription.requesterId || interaction.memberPermissions?.has('ManageMessages') === true;
    if (!allowed) return tr('button.stopRefused', { user: userMention(subscription.requesterId) });
    const result = await tracker.untrack(taskId, channelId, user.id);
    if (result.kind !== 'untracked') return tr('button.notTracked');
    return tr('button.stopped', { taskId: inlineCode(taskId, TASK_ID_BUDGET) });
  }

  return async (interaction) => {
    const tr = createTranslator(interaction.locale);
    const button = decodeButtonId(interaction.customId);
    if (button === undefined) {
      // Not ours, or an old format: say so at once, nothing to look up.
      logger.debug({ customId: clip(interaction.customId, 100) }, 'unknown button pressed');
      await interaction.reply({
        content: tr('button.unknown'),
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
      return;
    }
    // Answer within Discord's 3 s first: the work below reads the store and may poll the video API.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });

    const { channelId } = interaction;
    const taskId = await trackedTaskId(button.task, channelId);
    let content: string;
    if (taskId === undefined) {
      content = tr('button.notTracked');
    } else {
      switch (button.action) {
        case 'refresh':
          content = await refresh(tr, taskId, channelId);
          break;
        case 'notify':
          content = await notify(tr, taskId, interaction);
          break;
        case 'stop':
          content = await stop(tr, taskId, interaction);
          break;
      }
    }
    logger.info(
      { action: button.action, taskId, channelId, guildId: interaction.guildId, userId: interaction.user.id },
      'button pressed',
    );
    await interaction.editReply({
      content,
      embeds: [],
      components: [],
      allowedMentions: { parse: [] },
    });
  };
}
