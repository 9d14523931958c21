/**
 * Secrets of every kind, counted wherever the campaign can see output: the bot's logs, what it sent to
 * Discord, and the campaign's own report. Every count must be 0.
 */
export interface Secrets {
  apiKey: string;
  discordToken: string;
  /** A header value upstream error bodies echo. */
  upstreamSecret: string;
}

export const SECRET_KINDS = [
  'apiKey',
  'botToken',
  'upstreamHeader',
  'interactionTokens',
  'webhookUrls',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];
export type SecretCounts = Record<SecretKind, number>;

/** An interaction webhook URL with its token still in it (a scrubbed one reads `[REDACTED]` there). */
const WEBHOOK_WITH_TOKEN = /\/webhooks\/\d+\/[\w.-]{20,}/g;

function occurrences(haystack: string, needles: readonly string[]): number {
  let count = 0;
  for (const needle of needles) if (needle.length > 0) count += haystack.split(needle).length - 1;
  return count;
}

/** The parts of a secret worth searching for: the whole, and its distinctive core if it is long. */
function needlesOf(value: string): string[] {
  return value.length >= 24 ? [value, value.slice(8, -8)] : [value];
}

export function countSecrets(
  text: string,
  secrets: Secrets,
  interactionTokens: readonly string[],
): SecretCounts {
  return {
    apiKey: occurrences(text, needlesOf(secrets.apiKey)),
    botToken: occurrences(text, needlesOf(secrets.discordToken)),
    upstreamHeader: occurrences(text, needlesOf(secrets.upstreamSecret)),
    interactionTokens: occurrences(text, interactionTokens.flatMap(needlesOf)),
    webhookUrls: text.match(WEBHOOK_WITH_TOKEN)?.length ?? 0,
  };
}

export function totalOf(counts: SecretCounts): number {
  return SECRET_KINDS.reduce((sum, kind) => sum + counts[kind], 0);
}

export function sumCounts(...all: SecretCounts[]): SecretCounts {
  return Object.fromEntries(
    SECRET_KINDS.map((kind) => [kind, all.reduce((sum, counts) => sum + counts[kind], 0)]),
  ) as SecretCounts;
}
