import type { ChatInputCommandInteraction, InteractionEditReplyOptions } from 'discord.js';
import type { Logger } from '../../../ops/logger.js';
import { renderError, type MessagePayload, type TextPayload } from '../../../render/index.js';
import type { Clock } from '../../../scheduling/clock.js';
import type { Tracker } from '../../../tracking/tracker.js';
import { VideoApiError } from '../../../video-api/errors.js';

/** `/sora` typed in a guild channel; every subcommand handler gets one, already deferred. */
export type GuildCommand = ChatInputCommandInteraction<'cached' | 'raw'>;

/** One subcommand of `/sora`: answers with `editReply` (the reply is deferred and private). */
export type SubcommandHandler = (interaction: GuildCommand) => Promise<void>;

export interface SoraDeps {
  tracker: Tracker;
  clock: Clock;
  logger: Logger;
}

/**
 * An option's text as typed, '' when it is missing. Read without the type check of `getString`: a
 * stale registration (an old definition still deployed) may send it missing or with another type, and
 * the caller then gets "not a valid task id" rather than "something went wrong".
 */
export function textOption(interaction: GuildCommand, name: string): string {
  const value = interaction.options.get(name)?.value;
  return value === undefined || value === null ? '' : String(value).trim();
}

/** A rendered answer as the edit of the deferred reply: nothing else left on it, nobody pinged. */
export function toEditReply(payload: TextPayload | MessagePayload): InteractionEditReplyOptions {
  return {
    content: payload.content ?? '',
    embeds: 'embeds' in payload ? payload.embeds : [],
    components: [],
    allowedMentions: { parse: [] },
  };
}

/** The answer to a video API failure; anything else is not ours to explain and is rethrown. */
export function apiErrorReply(error: unknown, locale: string, taskId: string): TextPayload {
  if (error instanceof VideoApiError) {
    return renderError(error.kind, locale, { taskId, retryAfterMs: error.retryAfterMs });
  }
  throw error;
}
