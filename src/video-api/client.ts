/**
 * The one module that talks to the video API (OpenAI `/v1/videos` or any relay dialect of it).
 * Knows nothing of Discord. Every failure is a typed VideoApiError; the key is sent only in the
 * Authorization header to the API's own origin.
 */
import type { Logger } from '../ops/logger.js';
import { createSystemClock, type Clock } from '../scheduling/clock.js';
import { downloadVideo, type DownloadResult } from './download.js';
import { withDownloadDeadline } from './download-deadline.js';
import { VideoApiError, cleanUpstreamText } from './errors.js';
import { createGuardedAgent } from './address-guard.js';
import { createAgent, createSemaphore, withRetries, type HttpContext, type RetryPolicy } from './http.js';
import { normalizeVideo } from './normalize.js';
import { fetchTaskBody, type TaskAnswer } from './task-request.js';
import { createTaskMemory } from './task-memory.js';
import { checkTaskId } from '../domain/task-id.js';
import type { VideoSnapshot } from '../domain/video.js';

export type { DownloadResult } from './download.js';

export interface VideoApiClientOptions {
  /** Your relay's OpenAI-format base, e.g. `https://relay.example.com/v1`; a trailing slash is tolerated. */
  baseUrl: string;
  apiKey: string;
  logger: Logger;
  /** Cap on status requests in flight (default 8). */
  maxInFlight?: number;
  /** Cap on downloads in flight, apart from status requests so that slow files never stall polling (default 4). */
  maxDownloads?: number;
  /** How long one download may take in all, first request to last byte (default 10 minutes). */
  downloadDeadlineMs?: number;
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
  /**
   * Fetch links to loopback, private and link-local addresses when they come from the API's answers
   * (default false: refused, see address-guard.ts). The API's own origin is always reached.
   */
  allowPrivateUrls?: boolean;
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

/** The HTTP side of a client: its agents, its slots for status requests, its key and retries. */
function httpContextOf(options: VideoApiClientOptions, baseUrl: string): HttpContext {
  return {
    agent: createAgent(options.timeoutMs ?? 30_000),
    foreignAgent: options.allowPrivateUrls ? undefined : createGuardedAgent(options.timeoutMs ?? 30_000),
    slots: createSemaphore(Math.max(1, options.maxInFlight ?? 8)),
    apiOrigin: new URL(baseUrl).origin,
    apiKey: options.apiKey,
    clock: options.clock ?? createSystemClock(),
    logger: options.logger,
    retry: options.retry ?? { attempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 },
    random: options.random ?? Math.random,
  };
}

export function createVideoApiClient(options: VideoApiClientOptions): VideoApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const ctx = httpContextOf(options, baseUrl);
  const memory = createTaskMemory(options.rememberTasks ?? 5_000);
  // Downloads take slots of their own: eight slow files must never hold every status poll up.
  const downloadCtx: HttpContext = { ...ctx, slots: createSemaphore(Math.max(1, options.maxDownloads ?? 4)) };
  const downloadDeadlineMs = options.downloadDeadlineMs ?? 10 * 60_000;

  /** The id goes unchanged into one path segment: checkTaskId allows only `[A-Za-z0-9._:-]`. */
  const videoUrl = (id: string, suffix = '') => new URL(`${baseUrl}/videos/${id}${suffix}`);

  function requireTaskId(input: string): string {
    const checked = checkTaskId(input);
    if (!checked.ok) throw new VideoApiError({ kind: 'invalid_id', message: checked.reason });
    return checked.id;
  }

  return {
    async getVideo(id, callOptions = {}) {
      const taskId = requireTaskId(id);
      const { signal } = callOptions;
      const { body, pollAfterMs } = await withRetries<TaskAnswer>(
        ctx,
        { taskId, op: 'getVideo' },
        signal,
        () => fetchTaskBody(ctx, videoUrl(taskId), signal),
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
      return withDownloadDeadline(ctx.clock, downloadDeadlineMs, downloadOptions.signal, (signal) =>
        downloadVideo(downloadCtx, {
          taskId,
          contentUrl: videoUrl(taskId, '/content'),
          knownUrl: downloadOptions.knownUrl ?? remembered?.videoUrl,
          maxBytes: downloadOptions.maxBytes,
          directory: downloadOptions.directory,
          signal,
          expiresAtMs: epochMs(downloadOptions.expiresAt) ?? remembered?.expiresAtMs,
          onProgress: downloadOptions.onProgress,
        }),
      );
    },

    async close() {
      await Promise.all([ctx.agent.close(), ctx.foreignAgent?.close()]);
    },
  };
}

/** A Date, or the ISO text a Date became in a JSON store: callers pass restored snapshots straight in. */
function epochMs(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
