import { DefaultRestOptions, type RESTOptions } from 'discord.js';

/**
 * Discord REST timeouts sized by what a request carries (docs/discord-limits.md#upload-limits): an answer
 * within 60 s for everything, but an upload is given time for its bytes at a slow 1 MiB/s plus 30 s,
 * so 100 MiB gets 130 s. Done per network attempt in `makeRequest`, inside the one REST manager, so
 * uploads keep sharing rate-limit buckets with every other request of the bot.
 */
export const REST_TIMEOUT_MS = 60_000;
const MiB = 1024 * 1024;
const UPLOAD_BYTES_PER_SECOND = MiB;
const UPLOAD_GRACE_MS = 30_000;
/** The largest request Discord takes (boost tier 3): the REST manager's own timer, as a ceiling. */
const LARGEST_UPLOAD_BYTES = 100 * MiB;

/** How long a request carrying `uploadBytes` of files may take to be answered. */
export function uploadTimeoutMs(uploadBytes: number, baseMs = REST_TIMEOUT_MS): number {
  return Math.max(baseMs, Math.ceil((uploadBytes / UPLOAD_BYTES_PER_SECOND) * 1000) + UPLOAD_GRACE_MS);
}

type MakeRequest = RESTOptions['makeRequest'];

/** REST options: `baseMs` for a request without files, more for an upload (see above). */
export function sizedRestTimeouts(
  baseMs = REST_TIMEOUT_MS,
  send: MakeRequest = DefaultRestOptions.makeRequest,
): Pick<RESTOptions, 'timeout' | 'makeRequest'> {
  return {
    timeout: uploadTimeoutMs(LARGEST_UPLOAD_BYTES, baseMs),
    async makeRequest(url, init) {
      const files = fileBytes(init.body);
      const own = AbortSignal.timeout(files === undefined ? baseMs : uploadTimeoutMs(files, baseMs));
      // Either ends the attempt: ours, or the manager's (its ceiling, or a caller's signal).
      const signal = init.signal ? AbortSignal.any([init.signal, own]) : own;
      return send(url, { ...init, signal });
    },
  };
}

/** The bytes of the files in a multipart body, or undefined when it carries none. */
function fileBytes(body: unknown): number | undefined {
  if (!(body instanceof FormData)) return undefined;
  let total: number | undefined;
  for (const [, value] of body.entries()) {
    if (typeof value !== 'string') total = (total ?? 0) + value.size;
  }
  return total;
}
