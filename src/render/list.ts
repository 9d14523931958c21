import type { APIEmbed } from 'discord.js';
import { createTranslator, formatRelative, type Translator } from '../i18n/index.js';
import type { VideoSnapshot } from '../domain/video.js';
import { LIMITS, fitEmbed } from './limits.js';
import { messageUrl } from './links.js';
import { noMentions, type MessagePayload } from './payload.js';
import { clampPercent, statusLook, type DisplayState } from './status.js';
import { inlineCode } from './text.js';

/** One task tracked in the channel, as `/sora list` shows it. */
export interface ListEntry {
  taskId: string;
  guildId: string;
  channelId: string;
  /** Undefined while the progress message is not posted yet. */
  messageId: string | undefined;
  snapshot: Pick<VideoSnapshot, 'status' | 'progress'> | undefined;
  /** Epoch ms when tracking started. */
  trackedAt: number;
  /** True when tracking stopped for a reason other than the task finishing. */
  ended?: boolean | undefined;
}

/** Room kept at the end of the description for the "…and N more" line. */
const MORE_LINE_RESERVE = 80;
const LIST_TASK_ID_BUDGET = 100;

/**
 * The caller's ephemeral list: one line per task with its status and a jump link to its progress
 * message, as many as fit, then how many more there are.
 */
export function renderList(entries: readonly ListEntry[], locale: string, now: number): MessagePayload {
  const tr = createTranslator(locale);
  if (entries.length === 0) {
    return { content: tr('reply.listEmpty'), embeds: [], components: [], allowed_mentions: noMentions() };
  }

  const budget = LIMITS.embedDescription - MORE_LINE_RESERVE;
  const lines: string[] = [];
  let used = 0;
  for (const entry of entries) {
    const line = listLine(tr, entry, now);
    if (used + line.length + 1 > budget) break;
    lines.push(line);
    used += line.length + 1;
  }
  const hidden = entries.length - lines.length;
  if (hidden > 0) lines.push(tr('reply.listMore', { count: hidden }));

  const embed: APIEmbed = {
    title: tr('reply.listTitle', { count: entries.length }),
    color: statusLook('in_progress').colour,
    description: lines.join('\n'),
  };
  return { embeds: [fitEmbed(embed)], components: [], allowed_mentions: noMentions() };
}

function listLine(tr: Translator, entry: ListEntry, now: number): string {
  const state: DisplayState = entry.ended === true ? 'ended' : (entry.snapshot?.status ?? 'pending');
  const look = statusLook(state);
  let status = tr(look.nameKey);
  if (state === 'in_progress' && entry.snapshot?.progress !== undefined) {
    status += ` ${tr('progress.percent', { percent: clampPercent(entry.snapshot.progress) })}`;
  }
  const parts = [
    `${look.icon} ${inlineCode(entry.taskId, LIST_TASK_ID_BUDGET) || tr('value.none')}`,
    status,
    tr('list.trackedAgo', { ago: formatRelative(tr, Math.min(entry.trackedAt, now), now) }),
  ];
  const url =
    entry.messageId !== undefined ? messageUrl(entry.guildId, entry.channelId, entry.messageId) : undefined;
  if (url !== undefined) parts.push(url);
  return parts.join(' · ');
}
