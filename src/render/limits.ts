import type { APIEmbed, APIEmbedField } from 'discord.js';
import { clip } from './text.js';

/** Discord's message and embed limits (docs/discord-limits.md#message-and-embed-limits); going over any of them is a 400. */
export const LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  /** Sum of title, description, field names and values, footer and author over all embeds. */
  embedsTotal: 6000,
} as const;

/** The characters Discord counts against `embedsTotal`. */
export function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0) +
    (embed.fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}

/**
 * The embed clipped to every per-part limit, then, while the total is too long, its longest field value
 * (else the description) shortened. Renderers budget their text so this is a safety net, not a layout tool.
 */
export function fitEmbed(embed: APIEmbed, totalBudget: number = LIMITS.embedsTotal): APIEmbed {
  const fitted: APIEmbed = { ...embed };
  if (fitted.title !== undefined) fitted.title = clip(fitted.title, LIMITS.embedTitle);
  if (fitted.description !== undefined)
    fitted.description = clip(fitted.description, LIMITS.embedDescription);
  if (fitted.footer !== undefined)
    fitted.footer = { ...fitted.footer, text: clip(fitted.footer.text, LIMITS.footerText) };
  if (fitted.author !== undefined)
    fitted.author = { ...fitted.author, name: clip(fitted.author.name, LIMITS.authorName) };
  if (fitted.fields !== undefined) {
    fitted.fields = fitted.fields.slice(0, LIMITS.embedFields).map((field): APIEmbedField => ({
      ...field,
      name: clip(field.name, LIMITS.fieldName),
      value: clip(field.value, LIMITS.fieldValue),
    }));
  }

  let excess = embedLength(fitted) - totalBudget;
  while (excess > 0) {
    const fields = fitted.fields ?? [];
    const longest = fields.reduce<number>(
      (best, field, index) =>
        best === -1 || field.value.length > (fields[best]?.value.length ?? 0) ? index : best,
      -1,
    );
    const field = fields[longest];
    const descriptionLength = fitted.description?.length ?? 0;
    if (field !== undefined && field.value.length > 1 && field.value.length >= descriptionLength) {
      fields[longest] = { ...field, value: clip(field.value, Math.max(1, field.value.length - excess)) };
    } else if (fitted.description !== undefined && descriptionLength > 1) {
      fitted.description = clip(fitted.description, Math.max(1, descriptionLength - excess));
    } else if (fields.length > 0) {
      // Nothing left to shorten but names and titles: drop the last field.
      fitted.fields = fields.slice(0, -1);
    } else {
      break;
    }
    excess = embedLength(fitted) - totalBudget;
  }
  return fitted;
}
