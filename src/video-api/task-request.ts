/**
 * One read of a task's status: the request, the answer's size cap, the error a non-2xx answer or an
 * error-only body means, and the API's own poll hint. The client (client.ts) adds retries and
 * normalisation on top.
 */
import {
  VideoApiError,
  cleanUpstreamText,
  errorCode,
  errorFromHttpStatus,
  innermostMessage,
  isNotFoundCode,
  parseJsonSafely,
} from './errors.js';
import { asVideoApiError, header, openRequest, readCappedText, type HttpContext } from './http.js';
import { ACCEPT_JSON } from './request-headers.js';

export interface TaskAnswer {
  body: Record<string, unknown>;
  pollAfterMs: number | undefined;
}

/** A JSON status answer is a few KiB; anything past this is not one. */
const MAX_STATUS_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;

export async function fetchTaskBody(
  ctx: HttpContext,
  url: URL,
  signal: AbortSignal | undefined,
): Promise<TaskAnswer> {
  const response = await openRequest(ctx, url, { accept: ACCEPT_JSON, signal });
  try {
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const text = await readCappedText(
      response.body,
      ok ? MAX_STATUS_BYTES : MAX_ERROR_BYTES,
      ok ? 'fail' : 'cut',
    );
    if (!ok) {
      throw errorFromHttpStatus({
        status: response.statusCode,
        bodyText: text,
        retryAfter: header(response.headers, 'retry-after'),
        nowMs: ctx.clock.now(),
        secrets: [ctx.apiKey],
        subject: 'task',
      });
    }
    const body = parseJsonSafely(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new VideoApiError({ kind: 'transient', message: 'The video API sent an unreadable answer.' });
    }
    const record = body as Record<string, unknown>;
    throwIfErrorDocument(record, [ctx.apiKey]);
    return { body: record, pollAfterMs: parsePollAfter(header(response.headers, 'openai-poll-after-ms')) };
  } catch (error) {
    response.body.destroy();
    throw asVideoApiError(error, signal);
  } finally {
    response.release();
  }
}

/** Some relays answer 200 with only an error envelope (e.g. new-api's `task_not_exist`). */
export function throwIfErrorDocument(body: Record<string, unknown>, secrets: readonly string[]): void {
  const data = body.data;
  const inner = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
  const hasStatus = [
    body.status,
    body.state,
    inner?.status,
    (body.detail as { status?: unknown } | undefined)?.status,
  ].some((value) => typeof value === 'string');
  if (hasStatus) return;
  const code = errorCode(body);
  const hasError =
    (body.error !== undefined && body.error !== null && body.error !== '') || code !== undefined;
  if (!hasError) return;
  if (isNotFoundCode(code)) {
    throw new VideoApiError({
      kind: 'not_found',
      message:
        'The video API has no task with this id (check the id, and that it was made with the same API key).',
    });
  }
  const upstream = innermostMessage(body);
  throw new VideoApiError({
    kind: 'bad_request',
    message: `The video API answered with an error${upstream === undefined ? '.' : `: ${cleanUpstreamText(upstream, secrets)}`}`,
  });
}

const MAX_POLL_AFTER_MS = 10 * 60_000;

/** `openai-poll-after-ms` (the Python SDK's poll hint): a positive whole number, capped at 10 minutes. */
function parsePollAfter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const ms = Number(value);
  return ms > 0 ? Math.min(ms, MAX_POLL_AFTER_MS) : undefined;
}
