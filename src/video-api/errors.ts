/**
 * Typed failures of the video API, so callers decide by `kind` and never by parsing text
 * (docs/video-api.md#unknown-tasks, #error-bodies, #http-status-codes). Every `message` is short and fit for a Discord user: it may quote
 * the innermost upstream message, clipped and scrubbed of anything that looks like a credential, but
 * never our key, headers or a raw upstream dump.
 */
export type VideoApiErrorKind =
  'invalid_id' | 'not_found' | 'unauthorized' | 'rate_limited' | 'transient' | 'bad_request' | 'expired';

/** Kinds where asking again cannot help: the task, the key or the file is gone for good. */
const TERMINAL_KINDS: ReadonlySet<VideoApiErrorKind> = new Set([
  'invalid_id',
  'not_found',
  'unauthorized',
  'expired',
]);

export interface VideoApiErrorInit {
  kind: VideoApiErrorKind;
  message: string;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

export class VideoApiError extends Error {
  override readonly name = 'VideoApiError';
  readonly kind: VideoApiErrorKind;
  /** The HTTP status that caused it, when there was a response. */
  readonly status: number | undefined;
  /** From `Retry-After` on a 429 (seconds or an HTTP date), in milliseconds from now. */
  readonly retryAfterMs: number | undefined;
  /**
   * True when retrying cannot help (invalid id, not found, unauthorised, expired). `bad_request` is not
   * terminal: relays answer odd 4xx for passing reasons (e.g. "not completed yet"), so a poller backs off
   * and lets its deadline decide.
   */
  readonly terminal: boolean;

