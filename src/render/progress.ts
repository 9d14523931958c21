import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIEmbed,
  type APIEmbedField,
} from 'discord.js';
import { createTranslator, formatApproximate, formatDuration, type Translator } from '../i18n/index.js';
import type { VideoSnapshot } from '../domain/video.js';
import { encodeButtonId, type ButtonAction } from './custom-id.js';
import { fitEmbed } from './limits.js';
import { noMentions, type MessagePayload } from './payload.js';
import { clampPercent, progressBar, statusLook, type DisplayState } from './status.js';
import {
  discordTimestamp,
  escapeUntrusted,
  inlineCode,
  orFallback,
  safeHttpUrl,
  userMention,
} from './text.js';

export type TrackingEndReason =
  'completed' | 'failed' | 'not_found' | 'unauthorized' | 'idle_timeout' | 'max_age' | 'untracked';

export type TrackingState =
  { state: 'active' } | { state: 'ended'; reason: TrackingEndReason; stoppedBy?: string | undefined };

/** Everything a progress message shows, from stored records alone. */
export interface ProgressView {
  /** Discord locale of the channel's audience (the guild locale), resolved with `resolveLocale`. */
  locale: string;
  taskId: string;
  snapshot: VideoSnapshot | undefined;
  requesterId: string;
  /** Epoch ms when tracking started. */
  trackedAt: number;
  /**
   * Epoch ms when the task last changed in a way people see — not when it was last polled, or every poll
   * would change the message and its hash.
   */
  lastUpdateAt: number;
  tracking: TrackingState;
  /** Link to the result message (the video or what happened to it) once it is posted. */
  resultUrl?: string | undefined;
  /** The task completed but the API has no file yet: shown as being prepared, not as done. */
  preparingVideo?: boolean | undefined;
  /** While prepared: the file is there but its download failed for a passing reason and is tried again. */
  downloadRetrying?: boolean | undefined;
}

/** How much untrusted text each part may take before escaping; escaping at most doubles it. */
const SOURCE_BUDGET = {
  taskId: 200,
  prompt: 400,
  reason: 300,
  rawStatus: 40,
  model: 60,
  size: 40,
  /** Longer links are not shown rather than shown broken. */
  url: 900,
} as const;

/**
 * The channel's progress message. Depends only on the view, never on the clock except to ignore a
 * creation time in the future (relay clock skew): elapsed time is a Discord timestamp that viewers' apps
 * keep current, so polls that change nothing render the same payload and the same `visibleHash`.
 */
export function renderProgressMessage(view: ProgressView, now: number): MessagePayload {
  const tr = createTranslator(view.locale);
  const { snapshot, tracking } = view;
  const shown = displayState(snapshot, tracking);
  const state = shown === 'completed' && view.preparingVideo === true ? 'preparing' : shown;
  const ended = tracking.state === 'ended' || state === 'completed' || state === 'failed';

  const created = snapshot?.createdAt?.getTime();
  const start =
    created !== undefined && Number.isFinite(created) && created <= now ? created : view.trackedAt;
  const end = snapshot?.completedAt?.getTime() ?? view.lastUpdateAt;
  const timing: APIEmbedField = ended
    ? { name: tr('label.elapsed'), value: formatDuration(tr, end - start), inline: true }
    : { name: tr('label.started'), value: discordTimestamp(start), inline: true };

  const notes = [
    state === 'preparing'
      ? tr(view.downloadRetrying === true ? 'progress.retryingDownload' : 'progress.preparingVideo')
      : endNote(tr, tracking),
    view.resultUrl === undefined ? undefined : tr('result.progressLink', { url: view.resultUrl }),
    tr('progress.lastUpdate', { time: discordTimestamp(view.lastUpdateAt) }),
  ];
  const embed = taskEmbed(tr, {
    taskId: view.taskId,
    snapshot,
    state,
    timing,
    requesterId: view.requesterId,
    notes: notes.filter((note): note is string => note !== undefined),
  });
  // Still being prepared: the message changes once more, when the video is posted.
  embed.footer = {
    text: tr(ended && state !== 'preparing' ? 'progress.footerEnded' : 'progress.footerActive'),
  };

  return {
    embeds: [fitEmbed(embed)],
    // Buttons only while tracking: once it ended there is nothing left to refresh, notify or stop.
    components: ended ? [] : [trackingButtons(tr, view.taskId)],
    allowed_mentions: noMentions(),
  };
}

