/**
 * The one module that talks to the video API (OpenAI `/v1/videos` or any relay dialect of it).
 * Knows nothing of Discord. Every failure is a typed VideoApiError; the key is sent only in the
 * Authorization header to the API's own origin.
 */
import type { Logger } from '../../logger.js';
import { createSystemClock, type Clock } from '../clock.js';
import { downloadVideo, type DownloadResult } from './download.js';
import {
  VideoApiError,
  cleanUpstreamText,
  errorCode,
  errorFromHttpStatus,
  innermostMessage,
  isNotFoundCode,
  parseJsonSafely,
} from './errors.js';
import {
  asVideoApiError,
  createAgent,
  createSemaphore,
  header,
  openRequest,
  readCappedText,
  withRetries,
  type HttpContext,
  type RetryPolicy,
} from './http.js';
import { normalizeVideo } from './normalize.js';
import { ACCEPT_JSON } from './request-headers.js';
import { checkTaskId } from './task-id.js';
import type { VideoSnapshot } from './types.js';

export type { DownloadResult } from './download.js';

export interface VideoApiClientOptions {
  /** e.g. `https://api.openai.com/v1`; a trailing slash is tolerated. */
  baseUrl: string;
  apiKey: string;
  logger: Logger;
  /** Cap on requests in flight, downloads included (default 8). */
  maxInFlight?: number;
  /** Connect, headers and body (idle) timeouts, each (default 30 s). */
  timeoutMs?: number;
  /** For backoff sleeps and expiry checks (default: the system clock). */
  clock?: Clock;
  /** Transient retries, bounded (default 3 tries, 500 ms doubling up to 5 s). */
  retry?: RetryPolicy;
  /** Jitter source (default Math.random). */
  random?: () => number;
  /** How many task ids the client remembers for monotonic progress and log-once (default 5000). */
  rememberTasks?: number;
}

export interface VideoApiClient {
  /** One normalised snapshot; `previous` keeps progress monotonic across calls/restarts. Throws VideoApiError. */
  getVideo(
    id: string,
    options?: { previous?: VideoSnapshot | undefined; signal?: AbortSignal },
  ): Promise<VideoSnapshot>;
  /** Streams the MP4 to a temp file (never in memory). */
  downloadVideo(
    id: string,
    options: {
      maxBytes: number;
      /** The snapshot's videoUrl: tried first, `/content` is the fallback. */
      knownUrl?: string | undefined;
      /** Where the temp file goes (default os.tmpdir()). */
      directory?: string;
      signal?: AbortSignal;
      /** The snapshot's expiresAt: afterwards a 404 is reported as `expired`. Remembered from getVideo when omitted. */
      expiresAt?: Date | undefined;
      /** Called as bytes arrive (received, Content-Length when known). */
      onProgress?: (received: number, total: number | undefined) => void;
    },
  ): Promise<DownloadResult>;
  /** Waits for requests in flight, then closes every connection. */
  close(): Promise<void>;
}

interface TaskAnswer {
  body: Record<string, unknown>;
  pollAfterMs: number | undefined;
}

/** A JSON status answer is a few KiB; anything past this is not one. */
const MAX_STATUS_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;