  constructor(init: VideoApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.terminal = TERMINAL_KINDS.has(init.kind);
  }
}

export function isVideoApiError(error: unknown): error is VideoApiError {
  return error instanceof VideoApiError;
}

// ---------------------------------------------------------------------------------------------------
// Reading upstream error bodies
// ---------------------------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Parses JSON embedded in text such as `status 500, body={"error":{…}}`; undefined when there is none. */
function embeddedJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end <= start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1)) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The innermost human message of any error envelope we know (docs/video-api.md#error-bodies):
 * `{"error":{"message"}}`, `{"error":"text"}`, top-level `message`/`code`, FastAPI-style `detail`, and a
 * JSON document stringified inside `message` (new-api wrapping an upstream error), a few levels deep.
 */
export function innermostMessage(body: unknown, depth = 0): string | undefined {
  if (depth > 12) return undefined;
  if (typeof body === 'string') {
    const text = body.trim();
    if (text === '') return undefined;
    const nested = text.includes('{') ? embeddedJson(text) : undefined;
    return (nested === undefined ? undefined : innermostMessage(nested, depth + 1)) ?? text;
  }
  if (!isObject(body)) return undefined;
  const { error } = body;
  if (isObject(error)) {
    const fromError = innermostMessage(error, depth + 1);
    if (fromError !== undefined) return fromError;
  } else if (nonEmptyString(error) !== undefined) {
    return innermostMessage(error, depth + 1);
  }
  for (const key of ['message', 'detail', 'msg', 'error_description', 'fail_reason', 'failure_reason']) {
    const value = body[key];
    if (nonEmptyString(value) !== undefined || isObject(value)) {
      const found = innermostMessage(value, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return nonEmptyString(body.code);
}

/** The machine code of an error envelope (`error.code`, else a top-level `code` other than `success`). */
export function errorCode(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const inner = isObject(body.error) ? body.error.code : undefined;
  const code = typeof inner === 'number' ? String(inner) : nonEmptyString(inner);
  if (code !== undefined) return code;
  const top = typeof body.code === 'number' ? String(body.code) : nonEmptyString(body.code);
  return top !== undefined && top.toLowerCase() !== 'success' ? top : undefined;
}

const NOT_FOUND_CODES = new Set(['task_not_exist', 'task_not_found', 'not_found', 'video_not_found']);

export function isNotFoundCode(code: string | undefined): boolean {
  return code !== undefined && NOT_FOUND_CODES.has(code.toLowerCase());
}

// ---------------------------------------------------------------------------------------------------
// Scrubbing text we did not write
// ---------------------------------------------------------------------------------------------------

const CREDENTIAL_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // OpenAI-style keys, including the masked form "sk-abc***xyz" that 401 bodies echo.
  [/\bsk-[^\s"',;)]+/gi, 'sk-[redacted]'],
  [/\bBearer\s+[^\s"',;)]+/gi, 'Bearer [redacted]'],
  [
    /\b((?:api[_-]?key|access[_-]?token|token|secret|password|authorization)["']?\s*[:=]\s*["']?)[^\s"',;&)]+/gi,
    '$1[redacted]',
  ],
  // Long opaque runs with letters and digits look like tokens; ids in upstream text go too, which is fine.
  [/\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}\b/g, '[redacted]'],
];

/**
 * Makes upstream text safe to show: our own secrets and anything credential-like removed, control
 * characters and runs of whitespace collapsed, clipped to `maxLength` characters.
 */
export function cleanUpstreamText(text: string, secrets: readonly string[] = [], maxLength = 200): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  for (const [pattern, replacement] of CREDENTIAL_PATTERNS) out = out.replace(pattern, replacement);
  out = out
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > maxLength ? `${out.slice(0, maxLength - 1).trimEnd()}…` : out;
}

// ---------------------------------------------------------------------------------------------------
// HTTP answers → errors
// ---------------------------------------------------------------------------------------------------

const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** `Retry-After` as delta seconds or an HTTP date → milliseconds from `nowMs` (capped at an hour). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(Math.round(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

export interface HttpErrorInput {
  status: number;
  /** The response body as text (already size-capped by the caller); may be empty. */
  bodyText: string;
  retryAfter?: string | undefined;
  nowMs: number;
  secrets: readonly string[];
  /** True when the download link's `expires_at` has passed, so a 404/403 means "expired". */
  pastExpiry?: boolean | undefined;
  /** What was asked, for wording: the task status or the video file. */
  subject: 'task' | 'video';
  /** True for a download link on another host (a CDN): its 401/403 is about the link, not our key. */
  foreignHost?: boolean | undefined;
}

export function parseJsonSafely(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Classifies a non-2xx answer of the video API or a download host (docs/video-api.md#unknown-tasks, #http-status-codes). */
export function errorFromHttpStatus(input: HttpErrorInput): VideoApiError {
  const { status } = input;
  // Only structured (JSON) bodies are quoted: an HTML error page is an upstream dump, not a message.
  const body = parseJsonSafely(input.bodyText);
  const upstream = body === undefined ? undefined : innermostMessage(body);
  const detail = upstream === undefined ? '' : `: ${cleanUpstreamText(upstream, input.secrets)}`;
  const code = errorCode(body);

  if (status === 429) {
    const retryAfterMs = parseRetryAfter(input.retryAfter, input.nowMs);
    const when =
      retryAfterMs === undefined
        ? ''
        : ` Trying again in about ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s.`;
    return new VideoApiError({
      kind: 'rate_limited',
      status,
      retryAfterMs,
      message: `The video API is rate limiting requests (HTTP 429).${when}`,
    });
  }
  if ((status === 404 || status === 403 || status === 410) && input.pastExpiry === true) {
    return new VideoApiError({
      kind: 'expired',
      status,
      message: 'The video has expired on the video API and can no longer be downloaded.',
    });
  }
  if (input.foreignHost === true && [401, 403, 404, 410].includes(status)) {
    return new VideoApiError({
      kind: 'not_found',
      status,
      message: `The video's download link no longer works (HTTP ${status}).`,
    });
  }
  if (status === 401 || status === 403) {
    const what =
      status === 401
        ? 'The video API rejected the API key (HTTP 401)'
        : 'The API key has no access to this (HTTP 403)';
    return new VideoApiError({ kind: 'unauthorized', status, message: `${what}${detail}` });
  }
  if (status === 404 || status === 410 || (status === 400 && isNotFoundCode(code))) {
    const message =
      input.subject === 'task'
        ? 'The video API has no task with this id (check the id, and that it was made with the same API key).'
        : 'The video API has no video file for this task.';
    return new VideoApiError({ kind: 'not_found', status, message });
  }
  if (status >= 500 || status === 408 || status === 425) {
    return new VideoApiError({
      kind: 'transient',
      status,
      message: `The video API is having trouble (HTTP ${status})${detail}`,
    });
  }
  return new VideoApiError({
    kind: 'bad_request',
    status,
    message: `The video API refused the request (HTTP ${status})${detail}`,
  });
}

/** Network failures, timeouts and resets: always transient. The cause stays for logs only. */
export function transientNetworkError(cause: unknown): VideoApiError {
  const code = isObject(cause) && typeof cause.code === 'string' ? cause.code : '';
  const what = /TIMEOUT/i.test(code)
    ? 'timed out'
    : code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host not found'
        : 'connection failed';
  return new VideoApiError({ kind: 'transient', message: `Could not reach the video API (${what}).`, cause });
}
