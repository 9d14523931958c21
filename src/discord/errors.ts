import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';

/**
 * What a failed Discord request means for us. Known error codes are outcomes to act on, not crashes
 * (docs/discord-limits.md#error-codes): a deleted message stops updates, a lost channel drops the subscription, and so on.
 */
export type DiscordFailure =
  /** 10008: the message was deleted. */
  | 'message_deleted'
  /** 10003 unknown channel, 50001 missing access, 50013 missing permissions. */
  | 'channel_lost'
  /** 50007 / 50278: the user does not accept DMs from the bot. */
  | 'dms_closed'
  /** 413 / 40005: the upload is over the limit. */
  | 'too_large'
  /** 429, including 30046 (edits of messages older than an hour). */
  | 'rate_limited'
  /** 10062 unknown interaction, 50027 invalid webhook token: the interaction can no longer be answered. */
  | 'interaction_expired'
  /** 5xx, network errors and timeouts: worth another try later. */
  | 'transient'
  | 'other';

export const DiscordErrorCode = {
  UnknownChannel: 10003,
  UnknownMessage: 10008,
  UnknownInteraction: 10062,
  MaximumEditsToOldMessages: 30046,
  RequestEntityTooLarge: 40005,
  MissingAccess: 50001,
  CannotSendMessagesToThisUser: 50007,
  MissingPermissions: 50013,
  InvalidWebhookToken: 50027,
  NoMutualGuilds: 50278,
  CannotReplyWithoutReadMessageHistory: 160002,
} as const;

export function classifyDiscordError(error: unknown): DiscordFailure {
  if (error instanceof RateLimitError) return 'rate_limited';
  if (error instanceof DiscordAPIError) {
    switch (error.code) {
      case DiscordErrorCode.UnknownMessage:
        return 'message_deleted';
      case DiscordErrorCode.UnknownChannel:
      case DiscordErrorCode.MissingAccess:
      case DiscordErrorCode.MissingPermissions:
        return 'channel_lost';
      case DiscordErrorCode.CannotSendMessagesToThisUser:
      case DiscordErrorCode.NoMutualGuilds:
        return 'dms_closed';
      case DiscordErrorCode.RequestEntityTooLarge:
        return 'too_large';
      case DiscordErrorCode.MaximumEditsToOldMessages:
        return 'rate_limited';
      case DiscordErrorCode.UnknownInteraction:
      case DiscordErrorCode.InvalidWebhookToken:
        return 'interaction_expired';
    }
    if (error.status === 413) return 'too_large';
    if (error.status === 429) return 'rate_limited';
    if (error.status >= 500) return 'transient';
    return 'other';
  }
  if (error instanceof HTTPError) return error.status === 413 ? 'too_large' : 'transient';
  if (error instanceof Error) {
    // undici / AbortController failures surface as plain errors with a code or an abort name.
    const code = (error as { code?: unknown }).code;
    if (error.name === 'AbortError' || error.name === 'TimeoutError') return 'transient';
    if (typeof code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code))
      return 'transient';
    if (/fetch failed|socket|network|ECONNRE/i.test(error.message)) return 'transient';
  }
  return 'other';
}

/**
 * Which permission a refused post lacked, when that is all that stands in its way: `reply` for 160002
 * (Read Message History, to reply), `unknown` for 50013 (Discord does not say which: Attach Files,
 * Embed Links, Read Message History for a reply, or Send Messages itself). Undefined for anything else.
 */
export function missingPostPermission(error: unknown): 'reply' | 'unknown' | undefined {
  if (!(error instanceof DiscordAPIError)) return undefined;
  if (error.code === DiscordErrorCode.CannotReplyWithoutReadMessageHistory) return 'reply';
  return error.code === DiscordErrorCode.MissingPermissions ? 'unknown' : undefined;
}

/** A short, safe description for logs: status and code only, never the request body or headers. */
export function describeDiscordError(error: unknown): Record<string, unknown> {
  if (error instanceof DiscordAPIError) {
    return { status: error.status, code: error.code, method: error.method, route: safeRoute(error.url) };
  }
  if (error instanceof HTTPError) return { status: error.status, method: error.method };
  if (error instanceof Error) return { error: error.name, message: error.message };
  return { error: String(error) };
}

/** A request URL with interaction tokens and query strings removed (tokens answer for the user). */
export function safeRoute(url: string): string {
  return url
    .replace(/\?.*$/, '')
    .replace(/^https?:\/\/[^/]+/, '')
    .replace(/\/(webhooks|interactions)\/(\d+)\/[^/]+/, '/$1/$2/:token');
}