export function createVideoApiClient(options: VideoApiClientOptions): VideoApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const ctx: HttpContext = {
    agent: createAgent(options.timeoutMs ?? 30_000),
    slots: createSemaphore(Math.max(1, options.maxInFlight ?? 8)),
    apiOrigin: new URL(baseUrl).origin,
    apiKey: options.apiKey,
    clock: options.clock ?? createSystemClock(),
    logger: options.logger,
    retry: options.retry ?? { attempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 },
    random: options.random ?? Math.random,
  };
  const memory = createTaskMemory(options.rememberTasks ?? 5_000);

  /** The id goes unchanged into one path segment: checkTaskId allows only `[A-Za-z0-9._:-]`. */
  const videoUrl = (id: string, suffix = '') => new URL(`${baseUrl}/videos/${id}${suffix}`);

  function requireTaskId(input: string): string {
    const checked = checkTaskId(input);
    if (!checked.ok) throw new VideoApiError({ kind: 'invalid_id', message: checked.reason });
    return checked.id;
  }

  async function fetchTaskBody(id: string, signal: AbortSignal | undefined): Promise<TaskAnswer> {
    const response = await openRequest(ctx, videoUrl(id), { accept: ACCEPT_JSON, signal });
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
      throwIfErrorDocument(record);
      return { body: record, pollAfterMs: parsePollAfter(header(response.headers, 'openai-poll-after-ms')) };
    } catch (error) {
      response.body.destroy();
      throw asVideoApiError(error, signal);
    } finally {
      response.release();
    }
  }

  /** Some relays answer 200 with only an error envelope (e.g. new-api's `task_not_exist`). */
  function throwIfErrorDocument(body: Record<string, unknown>): void {
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
      message: `The video API answered with an error${upstream === undefined ? '.' : `: ${cleanUpstreamText(upstream, [ctx.apiKey])}`}`,
    });
  }

  return {
    async getVideo(id, callOptions = {}) {
      const taskId = requireTaskId(id);
      const { signal } = callOptions;
      const { body, pollAfterMs } = await withRetries<TaskAnswer>(
        ctx,
        { taskId, op: 'getVideo' },
        signal,
        () => fetchTaskBody(taskId, signal),
      );
      const remembered = memory.get(taskId);
      const previous = callOptions.previous ?? (remembered ? { progress: remembered.progress } : undefined);
      const { snapshot, unrecognisedStatus } = normalizeVideo(body, {
        id: taskId,
        previous,
        secrets: [ctx.apiKey],
      });
      if (unrecognisedStatus !== undefined && remembered?.loggedStatus !== unrecognisedStatus) {
        ctx.logger.warn(
          { taskId, status: cleanUpstreamText(unrecognisedStatus, [ctx.apiKey], 80) },
          'unrecognised video status; counted as running',
        );
      }
      memory.set(taskId, {
        progress: snapshot.progress,
        loggedStatus: unrecognisedStatus ?? remembered?.loggedStatus,
        videoUrl: snapshot.videoUrl,
        expiresAtMs: snapshot.expiresAt?.getTime(),
      });
      return pollAfterMs === undefined ? snapshot : { ...snapshot, pollAfterMs };
    },

    async downloadVideo(id, downloadOptions) {
      const taskId = requireTaskId(id);
      const remembered = memory.get(taskId);
      return downloadVideo(ctx, {
        taskId,
        contentUrl: videoUrl(taskId, '/content'),
        knownUrl: downloadOptions.knownUrl ?? remembered?.videoUrl,
        maxBytes: downloadOptions.maxBytes,
        directory: downloadOptions.directory,
        signal: downloadOptions.signal,
        expiresAtMs: epochMs(downloadOptions.expiresAt) ?? remembered?.expiresAtMs,
        onProgress: downloadOptions.onProgress,
      });
    },

    async close() {
      await ctx.agent.close();
    },
  };
}

/** A Date, or the ISO text a Date became in a JSON store: callers pass restored snapshots straight in. */
function epochMs(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

const MAX_POLL_AFTER_MS = 10 * 60_000;

/** `openai-poll-after-ms` (the Python SDK's poll hint): a positive whole number, capped at 10 minutes. */
function parsePollAfter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const ms = Number(value);
  return ms > 0 ? Math.min(ms, MAX_POLL_AFTER_MS) : undefined;
}

// --- per-task memory ---------------------------------------------------------------------------------

interface RememberedTask {
  progress: number | undefined;
  /** The unrecognised status text already logged for this task, so it is logged once. */
  loggedStatus: string | undefined;
  videoUrl: string | undefined;
  expiresAtMs: number | undefined;
}

/** A small LRU: a Map keeps insertion order, so re-inserting on use makes the oldest entry first. */
function createTaskMemory(capacity: number) {
  const entries = new Map<string, RememberedTask>();
  return {
    get(id: string): RememberedTask | undefined {
      const entry = entries.get(id);
      if (entry !== undefined) {
        entries.delete(id);
        entries.set(id, entry);
      }
      return entry;
    },
    set(id: string, entry: RememberedTask): void {
      entries.delete(id);
      entries.set(id, entry);
      if (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
  };
}
