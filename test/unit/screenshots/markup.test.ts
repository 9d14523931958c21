/**
 * The payload → markup conversion of `npm run screenshots` (scripts/screenshots/markup.ts): untrusted
 * text cannot become markup, and nothing of a real progress message is left out of the picture.
 */
import { ButtonStyle, ComponentType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { renderProgressMessage } from '../../../src/render/index.js';
import {
  embedMarkup,
  fieldColumns,
  markdownMarkup,
  messageMarkup,
  type MarkupContext,
  type ShownMessage,
} from '../../../scripts/screenshots/markup.js';
import { NOW, REQUESTER, snapshot, view } from '../render/fixtures.js';

const CTX: MarkupContext = { now: NOW, users: { [REQUESTER]: 'alice' }, channels: {}, viewerId: REQUESTER };
const BOT = { name: 'Sora Tracker', avatar: 'data:,', bot: true };

/** Element names and attribute names in the markup, which text must never add to. */
function tagsOf(markup: string): string[] {
  return [...markup.matchAll(/<\/?([a-z][a-z0-9-]*)/g)].map((match) => match[1]!);
}

describe('screenshot markup', () => {
  it('escapes untrusted text in content, embed text and attributes', () => {
    const hostile = '<img src=x onerror=alert(1)> & "quoted" \'single\'';
    const markup = messageMarkup(
      {
        author: { ...BOT, name: 'Bot" onload="x' },
        timestamp: 'Today at 12:00 PM',
        payload: {
          content: hostile,
          embeds: [
            {
              title: hostile,
              description: hostile,
              fields: [{ name: hostile, value: hostile }],
              footer: { text: hostile },
            },
          ],
        },
      },
      CTX,
    );
    expect(markup).not.toContain('<img');
    expect(markup).not.toContain('" onload="');
    expect(markup).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#39;single&#39;');
    expect(new Set(tagsOf(markup))).toEqual(
      new Set([
        'discord-message',
        'discord-embed',
        'discord-embed-description',
        'discord-embed-fields',
        'discord-embed-field',
        'discord-embed-footer',
      ]),
    );
  });

  it('draws Discord markdown the way Discord reads it', () => {
    const markup = markdownMarkup(
      '\\*not italic\\* `a<b` <@' +
        REQUESTER +
        '> <@\u200b' +
        REQUESTER +
        '> [open](https://example.com/v?a=1&b=2)',
      CTX,
    );
    expect(markup).toContain('*not italic*');
    expect(markup).toContain('<discord-code>a&lt;b</discord-code>');
    expect(markup).toContain('<discord-mention>alice</discord-mention>');
    // A neutralised mention stays text.
    expect(markup).toContain('&lt;@\u200b' + REQUESTER + '&gt;');
    expect(markup).toContain(
      '<discord-link href="https://example.com/v?a=1&amp;b=2" target="_blank">open</discord-link>',
    );
    expect(markdownMarkup(`Last update <t:${NOW / 1000 - 300}:R>`, CTX)).toBe(
      'Last update <discord-time>5 minutes ago</discord-time>',
    );
  });

  it('keeps every part of a real progress message: title, description, each field, footer, buttons', () => {
    const payload = renderProgressMessage(
      view({ snapshot: snapshot({ progress: 62, estimatedWaitSeconds: 150 }) }),
      NOW,
    );
    const embed = payload.embeds[0]!;
    const markup = messageMarkup({ author: BOT, timestamp: 'Today at 12:00 PM', payload }, CTX);

    expect(markup).toContain(`embed-title="${embed.title!}"`);
    expect(markup).toContain('62%');
    expect(markup).toContain(embed.footer!.text);
    const fields = embed.fields!;
    expect(fields.length).toBeGreaterThan(4);
    expect(markup.match(/<discord-embed-field /g)).toHaveLength(fields.length);
    for (const field of fields) expect(markup).toContain(`field-title="${field.name}"`);
    expect(markup).toContain('A calico cat surfing a wave at sunset');
    expect(markup).toContain('sora-2');
    expect(markup).toContain('1280x720');
    expect(markup.match(/<discord-button /g)).toHaveLength(3);
    expect(markup).toContain('<discord-button type="destructive">⏹️ Stop tracking</discord-button>');
  });

  it('lays inline fields out three to a row, a row of fewer split evenly', () => {
    const inline = { name: 'n', value: 'v', inline: true };
    expect(fieldColumns([inline, inline, inline, inline, inline, { name: 'n', value: 'v' }, inline])).toEqual(
      ['1 / 5', '5 / 9', '9 / 13', '1 / 7', '7 / 13', '1 / 13', '1 / 13'],
    );
    expect(embedMarkup({ fields: [inline, inline] }, CTX)).toContain('style="grid-column: 7 / 13"');
  });

  it('highlights a message only when it pings the viewer', () => {
    const result = (users: string[]): ShownMessage => ({
      author: BOT,
      timestamp: 'Today at 12:00 PM',
      payload: { content: `<@${REQUESTER}> done`, allowed_mentions: { parse: [], users } },
    });
    expect(messageMarkup(result([REQUESTER]), CTX)).toMatch(/^<discord-message[^>]* highlight[ >]/);
    expect(messageMarkup(result([]), CTX)).not.toMatch(/^<discord-message[^>]* highlight[ >]/);
  });

  it('refuses a component it cannot draw rather than leave it out', () => {
    const payload = {
      components: [
        {
          type: ComponentType.ActionRow as const,
          components: [{ type: ComponentType.StringSelect as const, custom_id: 'x', options: [] }],
        },
      ],
    };
    expect(() => messageMarkup({ author: BOT, timestamp: '', payload }, CTX)).toThrow(/cannot draw/);
    const link = {
      type: ComponentType.ActionRow as const,
      components: [
        {
          type: ComponentType.Button as const,
          style: ButtonStyle.Link as const,
          url: 'https://a.b/',
          label: 'A',
        },
      ],
    };
    expect(messageMarkup({ author: BOT, timestamp: '', payload: { components: [link] } }, CTX)).toContain(
      'url="https://a.b/"',
    );
  });
});