const BUTTONS: readonly {
  action: ButtonAction;
  emoji: string;
  label: 'button.refresh' | 'button.notify' | 'button.stop';
  style: ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger;
}[] = [
  { action: 'refresh', emoji: '🔄', label: 'button.refresh', style: ButtonStyle.Secondary },
  { action: 'notify', emoji: '🔔', label: 'button.notify', style: ButtonStyle.Secondary },
  { action: 'stop', emoji: '⏹️', label: 'button.stop', style: ButtonStyle.Danger },
];

/** One row: 🔄 Refresh, 🔔 Notify me, ⏹️ Stop tracking; each `custom_id` names the action and the task. */
function trackingButtons(
  tr: Translator,
  taskId: string,
): APIActionRowComponent<APIButtonComponentWithCustomId> {
  return {
    type: ComponentType.ActionRow,
    components: BUTTONS.map((button) => ({
      type: ComponentType.Button,
      style: button.style,
      custom_id: encodeButtonId(button.action, taskId),
      label: tr(button.label),
      emoji: { name: button.emoji },
    })),
  };
}

/**
 * The one-off `/sora status` answer: the same embed without tracking details. Being rendered once, it
 * states elapsed time as text computed from `now`.
 */
export function renderStatusReply(snapshot: VideoSnapshot, locale: string, now: number): MessagePayload {
  const tr = createTranslator(locale);
  const embed = taskEmbed(tr, {
    taskId: snapshot.id,
    snapshot,
    state: snapshot.status,
    timing: statusTiming(tr, snapshot, now),
    notes: [],
  });
  return { embeds: [fitEmbed(embed)], components: [], allowed_mentions: noMentions() };
}

/** Run time so far (running), total run time (finished), or the start when the end is unknown. */
function statusTiming(tr: Translator, snapshot: VideoSnapshot, now: number): APIEmbedField | undefined {
  const created = snapshot.createdAt?.getTime();
  if (created === undefined || !Number.isFinite(created)) return undefined;
  const completed = snapshot.completedAt?.getTime();
  const terminal = snapshot.status === 'completed' || snapshot.status === 'failed';
  if (!terminal) return { name: tr('label.elapsed'), value: formatDuration(tr, now - created), inline: true };
  if (completed !== undefined) {
    return { name: tr('label.elapsed'), value: formatDuration(tr, completed - created), inline: true };
  }
  return { name: tr('label.started'), value: discordTimestamp(Math.min(created, now)), inline: true };
}

export function displayState(snapshot: VideoSnapshot | undefined, tracking: TrackingState): DisplayState {
  if (tracking.state === 'ended') {
    if (tracking.reason === 'completed' || tracking.reason === 'failed') return tracking.reason;
    if (snapshot?.status === 'completed' || snapshot?.status === 'failed') return snapshot.status;
    return 'ended';
  }
  return snapshot?.status ?? 'pending';
}

function endNote(tr: Translator, tracking: TrackingState): string | undefined {
  if (tracking.state !== 'ended') return undefined;
  switch (tracking.reason) {
    case 'completed':
    case 'failed':
      return undefined;
    case 'untracked':
      return tracking.stoppedBy !== undefined
        ? tr('ended.untrackedBy', { user: userMention(tracking.stoppedBy) })
        : tr('ended.untracked');
    default:
      return tr(`ended.${tracking.reason}`);
  }
}

interface TaskEmbedInput {
  taskId: string;
  snapshot: VideoSnapshot | undefined;
  state: DisplayState;
  timing: APIEmbedField | undefined;
  requesterId?: string;
  /** Extra description lines, already safe. */
  notes: string[];
}

