/**
 * Bot message payloads (Discord's API shape, as `src/render/` makes them) turned into markup for the
 * `@skyra/discord-components-core` web components, for `npm run screenshots`. Pure: no DOM, no clock
 * (the "now" of relative timestamps is given), and every text taken from a payload is HTML-escaped.
 *
 * It draws the Discord markdown the bot's renderers write: backslash escapes, inline code, bold and
 * italics, user and channel mentions, `<t:…>` timestamps, masked links and bare links (a message link as
 * Discord's `#channel › 💬` pill) and line breaks. Anything else shows as typed. A component it cannot
 * draw (anything but action rows of buttons) is an error, so a new kind of payload is not left out
 * silently.
 */
import {
  ButtonStyle,
  ComponentType,
  type APIAllowedMentions,
  type APIEmbed,
  type APIEmbedField,
  type APIMessageTopLevelComponent,
} from 'discord.js';
import { timestampText } from './timestamps.js';

export interface ShownAuthor {
  name: string;
  /** An image URL; a `data:` URL keeps the page offline. */
  avatar: string;
  bot?: boolean;
  roleColor?: string;
}

/** One message as a channel shows it. */
export interface ShownMessage {
  author: ShownAuthor;
  /** As Discord prints it beside the name, e.g. `Today at 12:04 PM`. */
  timestamp: string;
  payload: {
    content?: string | undefined;
    embeds?: readonly APIEmbed[] | undefined;
    components?: readonly APIMessageTopLevelComponent[] | undefined;
    allowed_mentions?: APIAllowedMentions | undefined;
  };
  /** Shows `(edited)`, as on a progress message that the bot keeps editing. */
  edited?: boolean;
  /** The message this one replies to: Discord's reply bar above it, with a line of that message. */
  replyTo?: { author: ShownAuthor; preview: string };
  /** An attached video, drawn as Discord's inline player showing this poster frame and length. */
  video?: { poster: string; duration: string };
}

export interface MarkupContext {
  /** Epoch ms that `<t:…:R>` timestamps are relative to. */
  now: number;
  /** Display names by user id, for `<@id>`; unknown ids show as Discord shows them. */
  users: Readonly<Record<string, string>>;
  /** Channel names by channel id, for `<#id>` and message links. */
  channels: Readonly<Record<string, string>>;
  /** Whose screen this is: a message that pings them is highlighted, as Discord does. */
  viewerId?: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made inert in HTML content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

function attributes(attrs: Readonly<Record<string, string | boolean | undefined>>): string {
  return Object.entries(attrs)
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([name, value]) => (value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`))
    .join('');
}

// --- inline markdown ---------------------------------------------------------------------------

interface InlineContext extends MarkupContext {
  /** Inline code looks different inside an embed. */
  inEmbed: boolean;
}

const MESSAGE_LINK = /^https:\/\/(?:ptb\.|canary\.)?discord\.com\/channels\/(\d+|@me)\/(\d+)\/(\d+)$/;

function linkMarkup(url: string, label: string | undefined, ctx: InlineContext): string {
  const message = label === undefined ? MESSAGE_LINK.exec(url) : null;
  if (message) {
    const channel = ctx.channels[message[2]!] ?? 'unknown';
    return `<discord-mention type="channel">${escapeHtml(channel)} › 💬</discord-mention>`;
  }
  const text = label === undefined ? escapeHtml(url) : inlineMarkdown(label, ctx);
  return `<discord-link${attributes({ href: url, target: '_blank' })}>${text}</discord-link>`;
}

type Rule = [pattern: RegExp, render: (match: RegExpExecArray, ctx: InlineContext) => string];

/** Tried in order at each position; the first that matches there wins. */
const RULES: readonly Rule[] = [
  [/\\([!-/:-@[-`{-~])/y, (m) => escapeHtml(m[1]!)],
  [
    /`([^`]+)`/y,
    (m, ctx) => `<discord-code${ctx.inEmbed ? ' embed' : ''}>${escapeHtml(m[1]!)}</discord-code>`,
  ],
  // Plain <strong> and <em>: the components' own add whitespace that shows in a reply bar (white-space: pre).
  [/\*\*(.+?)\*\*/y, (m, ctx) => `<strong>${inlineMarkdown(m[1]!, ctx)}</strong>`],
  [/\*(?![\s*])(.+?)\*/y, (m, ctx) => `<em>${inlineMarkdown(m[1]!, ctx)}</em>`],
  [
    /<@!?(\d{15,21})>/y,
    (m, ctx) => `<discord-mention>${escapeHtml(ctx.users[m[1]!] ?? 'unknown-user')}</discord-mention>`,
  ],
  [
    /<#(\d{15,21})>/y,
    (m, ctx) =>
      `<discord-mention type="channel">${escapeHtml(ctx.channels[m[1]!] ?? 'unknown')}</discord-mention>`,
  ],
  [
    /<t:(-?\d{1,13})(?::([tTdDfFR]))?>/y,
    (m, ctx) =>
      `<discord-time>${escapeHtml(timestampText(Number(m[1]) * 1000, m[2] ?? 'f', ctx.now))}</discord-time>`,
  ],
  [/\[([^\]\n]+)\]\(<?(https?:\/\/[^\s<>)]+)>?\)/y, (m, ctx) => linkMarkup(m[2]!, m[1] ?? '', ctx)],
  [
    /<(https?:\/\/[^\s<>]+)>|(https?:\/\/[^\s<>]+)/y,
    (m, ctx) => linkMarkup(m[1] ?? m[2] ?? '', undefined, ctx),
  ],
  [/\n/y, () => '<br />'],
];

/** Plain text up to the next character that may start a rule. */
const PLAIN = /[^\\`*<[\nh]+|[\s\S]/y;

