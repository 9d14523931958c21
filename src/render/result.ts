import type { APIAllowedMentions, RESTAPIMessageReference } from 'discord.js';
import { createTranslator, type Translator } from '../i18n/index.js';
import type { ResultContent } from '../delivery/delivery.js';
import type { VideoSnapshot } from '../domain/video.js';
import { LIMITS } from './limits.js';
import { noMentions } from './payload.js';
import { clip, discordTimestamp, escapeUntrusted, inlineCode, userMention } from './text.js';

/** The result message and the DM: plain text, so the attached MP4 shows as the message's player. */
export interface ResultPayload {
  content: string;
  allowed_mentions: APIAllowedMentions;
  message_reference?: RESTAPIMessageReference;
}

const TASK_ID_BUDGET = 120;
const REASON_BUDGET = 500;

/** Bytes as people read them: `812 KB`, `23.4 MB` (binary units, as Discord's limits are). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function failureReason(tr: Translator, snapshot: VideoSnapshot | undefined): string {
  return escapeUntrusted(snapshot?.failure?.reason ?? tr('value.none'), REASON_BUDGET);
}

function expiry(tr: Translator, snapshot: VideoSnapshot | undefined): string {
  const expiresAt = snapshot?.expiresAt?.getTime();
  return expiresAt === undefined ? '' : tr('result.expiry', { time: discordTimestamp(expiresAt) });
}

/** Masked links break on `)` and whitespace; such a URL is shown bare inside angle brackets instead. */
function linkTarget(url: string): string {
  return /[\s()<>]/.test(url) ? encodeURI(url) : url;
}

/**
 * The message that answers the progress message when the task ends: it mentions the requester (and only
 * them, through `allowed_mentions`) so they are notified, and says plainly what happened to the video.
 */
export function renderResultMessage(input: {
  locale: string;
  taskId: string;
  requesterId: string;
  snapshot: VideoSnapshot | undefined;
  content: ResultContent;
  progressMessageId: string | undefined;
}): ResultPayload {
  const tr = createTranslator(input.locale);
  const params = {
    mention: userMention(input.requesterId),
    taskId: inlineCode(input.taskId, TASK_ID_BUDGET),
  };
  const text = resultText(tr, params, input.snapshot, input.content);
  return {
    content: clip(text, LIMITS.content),
    allowed_mentions: { parse: [], users: [input.requesterId] },
    ...(input.progressMessageId
      ? {
          // A reply to the progress message; posted all the same if that message was deleted.
          message_reference: { message_id: input.progressMessageId, fail_if_not_exists: false },
        }
      : {}),
  };
}

const LINKED_TEXT = {
  too_large: 'result.linked',
  download_failed: 'result.linkedAfterFailure',
  not_ready: 'result.linkedNotReady',
  attach_denied: 'result.linkedAttachDenied',
} as const;

function resultText(
  tr: Translator,
  params: { mention: string; taskId: string },
  snapshot: VideoSnapshot | undefined,
  content: ResultContent,
): string {
  const size = (bytes: number | undefined) =>
    bytes === undefined ? tr('result.sizeUnknown') : formatBytes(bytes);
  switch (content.kind) {
    case 'attached':
      return tr('result.attached', { ...params, size: formatBytes(content.video.bytes) });
    case 'linked':
      return tr(LINKED_TEXT[content.why], {
        ...params,
        size: size(content.bytes),
        url: linkTarget(content.url),
        expiry: expiry(tr, snapshot),
      });
    case 'too_large_no_link':
      return tr('result.tooLargeNoLink', {
        ...params,
        size: size(content.bytes),
        limit: formatBytes(content.limitBytes),
      });
    case 'download_failed_no_link':
      return tr('result.downloadFailedNoLink', params);
    case 'attach_denied_no_link':
      return tr('result.attachDeniedNoLink', params);
    case 'not_ready_no_link':
      return tr('result.notReadyNoLink', params);
    case 'expired':
      return tr('result.expired', params);
    case 'failed':
    case 'ended':
      return tr(snapshot?.failure?.moderation ? 'result.moderation' : 'result.failed', {
        ...params,
        reason: failureReason(tr, snapshot),
      });
  }
}

/** The DM to a user who asked to be told: what happened, the video or its link, and the channel's result. */
export function renderResultDm(input: {
  locale: string;
  taskId: string;
  channelId: string;
  snapshot: VideoSnapshot | undefined;
  endReason: string | undefined;
  content: ResultContent;
  channelResultUrl: string | undefined;
}): ResultPayload {
  const tr = createTranslator(input.locale);
  const params = { taskId: inlineCode(input.taskId, TASK_ID_BUDGET), channel: `<#${input.channelId}>` };
  const lines: string[] = [];
  const { content, snapshot } = input;
  if (content.kind === 'failed') {
    lines.push(
      tr(snapshot?.failure?.moderation ? 'dm.moderation' : 'dm.failed', {
        ...params,
        reason: failureReason(tr, snapshot),
      }),
    );
  } else if (content.kind === 'ended') {
    const reasonKey = (
      {
        not_found: 'ended.not_found',
        unauthorized: 'ended.unauthorized',
        idle_timeout: 'ended.idle_timeout',
        max_age: 'ended.max_age',
      } as const
    )[input.endReason as 'not_found' | 'unauthorized' | 'idle_timeout' | 'max_age'];
    lines.push(tr('dm.ended', { ...params, reason: tr(reasonKey ?? 'ended.untracked') }));
  } else {
    lines.push(tr('dm.completed', params));
    if (content.kind === 'attached') lines.push(tr('dm.attached'));
    else if (content.kind === 'linked') {
      lines.push(tr('dm.linked', { url: linkTarget(content.url), expiry: expiry(tr, snapshot) }));
    } else lines.push(tr('dm.noVideo'));
  }
  if (input.channelResultUrl) lines.push(tr('dm.channelResult', { url: input.channelResultUrl }));
  return { content: clip(lines.join('\n'), LIMITS.content), allowed_mentions: noMentions() };
}
