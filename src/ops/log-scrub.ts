import { pino } from 'pino';

/**
 * What never reaches a log line: known secret values (API key, bot token) and the tokens Discord puts in
 * URL paths. An interaction's token sits in `/interactions/<id>/<token>/callback` and in the follow-up
 * webhook `/webhooks/<application id>/<token>/…`; whoever holds it may answer as the bot for 15 minutes
 * (docs/discord-limits.md#interactions).
 */

const TOKEN_IN_PATH = /(\/(?:interactions|webhooks)\/\d+\/)[\w.-]+/g;

export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  return scrubUrlTokens(out);
}

/** Replaces the token part of interaction and webhook URLs (paths, or whole URLs) with `[REDACTED]`. */
export function scrubUrlTokens(text: string): string {
  if (!text.includes('/interactions/') && !text.includes('/webhooks/')) return text;
  return text.replace(TOKEN_IN_PATH, '$1[REDACTED]');
}

/**
 * Errors as log lines show them: pino's standard fields, without the request a discord.js error
 * carries (`requestBody`: whole JSON bodies and files) and with tokens out of its `url`.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const described = pino.stdSerializers.err(error) as Record<string, unknown>;
  delete described.requestBody;
  if (typeof described.url === 'string') described.url = scrubUrlTokens(described.url);
  return described;
}