function taskEmbed(tr: Translator, input: TaskEmbedInput): APIEmbed {
  const { snapshot, state } = input;
  const look = statusLook(state);
  const none = tr('value.none');

  const description = [progressLine(tr, snapshot, state)];
  const running = state === 'queued' || state === 'in_progress';
  if (running && snapshot?.queuePosition !== undefined) {
    description.push(
      tr('progress.queuePosition', { position: Math.max(0, Math.floor(snapshot.queuePosition)) }),
    );
  }
  if (running && snapshot?.estimatedWaitSeconds !== undefined) {
    description.push(
      tr('progress.estimatedWait', { wait: formatApproximate(tr, snapshot.estimatedWaitSeconds) }),
    );
  }
  description.push(...input.notes);

  const fields: APIEmbedField[] = [];
  const inlineField = (name: string, value: string) =>
    fields.push({ name, value: orFallback(value, none), inline: true });
  if (snapshot?.model !== undefined)
    inlineField(tr('label.model'), escapeUntrusted(snapshot.model, SOURCE_BUDGET.model));
  if (snapshot?.size !== undefined)
    inlineField(tr('label.size'), escapeUntrusted(snapshot.size, SOURCE_BUDGET.size));
  if (snapshot?.durationSeconds !== undefined && Number.isFinite(snapshot.durationSeconds)) {
    inlineField(tr('label.duration'), formatDuration(tr, snapshot.durationSeconds * 1000));
  }
  if (input.timing !== undefined) fields.push(input.timing);
  if (input.requesterId !== undefined) inlineField(tr('label.requester'), userMention(input.requesterId));
  fields.push({
    name: tr('label.taskId'),
    value: orFallback(inlineCode(input.taskId, SOURCE_BUDGET.taskId), none),
  });

  if (snapshot?.prompt !== undefined && snapshot.prompt.trim() !== '') {
    fields.push({
      name: tr('label.prompt'),
      value: orFallback(escapeUntrusted(snapshot.prompt, SOURCE_BUDGET.prompt), none),
    });
  }
  if (snapshot?.failure !== undefined) {
    fields.push({
      name: tr(snapshot.failure.moderation ? 'label.moderation' : 'label.reason'),
      value: orFallback(escapeUntrusted(snapshot.failure.reason, SOURCE_BUDGET.reason), none),
    });
  }
  if (state === 'completed' && snapshot?.videoUrl !== undefined) {
    const href = safeHttpUrl(snapshot.videoUrl);
    if (href !== undefined) {
      const value =
        href.length <= SOURCE_BUDGET.url ? `[${tr('video.open')}](${href})` : tr('video.linkTooLong');
      fields.push({ name: tr('label.video'), value, inline: true });
      const expires = snapshot.expiresAt?.getTime();
      if (expires !== undefined && Number.isFinite(expires)) {
        fields.push({ name: tr('label.expires'), value: discordTimestamp(expires), inline: true });
      }
    }
  }

  return {
    title: `${look.icon} ${tr(look.nameKey)}`,
    color: look.colour,
    description: description.join('\n'),
    fields,
  };
}

/** `▰▰▰▱▱… 45%`, with the API's own status word when it says more than the normalised one. */
function progressLine(tr: Translator, snapshot: VideoSnapshot | undefined, state: DisplayState): string {
  // A finished task is 100 % even when the API's last progress figure lagged behind.
  const percent =
    state === 'completed' || state === 'preparing'
      ? 100
      : snapshot?.progress !== undefined
        ? clampPercent(snapshot.progress)
        : undefined;
  const parts = [
    progressBar(percent),
    percent === undefined ? tr('progress.unknown') : tr('progress.percent', { percent }),
  ];
  const raw = snapshot?.rawStatus.trim();
  if (raw !== undefined && raw !== '' && normaliseWord(raw) !== normaliseWord(snapshot?.status ?? '')) {
    parts.push(`· ${tr('progress.apiStatus', { status: escapeUntrusted(raw, SOURCE_BUDGET.rawStatus) })}`);
  }
  return parts.join(' ');
}

function normaliseWord(word: string): string {
  return word.toLowerCase().replace(/[^a-z]/g, '');
}