function inlineMarkdown(text: string, ctx: InlineContext): string {
  let out = '';
  let at = 0;
  outer: while (at < text.length) {
    for (const [pattern, render] of RULES) {
      pattern.lastIndex = at;
      const match = pattern.exec(text);
      if (match) {
        // Rendering may recurse into these same patterns, so their lastIndex is not to be trusted here.
        at += match[0].length;
        out += render(match, ctx);
        continue outer;
      }
    }
    PLAIN.lastIndex = at;
    const plain = PLAIN.exec(text)!;
    out += escapeHtml(plain[0]);
    at += plain[0].length;
  }
  return out;
}

/** Discord markdown of a message's content or an embed's text, as component markup. */
export function markdownMarkup(text: string, ctx: MarkupContext, inEmbed = false): string {
  return inlineMarkdown(text, { ...ctx, inEmbed });
}

// --- embeds ------------------------------------------------------------------------------------

/**
 * Where each field sits in the embed's 12-column grid, as Discord lays them out: consecutive inline
 * fields share a row, three at most, splitting it evenly; any other field takes a whole row.
 */
export function fieldColumns(fields: readonly APIEmbedField[]): string[] {
  const columns: string[] = [];
  let row: number[] = [];
  const closeRow = () => {
    const width = 12 / row.length;
    row.forEach((index, position) => {
      columns[index] = `${1 + position * width} / ${1 + (position + 1) * width}`;
    });
    row = [];
  };
  fields.forEach((field, index) => {
    if (!field.inline) {
      closeRow();
      columns[index] = '1 / 13';
      return;
    }
    if (row.length === 3) closeRow();
    row.push(index);
  });
  closeRow();
  return columns;
}

function colourHex(colour: number | undefined): string | undefined {
  return colour === undefined ? undefined : `#${colour.toString(16).padStart(6, '0')}`;
}

export function embedMarkup(embed: APIEmbed, ctx: MarkupContext): string {
  const attrs = attributes({
    slot: 'embeds',
    color: colourHex(embed.color),
    'embed-title': embed.title,
    url: embed.url,
    'author-name': embed.author?.name,
  });
  const parts: string[] = [];
  if (embed.description !== undefined) {
    const description = markdownMarkup(embed.description, ctx, true);
    parts.push(`<discord-embed-description slot="description">${description}</discord-embed-description>`);
  }
  const fields = embed.fields ?? [];
  if (fields.length > 0) {
    const columns = fieldColumns(fields);
    const markup = fields.map((field, index) => {
      const fieldAttrs = attributes({
        'field-title': field.name,
        inline: field.inline === true,
        style: `grid-column: ${columns[index]}`,
      });
      return `<discord-embed-field${fieldAttrs}>${markdownMarkup(field.value, ctx, true)}</discord-embed-field>`;
    });
    parts.push(`<discord-embed-fields slot="fields">${markup.join('')}</discord-embed-fields>`);
  }
  if (embed.footer !== undefined) {
    // Discord draws footers as plain text.
    parts.push(`<discord-embed-footer slot="footer">${escapeHtml(embed.footer.text)}</discord-embed-footer>`);
  }
  return `<discord-embed${attrs}>${parts.join('')}</discord-embed>`;
}

