import type { APIAllowedMentions, APIEmbed, APIMessageTopLevelComponent } from 'discord.js';

/**
 * A message body in Discord's API shape, ready for `POST /channels/{id}/messages`, a `PATCH` of it, or an
 * interaction reply. `allowed_mentions` is always present: user text never pings anyone, and an edit
 * without it would be parsed with Discord's defaults (docs/discord-limits.md#allowed-mentions).
 */
export interface MessagePayload {
  content?: string;
  embeds: APIEmbed[];
  components: APIMessageTopLevelComponent[];
  allowed_mentions: APIAllowedMentions;
}

/** A plain-text reply (ephemeral answers to the caller). */
export interface TextPayload {
  content: string;
  allowed_mentions: APIAllowedMentions;
}

/** A fresh object each time, so no caller can alter another's. */
export function noMentions(): APIAllowedMentions {
  return { parse: [] };
}
