import { createTranslator, formatDuration, type Translator } from '../i18n/index.js';
import type { VideoApiErrorKind } from '../video-api/errors.js';
import { LIMITS } from './limits.js';
import { noMentions, type TextPayload } from './payload.js';
import { clip, inlineCode } from './text.js';

/** Task ids in replies: enough to recognise, short enough to keep the reply readable. */
const REPLY_TASK_ID_BUDGET = 200;

function reply(content: string): TextPayload {
  return { content: clip(content, LIMITS.content), allowed_mentions: noMentions() };
}

function code(tr: Translator, taskId: string): string {
  return inlineCode(taskId, REPLY_TASK_ID_BUDGET) || tr('value.none');
}

/**
 * Why a lookup of a task failed, as the caller is told: the video API client's error kinds one to one
 * (so `renderError(error.kind, …)` just works, and a new kind there is a compile error here until it
 * has a message); `transient_discord` when Discord failed to take the progress message for a passing
 * reason, `guild_only` outside a server, and `unexpected` for everything else.
 */
export type ErrorKind = VideoApiErrorKind | 'transient_discord' | 'guild_only' | 'unexpected';

/** The same for every kind, so a caller can pass what it has; each message uses what it needs. */
export interface ErrorParams {
  /** The id as the user typed it; shown inert, in code formatting. */
  taskId?: string | undefined;
  /** From the API's `Retry-After`, for `rate_limited`. */
  retryAfterMs?: number | undefined;
}

/** A short, specific message for the caller; never names the key, headers or upstream text. */
export function renderError(kind: ErrorKind, locale: string, params: ErrorParams = {}): TextPayload {
  const tr = createTranslator(locale);
  const taskId = code(tr, params.taskId ?? '');
  switch (kind) {
    case 'invalid_id':
      return reply(tr('error.invalidId', { taskId }));
    case 'not_found':
      return reply(tr('error.notFound', { taskId }));
    case 'bad_request':
      return reply(tr('error.badRequest', { taskId }));
    case 'expired':
      return reply(tr('error.expired', { taskId }));
    case 'unauthorized':
      return reply(tr('error.unauthorized'));
    case 'rate_limited': {
      const wait = params.retryAfterMs;
      return reply(
        wait !== undefined && Number.isFinite(wait) && wait > 0
          ? tr('error.rateLimitedRetry', { retryIn: formatDuration(tr, Math.max(1000, wait)) })
          : tr('error.rateLimited'),
      );
    }
    case 'transient':
      return reply(tr('error.unavailable'));
    case 'transient_discord':
      return reply(tr('error.postFailed'));
    case 'guild_only':
      return reply(tr('error.guildOnly'));
    case 'unexpected':
      return reply(tr('error.unexpected'));
  }
}

/** The caller's confirmation with the link to the progress message (new or the one already there). */
export function renderTrackedReply(input: {
  locale: string;
  taskId: string;
  messageUrl: string;
  alreadyTracked: boolean;
  /** Permissions the bot lacks that change how the result comes, not whether it comes. */
  lacking?: readonly OptionalChannelPermission[];
}): TextPayload {
  const tr = createTranslator(input.locale);
  const params = { taskId: code(tr, input.taskId), messageUrl: input.messageUrl };
  const lines = [tr(input.alreadyTracked ? 'reply.alreadyTracked' : 'reply.tracked', params)];
  if (input.lacking?.includes('AttachFiles')) lines.push(tr('reply.noteNoAttach'));
  if (input.lacking?.includes('ReadMessageHistory')) lines.push(tr('reply.noteNoReply'));
  return reply(lines.join('\n'));
}

export function renderUntrackedReply(locale: string, taskId: string): TextPayload {
  const tr = createTranslator(locale);
  return reply(tr('reply.untracked', { taskId: code(tr, taskId) }));
}

export function renderNotTrackedReply(locale: string, taskId: string): TextPayload {
  const tr = createTranslator(locale);
  return reply(tr('reply.notTracked', { taskId: code(tr, taskId) }));
}

export function renderLimitReached(locale: string, scope: 'user' | 'guild', limit: number): TextPayload {
  const tr = createTranslator(locale);
  return reply(tr(scope === 'user' ? 'reply.limitUser' : 'reply.limitGuild', { limit }));
}

/** Names match discord.js `PermissionsString`, so `appPermissions.missing([...])` can be passed as is. */
export const REQUIRED_CHANNEL_PERMISSIONS = [
  'ViewChannel',
  'SendMessages',
  'SendMessagesInThreads',
  'EmbedLinks',
  'AttachFiles',
  'ReadMessageHistory',
] as const;
export type ChannelPermission = (typeof REQUIRED_CHANNEL_PERMISSIONS)[number];

/**
 * Without these the bot still tracks: the video comes as a link (no Attach Files), the result as a plain
 * message instead of a reply (no Read Message History). The person is told so when tracking starts.
 */
export const OPTIONAL_CHANNEL_PERMISSIONS = ['AttachFiles', 'ReadMessageHistory'] as const;
export type OptionalChannelPermission = (typeof OPTIONAL_CHANNEL_PERMISSIONS)[number];

/** Which permissions the bot lacks in the channel, named as Discord's settings name them. */
export function renderMissingPermissions(locale: string, missing: readonly ChannelPermission[]): TextPayload {
  const tr = createTranslator(locale);
  const names = [...new Set(missing)].map((permission) => tr(`permission.${permission}`));
  return reply(tr('reply.missingPermissions', { permissions: names.join(tr('list.separator')) }));
}

export function renderUnsupportedChannel(locale: string): TextPayload {
  return reply(createTranslator(locale)('reply.unsupportedChannel'));
}
