import type { AutocompleteInteraction } from 'discord.js';
import type { Tracker } from '../../../tracking/tracker.js';

/** Discord shows at most 25 choices. */
const MAX_CHOICES = 25;

/** The task ids offered for what was typed so far: those containing it, case-insensitively. */
export function taskIdChoices(
  taskIds: readonly string[],
  typed: string,
): Array<{ name: string; value: string }> {
  const needle = typed.toLowerCase();
  return (
    taskIds
      // Choice names and values are at most 100 characters; a longer id must be typed.
      .filter((id) => id.length <= 100 && id.toLowerCase().includes(needle))
      .slice(0, MAX_CHOICES)
      .map((id) => ({ name: id, value: id }))
  );
}

/** Completes the `id` option of `/sora` with the tasks tracked in the channel. */
export function createTaskIdAutocomplete(deps: {
  tracker: Tracker;
}): (interaction: AutocompleteInteraction) => Promise<void> {
  const { tracker } = deps;
  return async (interaction) => {
    if (interaction.commandName !== 'sora' || !interaction.inGuild()) {
      await interaction.respond([]);
      return;
    }
    const typed = String(interaction.options.getFocused());
    const entries = await tracker.listChannel(interaction.channelId);
    await interaction.respond(
      taskIdChoices(
        entries.map((entry) => entry.subscription.taskId),
        typed,
      ),
    );
  };
}
