/**
 * Turns what the local Discord stored (message versions: content, embeds, buttons, files, pings) into
 * plain text lines, roughly as a Discord client would show them. Pure functions: no I/O, no state.
 */
import type { MessageVersion, StoredAttachment } from '../../testkit/fake-discord/index.js';

/** How ids inside Discord markup are shown: names of users, channels and messages of this run. */
export interface Names {
  user(id: string): string | undefined;
  channel(id: string): string | undefined;
  role(id: string): string | undefined;
  /** A short label for a message this transcript has shown, e.g. `#renders › message 1`. */
  message(id: string): string | undefined;
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const MESSAGE_URL = /https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/channels\/(?:\d+|@me)\/\d+\/(\d+)/g;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** `3 s ago`, `in 2 min`, `just now`: a relative timestamp as it read when the version appeared. */
export function formatRelative(targetMs: number, nowMs: number): string {
  const diff = nowMs - targetMs;
  const abs = Math.abs(diff);
  if (abs < 1_500) return 'just now';
  const amount =
    abs < 90_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 90 * 60_000
        ? `${Math.round(abs / 60_000)} min`
        : `${Math.round(abs / 3_600_000)} h`;
  return diff > 0 ? `${amount} ago` : `in ${amount}`;
}

function formatClock(ms: number, style: string): string {
  const date = new Date(ms);
  const time = date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (style === 't' || style === 'T') return time;
  const day = date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
  return style === 'd' || style === 'D' ? day : `${day} ${time}`;
}

/**
 * Discord markup → what a reader sees: mentions and channels by name, timestamps as they read at `atMs`,
 * links to messages of this run by their transcript label, markdown markers and escapes removed.
 */
export function plainText(text: string, names: Names, atMs: number | 'raw'): string {
  // Escaped characters are set aside first so that `\*` never counts as markdown.
  const escaped: string[] = [];
  let out = text
    .replace(/\u200b/g, '')
    .replace(/\\([\\*_`~|>#\-[\]()<@:.])/g, (_, char: string) => `\uE000${escaped.push(char) - 1}\uE001`);

  out = out
    .replace(/<t:(-?\d+)(?::([tTdDfFR]))?>/g, (raw: string, seconds: string, style = 'f') => {
      if (atMs === 'raw') return raw;
      const ms = Number(seconds) * 1000;
      return style === 'R' ? formatRelative(ms, atMs) : formatClock(ms, style as string);
    })
    .replace(/<@!?(\d+)>/g, (raw, id: string) => `@${names.user(id) ?? raw}`)
    .replace(/<@&(\d+)>/g, (raw, id: string) => `@${names.role(id) ?? raw}`)
    .replace(/<#(\d+)>/g, (raw, id: string) => `#${names.channel(id) ?? raw}`)
    .replace(MESSAGE_URL, (url, id: string) => {
      const label = names.message(id);
      return label === undefined ? url : `‹${label}›`;
    })
    // [label](url) → label (url); a link to a known message already became ‹label›.
    .replace(/\[([^\]]+)\]\(<?([^)>]+)>?\)/g, (_, label: string, target: string) =>
      target.startsWith('‹') ? `${label} ${target}` : `${label} (${target})`,
    )
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/__(.+?)__/g, '$1')
    .replace(/~~(.+?)~~/g, '$1')
    .replace(/^-# /gm, '')
    .replace(/^#{1,3} /gm, '');

  return out.replace(/\uE000(\d+)\uE001/g, (_, index: string) => escaped[Number(index)] ?? '');
}

function embedLines(embed: Json, names: Names, atMs: number | 'raw'): string[] {
  const text = (value: unknown) => plainText(asString(value) ?? '', names, atMs);
  const lines: string[] = [];
  const author = asString(asObject(embed.author)?.name);
  if (author) lines.push(text(author));
  const title = asString(embed.title);
  if (title) lines.push(text(title) + (asString(embed.url) ? ` (${asString(embed.url)})` : ''));
  const description = asString(embed.description);
  if (description) lines.push(...text(description).split('\n'));

  // One field per line (Discord puts up to three inline fields side by side): an edit then shows
  // exactly which fields changed.
  for (const raw of asArray(embed.fields)) {
    const field = asObject(raw);
    if (!field) continue;
    const [first = '', ...rest] = text(field.value).split('\n');
    lines.push(`${text(field.name)}: ${first}`, ...rest.map((line) => `  ${line}`));
  }

  const image = asString(asObject(embed.image)?.url) ?? asString(asObject(embed.thumbnail)?.url);
  if (image) lines.push(`(image: ${image})`);
  const footer = asString(asObject(embed.footer)?.text);
  if (footer) lines.push(`— ${text(footer)}`);
  return lines;
}

function buttonLabel(component: Json): string {
  const emoji = asString(asObject(component.emoji)?.name);
  const label = [emoji, asString(component.label)].filter(Boolean).join(' ');
  const link = component.style === 5 ? ' ↗' : '';
  const disabled = component.disabled === true ? ' (disabled)' : '';
  return `[${label}${link}${disabled}]`;
}

/** Buttons as `[🔄 Refresh] [🔔 Notify me]`, one line per action row. */
export function componentLines(components: readonly Json[]): string[] {
  return components
    .map((row) =>
      asArray(row.components)
        .map(asObject)
        .filter((component): component is Json => component !== undefined)
        .map((component) => {
          if (component.type === 2) return buttonLabel(component);
          const placeholder = asString(component.placeholder) ?? 'choose…';
          return `[▾ ${placeholder}]`;
        })
        .join(' '),
    )
    .filter((line) => line !== '');
}

export function attachmentLine(attachment: StoredAttachment): string {
  const type = attachment.contentType ? ` · ${attachment.contentType}` : '';
  return `📎 ${attachment.filename} · ${formatBytes(attachment.size)} (${attachment.size.toLocaleString('en-US')} bytes)${type}`;
}

export interface VersionLinesOptions {
  loadingText: string;
  describeAttachment?: (attachment: StoredAttachment) => string[];
  /** Keep `<t:…>` as written, to compare versions without time passing making them differ. */
  rawTimestamps?: boolean;
}

/** Everything a version shows, as lines: text, embeds (separated by a rule), files, buttons. */
export function versionLines(version: MessageVersion, names: Names, options: VersionLinesOptions): string[] {
  const LOADING_FLAG = 1 << 7;
  const readAt = options.rawTimestamps === true ? 'raw' : version.at;
  const lines: string[] = [];
  if (version.content !== '') lines.push(...plainText(version.content, names, readAt).split('\n'));
  else if ((version.flags & LOADING_FLAG) !== 0) lines.push(options.loadingText);
  version.embeds.forEach((embed, index) => {
    if (index > 0 || lines.length > 0) lines.push('╌╌╌╌');
    lines.push(...embedLines(embed, names, readAt));
  });
  for (const attachment of version.attachments) {
    lines.push(attachmentLine(attachment), ...(options.describeAttachment?.(attachment) ?? []));
  }
  lines.push(...componentLines(version.components));
  return lines;
}

/** Who a version notified, in words. */
export function pingsText(version: MessageVersion, names: Names): string {
  const who = [
    ...version.pings.users.map((id) => `@${names.user(id) ?? id}`),
    ...version.pings.roles.map((id) => `@${names.role(id) ?? id}`),
    ...(version.pings.everyone ? ['@everyone'] : []),
  ];
  return who.length === 0 ? 'pings nobody' : `🔔 pings ${who.join(', ')}`;
}
