import { renderError, renderStatusReply } from '../../../render/index.js';
import type { Clock } from '../../../scheduling/clock.js';
import type { Tracker } from '../../../tracking/tracker.js';
import { apiErrorReply, textOption, toEditReply, type SubcommandHandler } from './guild-command.js';

/** `/sora status id:<task id>`: one reading of the task, shown to the caller alone; nothing is tracked. */
export function createStatusHandler(deps: { tracker: Tracker; clock: Clock }): SubcommandHandler {
  const { tracker, clock } = deps;
  return async (interaction) => {
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
  };
}
