import { createTranslator } from '../../../i18n/index.js';
import {
  noMentions,
  renderError,
  renderNotTrackedReply,
  renderUntrackedReply,
  userMention,
  type TextPayload,
} from '../../../render/index.js';
import type { Tracker, UntrackResult } from '../../../tracking/tracker.js';
import { textOption, toEditReply, type SubcommandHandler } from './guild-command.js';

export function untrackReply(result: UntrackResult, locale: string, taskId: string): TextPayload {
  switch (result.kind) {
    case 'untracked':
      return renderUntrackedReply(locale, taskId);
    case 'not_tracked':
      return renderNotTrackedReply(locale, taskId);
    case 'invalid_id':
      return renderError('invalid_id', locale, { taskId });
  }
}

/** `/sora untrack id:<task id>`: stops following the task in this channel. */
export function createUntrackHandler(deps: { tracker: Tracker }): SubcommandHandler {
  const { tracker } = deps;
  return async (interaction) => {
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
    await interaction.editReply(toEditReply(untrackReply(result, locale, taskId)));
  };
}
