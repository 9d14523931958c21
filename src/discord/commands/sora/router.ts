import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import { renderError } from '../../../render/index.js';
import { toEditReply, type SubcommandHandler } from './guild-command.js';

/**
 * `/sora` itself: refuses it outside a guild, defers the reply (privately) and hands it to the handler
 * of its subcommand. A subcommand it does not know (an old registration) gets "something went wrong".
 */
export function createSoraRouter(
  subcommands: ReadonlyMap<string, SubcommandHandler>,
): (interaction: ChatInputCommandInteraction) => Promise<void> {
  return async (interaction) => {
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
    const handler = subcommands.get(interaction.options.getSubcommand(false) ?? '');
    if (handler) return handler(interaction);
    await interaction.editReply(toEditReply(renderError('unexpected', interaction.locale)));
  };
}
