import {
  MessageFlags,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
  type RepliableInteraction,
} from 'discord.js';
import { t } from '../i18n/index.js';
import type { Logger } from '../ops/logger.js';
import { classifyDiscordError, describeDiscordError } from './errors.js';

export interface InteractionHandlers {
  chatInput(interaction: ChatInputCommandInteraction): Promise<void>;
  autocomplete(interaction: AutocompleteInteraction): Promise<void>;
  button?(interaction: ButtonInteraction): Promise<void>;
}

/**
 * The one error boundary for interactions: a handler that throws is logged with its context and the
 * user gets a short, safe message instead of "The application did not respond". It never rethrows.
 */
export function createInteractionRouter(options: {
  handlers: InteractionHandlers;
  logger: Logger;
}): (interaction: Interaction) => Promise<void> {
  const { handlers, logger } = options;
  return async (interaction) => {
    const context = {
      interactionId: interaction.id,
      guildId: interaction.guildId ?? undefined,
      channelId: interaction.channelId ?? undefined,
      userId: interaction.user.id,
      ...(interaction.isCommand() || interaction.isAutocomplete()
        ? { command: interaction.commandName }
        : {}),
    };
    try {
      if (interaction.isChatInputCommand()) await handlers.chatInput(interaction);
      else if (interaction.isAutocomplete()) await handlers.autocomplete(interaction);
      else if (interaction.isButton() && handlers.button) await handlers.button(interaction);
    } catch (error) {
      const failure = classifyDiscordError(error);
      if (failure === 'interaction_expired') {
        logger.warn({ ...context, ...describeDiscordError(error) }, 'interaction expired before we answered');
        return;
      }
      logger.error({ ...context, err: error }, 'interaction handler failed');
      if (interaction.isRepliable()) await answerWithError(interaction, logger, context);
    }
  };
}

/** Routes every interaction the client receives while `accepting()`; once the shard stops, none. */
export function listenForInteractions(
  client: Client,
  options: { handlers: InteractionHandlers; logger: Logger; accepting: () => boolean },
): void {
  const route = createInteractionRouter(options);
  client.on('interactionCreate', (interaction) => {
    if (!options.accepting()) return;
    void route(interaction);
  });
}

async function answerWithError(
  interaction: RepliableInteraction,
  logger: Logger,
  context: Record<string, unknown>,
): Promise<void> {
  const content = t(interaction.locale, 'error.unexpected');
  try {
    if (interaction.deferred || interaction.replied) {
      await interaction.editReply({ content, embeds: [], components: [], allowedMentions: { parse: [] } });
    } else {
      await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    }
  } catch (error) {
    logger.warn({ ...context, ...describeDiscordError(error) }, 'could not tell the user about the failure');
  }
}