// --- components --------------------------------------------------------------------------------

const BUTTON_TYPES: Readonly<Partial<Record<ButtonStyle, string>>> = {
  [ButtonStyle.Primary]: 'primary',
  [ButtonStyle.Secondary]: 'secondary',
  [ButtonStyle.Success]: 'success',
  [ButtonStyle.Danger]: 'destructive',
  [ButtonStyle.Link]: 'secondary',
};

export function componentsMarkup(components: readonly APIMessageTopLevelComponent[]): string {
  const rows = components.map((row) => {
    if (row.type !== ComponentType.ActionRow) {
      throw new Error(`screenshots: cannot draw a top-level component of type ${row.type}`);
    }
    const buttons = row.components.map((component) => {
      if (component.type !== ComponentType.Button || component.style === ButtonStyle.Premium) {
        throw new Error(`screenshots: cannot draw a component of type ${component.type} in a row`);
      }
      const attrs = attributes({
        type: BUTTON_TYPES[component.style],
        url: component.style === ButtonStyle.Link ? component.url : undefined,
        disabled: component.disabled === true,
      });
      // Unicode emoji go in the label; the component takes only image URLs.
      const label = [component.emoji?.name, component.label].filter((part) => part !== undefined);
      return `<discord-button${attrs}>${escapeHtml(label.join(' '))}</discord-button>`;
    });
    return `<discord-action-row>${buttons.join('')}</discord-action-row>`;
  });
  return rows.length === 0
    ? ''
    : `<discord-attachments slot="components">${rows.join('')}</discord-attachments>`;
}

// --- messages ----------------------------------------------------------------------------------

/** Whether the content pings this user: a mention that `allowed_mentions` lets through. Embeds never ping. */
export function pings(message: ShownMessage, userId: string | undefined): boolean {
  const { content, allowed_mentions: allowed } = message.payload;
  if (userId === undefined || content === undefined || !new RegExp(`<@!?${userId}>`).test(content))
    return false;
  if (allowed === undefined) return true;
  const parse: readonly string[] = allowed.parse ?? [];
  return (allowed.users ?? []).includes(userId) || parse.includes('users');
}

function authorAttributes(author: ShownAuthor): Record<string, string | boolean | undefined> {
  return {
    author: author.name,
    avatar: author.avatar,
    bot: author.bot === true,
    'role-color': author.roleColor,
  };
}

export function messageMarkup(message: ShownMessage, ctx: MarkupContext): string {
  const attrs = attributes({
    ...authorAttributes(message.author),
    timestamp: message.timestamp,
    // Discord puts `(edited)` after the text: a message of embeds alone shows none.
    edited: message.edited === true && (message.payload.content ?? '') !== '',
    highlight: pings(message, ctx.viewerId),
  });
  const parts: string[] = [];
  if (message.replyTo !== undefined) {
    const replyAttrs = attributes({ slot: 'reply', ...authorAttributes(message.replyTo.author) });
    parts.push(`<discord-reply${replyAttrs}>${markdownMarkup(message.replyTo.preview, ctx)}</discord-reply>`);
  }
  if (message.payload.content !== undefined) parts.push(markdownMarkup(message.payload.content, ctx));
  if (message.video !== undefined) {
    const videoAttrs = attributes({ poster: message.video.poster, 'data-duration': message.video.duration });
    parts.push(
      `<discord-attachments slot="attachments"><discord-video-attachment${videoAttrs}></discord-video-attachment></discord-attachments>`,
    );
  }
  for (const embed of message.payload.embeds ?? []) parts.push(embedMarkup(embed, ctx));
  parts.push(componentsMarkup(message.payload.components ?? []));
  return `<discord-message${attrs}>${parts.join('')}</discord-message>`;
}

/** A divider across the channel with a caption, in the style of Discord's date dividers. */
export function dividerMarkup(caption: string): string {
  return `<div class="divider" role="separator"><span>${escapeHtml(caption)}</span></div>`;
}
