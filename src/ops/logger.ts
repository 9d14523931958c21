import { Writable } from 'node:stream';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { scrubSecrets, serializeError } from './log-scrub.js';

export type { Logger } from 'pino';
export { scrubSecrets } from './log-scrub.js';

/** Field paths that may carry a credential in any object we log. */
const REDACT_PATHS = [
  'apiKey',
  'token',
  'authorization',
  'Authorization',
  '*.apiKey',
  '*.token',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.apiKey',
  'config.discordToken',
  'discordToken',
];

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Secret values (API key, Discord token) scrubbed from every line, wherever they appear. */
  secrets: readonly string[];
  /** Where lines go; stdout when omitted. Tests pass a collector. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

/**
 * Path redaction covers fields we know about; errors are logged without the request they carried; the
 * scrubbing stream also catches a secret that slipped into free text (an upstream error echoing our
 * header, a stack trace, a Discord URL with an interaction token), so no log line ever holds one.
 */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets.filter((secret) => secret.length >= 4);
  const target = options.destination ?? pino.destination({ dest: 1, sync: false });
  const destination = scrubbingStream(target, secrets);
  return pino(
    {
      level: options.level,
      base: options.base ?? {},
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: { err: serializeError },
    },
    destination,
  );
}

function scrubbingStream(target: DestinationStream, secrets: readonly string[]): DestinationStream {
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      // Passed on at once, never buffered here: pino flushes its destination when the process exits,
      // so a fatal line written just before process.exit still reaches the output.
      target.write(scrubSecrets(chunk.toString(), secrets));
      callback();
    },
  });
}
