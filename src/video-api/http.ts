/**
 * The HTTP plumbing shared by status reads and downloads: one undici Agent, a cap on requests in
 * flight, manual redirects (so we decide who sees the Authorization header), bounded body reads and
 * bounded retries with exponential backoff and jitter.
 */
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { PrivateAddressError, assertPublicLiteral } from './address-guard.js';
import { VideoApiError, transientNetworkError } from './errors.js';
import { requestHeaders } from './request-headers.js';

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface HttpContext {
  /** For the API's own origin. */
  agent: Agent;
  /**
   * For links to any other origin: refuses private and special addresses (address-guard.ts). Undefined
   * when the operator allows them (ALLOW_PRIVATE_VIDEO_URLS): `agent` then serves every link.
   */
  foreignAgent: Agent | undefined;
  slots: Semaphore;
  /** `scheme://host:port` of the API: the only origin that ever receives the key. */
  apiOrigin: string;
  apiKey: string;
  clock: Clock;
  logger: Logger;
  retry: RetryPolicy;
  random: () => number;
}

export function createAgent(timeoutMs: number): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 10 * 60_000,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

// --- requests in flight ----------------------------------------------------------------------------

export interface Semaphore {
  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

export function createSemaphore(limit: number): Semaphore {
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const once = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };
  return {
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      if (active < limit) {
        active++;
        return Promise.resolve(once());
      }
      return new Promise((resolve, reject) => {
        // A released slot passes straight to the next waiter, so `active` stays as it is.
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(once());
        };
        const onAbort = () => {
          const index = waiting.indexOf(grant);
          if (index !== -1) waiting.splice(index, 1);
          reject(signal?.reason as Error);
        };
        waiting.push(grant);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

// --- one request, redirects followed by hand ---------------------------------------------------------

export const MAX_REDIRECTS = 5;

export interface OpenResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump(): Promise<void> };
  /** The URL that finally answered, after redirects. */
  url: URL;
  /** Frees the in-flight slot; call once the body is consumed or destroyed. */
  release(): void;
}

/**
 * GETs `url`, following up to 5 redirects. The key and the JSON headers go only to the API's own origin:
 * a redirect or a link to any other host (another port counts) is fetched without them.
 */
export async function openRequest(
  ctx: HttpContext,
  url: URL,
  options: { accept: string; signal?: AbortSignal | undefined },
): Promise<OpenResponse> {
  const release = await ctx.slots.acquire(options.signal);
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      const guarded = current.origin !== ctx.apiOrigin ? ctx.foreignAgent : undefined;
      if (guarded) assertPublicLiteral(current);
      const response = await request(current, {
        method: 'GET',
        headers: requestHeaders(ctx, current, options.accept),
        dispatcher: guarded ?? ctx.agent,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const location = header(response.headers, 'location');
      if (response.statusCode >= 300 && response.statusCode < 400 && location !== undefined) {
        await response.body.dump();
        if (hop >= MAX_REDIRECTS) {
          throw new VideoApiError({
            kind: 'bad_request',
            status: response.statusCode,
            message: `The video API redirected more than ${MAX_REDIRECTS} times.`,
          });
        }
        const next = new URL(location, current);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          throw new VideoApiError({
            kind: 'bad_request',
            message: 'The video API redirected to a non-HTTP link.',
          });
        }
        current = next;
        continue;
      }
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        url: current,
        release,
      };
    }
  } catch (error) {
    release();
    throw asVideoApiError(error, options.signal);
  }
}

/** Our own errors pass through, the caller's abort stays an abort, anything else is a network failure. */
export function asVideoApiError(error: unknown, signal: AbortSignal | undefined): unknown {
  if (error instanceof VideoApiError) return error;
  if (signal?.aborted) return signal.reason;
  const refused = privateAddressIn(error);
  if (refused) {
    // Asking again reaches the same address: not transient.
    return new VideoApiError({
      kind: 'bad_request',
      message: 'The video link points to a private network address, which the bot does not fetch.',
      cause: refused,
    });
  }
  return transientNetworkError(error);
}

function privateAddressIn(error: unknown): PrivateAddressError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof PrivateAddressError) return current;
    current = current.cause;
  }
  return undefined;
}

export function header(headers: OpenResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads at most `cap` bytes of a body as UTF-8. `overflow: 'cut'` keeps the head (error bodies);
 * `'fail'` treats an oversized answer as unreadable.
 */
export async function readCappedText(body: Readable, cap: number, overflow: 'cut' | 'fail'): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > cap) {
      if (overflow === 'fail') {
        body.destroy();
        throw new VideoApiError({
          kind: 'transient',
          message: 'The video API sent an answer far larger than expected.',
        });
      }
      chunks.push(chunk.subarray(0, cap - size));
      size = cap;
      break; // leaving the loop destroys the rest of the body
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

// --- retries -----------------------------------------------------------------------------------------

/** Exponential backoff with "equal jitter": half the ceiling fixed, half random, never above maxDelayMs. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Runs `attempt` again on transient failures only, at most `retry.attempts` times in all. */
export async function withRetries<T>(
  ctx: HttpContext,
  what: Record<string, unknown>,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof VideoApiError) || error.kind !== 'transient' || tries >= ctx.retry.attempts)
        throw error;
      const delayMs = backoffDelay(tries, ctx.retry, ctx.random);
      ctx.logger.debug(
        { ...what, err: error, attempt: tries, delayMs },
        'transient video API failure; retrying',
      );
      await ctx.clock.sleep(delayMs, signal);
    }
  }
}
