import { escapeMarkdown } from 'discord.js';

/** Breaks a mention without changing how the text reads. */
const ZERO_WIDTH_SPACE = '\u200b';
const ELLIPSIS = '…';

/**
 * At most `max` UTF-16 units (Discord's limits are never exceeded whichever way it counts), ending in `…`
 * when shortened, and never splitting a surrogate pair.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, Math.max(0, end)) + ELLIPSIS;
}

/** `@everyone`, `@here` and `<@…>` (users, roles) shown as typed but unable to ping, even if posted elsewhere. */
export function neutraliseMentions(text: string): string {
  return text.replace(/@(everyone|here)/gi, `@${ZERO_WIDTH_SPACE}$1`).replace(/<@/g, `<@${ZERO_WIDTH_SPACE}`);
}

/** Direction overrides and isolates: they make text read differently from what it is (`exe.jpg`). */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Untrusted text (prompts, reasons, raw statuses) made safe to show inside markdown: clipped to
 * `maxSource` characters first, blank-line floods collapsed, control and direction-override characters
 * removed, every markdown construct escaped (including headings, lists, quotes and masked links) and
 * mentions broken.
 */
export function escapeUntrusted(text: string, maxSource: number): string {
  const source = clip(
    text
      .replace(/\r\n?/g, '\n')
      .replace(CONTROL_CHARACTERS, '')
      .replace(BIDI_CONTROLS, '')
      .replace(/\n{3,}/g, '\n\n'),
    maxSource,
  );
  const escaped = escapeMarkdown(source, {
    heading: true,
    bulletedList: true,
    numberedList: true,
    maskedLink: true,
    escape: true,
  })
    // Block quotes and `-#` subtext are not covered by escapeMarkdown.
    .replace(/^(\s*)>/gm, '$1\\>')
    .replace(/^(\s*)-#/gm, '$1\\-#');
  return neutraliseMentions(escaped);
}

/**
 * Untrusted text as inline code: backticks cannot be escaped inside code, so they become a look-alike;
 * line breaks become spaces; invisible characters (controls, direction overrides, zero-width) show as �,
 * so what is quoted back (a refused task id) is what was typed, not what it pretends to be.
 */
export function inlineCode(text: string, maxSource: number): string {
  const flat = clip(text, maxSource)
    .replace(/`/g, 'ˋ')
    .replace(/\s+/g, ' ')
    .replace(/[\p{Cc}\p{Cf}]/gu, '\ufffd')
    .trim();
  return flat === '' ? '' : `\`${neutraliseMentions(flat)}\``;
}

/** Discord trims whitespace and rejects empty field values, so blank text becomes the fallback. */
export function orFallback(text: string, fallback: string): string {
  return text.trim() === '' ? fallback : text;
}

/**
 * A link safe for `[label](url)`: http(s) only, normalised by the URL parser (which percent-encodes spaces
 * and angle brackets) and with parentheses encoded so they cannot end the markdown link early.
 */
export function safeHttpUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.href.replace(/\(/g, '%28').replace(/\)/g, '%29');
}

/** Discord renders `<t:…:R>` in each viewer's language and keeps it current without edits. */
export function discordTimestamp(ms: number, style: 'R' | 'f' | 'F' | 'd' | 't' = 'R'): string {
  return `<t:${Math.floor(ms / 1000)}:${style}>`;
}

/** A user mention, only for a real snowflake; anything else is shown inert. */
export function userMention(userId: string): string {
  return /^\d{15,21}$/.test(userId) ? `<@${userId}>` : inlineCode(userId, 40);
}
