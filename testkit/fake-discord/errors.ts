import { ErrorCode } from './constants.js';

/**
 * An answer Discord gives instead of doing what was asked. Thrown anywhere in the fake, turned into
 * `{ message, code, errors? }` with this status by the HTTP layer.
 */
export class DiscordError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    /** The nested `errors` tree of a 50035 "Invalid Form Body". */
    readonly errors?: unknown,
  ) {
    super(message);
    this.name = 'DiscordError';
  }

  toJSON(): Record<string, unknown> {
    return {
      message: this.message,
      code: this.code,
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    };
  }
}

export const Errors = {
  unauthorized: () => new DiscordError(401, ErrorCode.General, '401: Unauthorized'),
  notFound: () => new DiscordError(404, ErrorCode.General, '404: Not Found'),
  unknownChannel: () => new DiscordError(404, ErrorCode.UnknownChannel, 'Unknown Channel'),
  unknownMessage: () => new DiscordError(404, ErrorCode.UnknownMessage, 'Unknown Message'),
  unknownUser: () => new DiscordError(404, ErrorCode.UnknownUser, 'Unknown User'),
  unknownWebhook: () => new DiscordError(404, ErrorCode.UnknownWebhook, 'Unknown Webhook'),
  unknownInteraction: () => new DiscordError(404, ErrorCode.UnknownInteraction, 'Unknown interaction'),
  invalidWebhookToken: () => new DiscordError(401, ErrorCode.InvalidWebhookToken, 'Invalid Webhook Token'),
  alreadyAcknowledged: () =>
    new DiscordError(
      400,
      ErrorCode.InteractionAlreadyAcknowledged,
      'Interaction has already been acknowledged.',
    ),
  missingAccess: () => new DiscordError(403, ErrorCode.MissingAccess, 'Missing Access'),
  missingPermissions: () => new DiscordError(403, ErrorCode.MissingPermissions, 'Missing Permissions'),
  cannotReplyWithoutHistory: () =>
    new DiscordError(
      403,
      ErrorCode.CannotReplyWithoutReadMessageHistory,
      'Cannot reply without permission to read message history',
    ),
  cannotEditOthers: () =>
    new DiscordError(
      403,
      ErrorCode.CannotEditOtherUsersMessage,
      'Cannot edit a message authored by another user',
    ),
  cannotSendToUser: () =>
    new DiscordError(403, ErrorCode.CannotSendMessagesToUser, 'Cannot send messages to this user'),
  noMutualGuilds: () =>
    new DiscordError(
      403,
      ErrorCode.NoMutualGuilds,
      'Cannot send messages to this user due to having no mutual guilds',
    ),
  emptyMessage: () => new DiscordError(400, ErrorCode.CannotSendEmptyMessage, 'Cannot send an empty message'),
  tooManyAttachments: () =>
    new DiscordError(
      400,
      ErrorCode.MaxAttachments,
      'Maximum number of attachments in a message reached (10)',
    ),
  entityTooLarge: () => new DiscordError(413, ErrorCode.RequestEntityTooLarge, 'Request entity too large'),
};
