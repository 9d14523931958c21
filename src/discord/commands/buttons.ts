import { MessageFlags, type ButtonInteraction } from 'discord.js';
import { createTranslator } from '../../i18n/index.js';
import type { Logger } from '../../ops/logger.js';
import { clip, decodeButtonId, refersTo, type ButtonTaskRef } from '../../render/index.js';
import type { Clock } from '../../scheduling/clock.js';
import type { Tracker } from '../../tracking/tracker.js';
import { BUTTON_ACTION_HANDLERS } from './buttons/actions.js';

/**
 * Presses on the progress message's buttons: decode the `custom_id`, call the tracker, tell the presser
 * what happened. Every answer goes to the presser alone (ephemeral) and pings nobody; the channel sees
 * only what the progress message shows.
 */

/** The id of the tracked task a button names in this channel, if it is still tracked there. */
export async function trackedTaskId(
  tracker: Pick<Tracker, 'subscription' | 'listChannel'>,
  ref: ButtonTaskRef,
  channelId: string,
): Promise<string | undefined> {
  if (ref.kind === 'id') return (await tracker.subscription(ref.taskId, channelId)) ? ref.taskId : undefined;
  const entries = await tracker.listChannel(channelId);
  return entries.find((entry) => refersTo(ref, entry.subscription.taskId))?.subscription.taskId;
}

export function createButtonHandler(options: {
  tracker: Tracker;
  clock: Clock;
  logger: Logger;
}): (interaction: ButtonInteraction) => Promise<void> {
  const { tracker, logger } = options;
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

    const { channelId, user } = interaction;
    const taskId = await trackedTaskId(tracker, button.task, channelId);
    const content =
      taskId === undefined
        ? tr('button.notTracked')
        : await BUTTON_ACTION_HANDLERS[button.action](tracker, tr, {
            taskId,
            channelId,
            userId: user.id,
            canManageMessages: () => interaction.memberPermissions?.has('ManageMessages') === true,
          });
    logger.info(
      { action: button.action, taskId, channelId, guildId: interaction.guildId, userId: user.id },
      'button pressed',
    );
    await interaction.editReply({ content, embeds: [], components: [], allowedMentions: { parse: [] } });
  };
}
