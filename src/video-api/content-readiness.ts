/**
 * What a JSON answer of `GET /videos/{id}/content` means, and how long to wait for a file that is not
 * there yet. Pure: no I/O, no clock.
 *
 * Official-shape APIs stream the bytes; relays answer JSON instead (docs/video-api.md#the-content-endpoint):
 * - a link to follow (anyfast: `{url, video_url}`);
 * - while the file is still being produced, sometimes after the status already says completed, the
 *   shape the relay documents for its 200 answer (test/fixtures/specs/relay-seed-000-video-content.yaml):
 *   `{id, status, video_url: null, enhanced_prompt, status_update_time}`. That is "no file yet",
 *   never a failed download;
 * - `status: failed`, which is a failure with its reason;
 * - an error envelope.
 */
import { cleanUpstreamText, errorCode, innermostMessage, isNotFoundCode } from './errors.js';
import { classifyStatus, findVideoUrl, normalizeVideo } from './normalize.js';

export type ContentDocument =
  | { kind: 'link'; url: string }
  /** The API has no file yet; `rawStatus` is its own word for the task, when it gave one. */
  | { kind: 'not_ready'; rawStatus: string | undefined }
  | { kind: 'failed'; reason: string }
  | { kind: 'not_found' }
  /** An error envelope; `message` is the innermost upstream text, already cleaned. */
  | { kind: 'error'; message: string | undefined }
  /** JSON with neither a link, a status nor an error (a bare string, an empty object…). */
  | { kind: 'unrecognised' };

export function readContentDocument(document: unknown, secrets: readonly string[]): ContentDocument {
  const link = findVideoUrl(document);
  if (link !== undefined) return { kind: 'link', url: link };
  const body = unwrap(document);
  if (body === undefined) return { kind: 'unrecognised' };
  if (isNotFoundCode(errorCode(body))) return { kind: 'not_found' };

  const status =
    typeof body.status === 'string' && body.status.trim() !== '' ? body.status.trim() : undefined;
  if (status !== undefined) {
    if (classifyStatus(status) === 'failed') {
      const { snapshot } = normalizeVideo(body, { id: '', secrets });
      return {
        kind: 'failed',
        reason: snapshot.failure?.reason ?? 'The video API reported the video as failed without a reason.',
      };
    }
    // Queued, running, completed without a link, or a word we do not know: no file yet.
    return { kind: 'not_ready', rawStatus: cleanUpstreamText(status, secrets, 40) };
  }
  const hasError = (body.error !== undefined && body.error !== null && body.error !== '') || errorCode(body);
  if (hasError) {
    const upstream = innermostMessage(body);
    return {
      kind: 'error',
      message: upstream === undefined ? undefined : cleanUpstreamText(upstream, secrets),
    };
  }
  // `video_url: null` and nothing else still says "the file is not there yet".
  if ('video_url' in body && (body.video_url === null || body.video_url === '')) {
    return { kind: 'not_ready', rawStatus: undefined };
  }
  return { kind: 'unrecognised' };
}

/** new-api's legacy envelope `{code, data: {…}}` holds the task in `data`. */
function unwrap(document: unknown): Record<string, unknown> | undefined {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return undefined;
  const record = document as Record<string, unknown>;
  const data = record.data;
  if (record.status === undefined && typeof data === 'object' && data !== null && !Array.isArray(data)) {
    return data as Record<string, unknown>;
  }
  return record;
}

// --- waiting for the file ------------------------------------------------------------------------

/**
 * How long a finished task may answer "no file yet" before we stop waiting and link (or explain)
 * instead: apiyi advises a 10-minute maximum wait for its Sora tasks (docs/video-api.md#refresh-cadence-and-polling).
 */
export const NOT_READY_GIVE_UP_MS = 10 * 60_000;

export interface NotReadyBackoff {
  /** Delay before the second try; it doubles from there. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Stop waiting this long after the first "no file yet". */
  giveUpAfterMs: number;
}

/** Delay after the `attempts`-th "no file yet" (1-based): first, 2×first, 4×first… up to max. */
export function notReadyRetryDelay(attempts: number, backoff: NotReadyBackoff): number {
  const exponent = Math.min(30, Math.max(0, attempts - 1));
  return Math.min(backoff.maxDelayMs, backoff.firstDelayMs * 2 ** exponent);
}

/** Try again (and when), or give up once the bound has passed; the last try falls on the bound. */
export function nextNotReadyStep(
  wait: { since: number; attempts: number },
  now: number,
  backoff: NotReadyBackoff,
): { kind: 'retry'; at: number } | { kind: 'give_up' } {
  const deadline = wait.since + backoff.giveUpAfterMs;
  if (now >= deadline) return { kind: 'give_up' };
  return { kind: 'retry', at: Math.min(now + notReadyRetryDelay(wait.attempts, backoff), deadline) };
}
