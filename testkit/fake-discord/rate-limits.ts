/**
 * Discord's rate limits as fixed windows on the fake's clock (topics/rate-limits.mdx):
 * - global: 50 requests per second per bot (interaction callbacks and webhook routes are exempt);
 * - a per-channel bucket shared by message creates and edits, 5 per 5 s (its real size is not
 *   documented; this is what Discord has announced and what bots observe);
 * - edits of messages older than an hour, 3 per 6 s per channel, answered with 429 code 30046.
 * Windows follow the injected clock, so a test advances time instead of waiting; a test that runs a
 * header-following client in real time can shrink the windows instead (`rateLimits` option).
 */
import { createHash } from 'node:crypto';
import { ErrorCode } from './constants.js';
import { seconds } from './time.js';

export interface RateWindow {
  limit: number;
  windowMs: number;
}

export interface RateLimitOptions {
  global: RateWindow;
  messageWrites: RateWindow;
  oldMessageEdits: RateWindow;
}

export const DEFAULT_RATE_LIMITS: RateLimitOptions = {
  global: { limit: 50, windowMs: 1000 },
  messageWrites: { limit: 5, windowMs: 5000 },
  oldMessageEdits: { limit: 3, windowMs: 6000 },
};

export type RateLimitScope = 'user' | 'global' | 'shared';

/** One limit a request must pass. */
export interface LimitCheck {
  /** Bucket name plus major parameter, e.g. `message-writes:<channel id>`. */
  key: string;
  window: RateWindow;
  scope: RateLimitScope;
  /** The bucket's id in `X-RateLimit-Bucket`; limits without one are not announced in headers. */
  bucket?: string;
  /** Error code in the 429 body, for limits that carry one (30046). */
  code?: number;
  message?: string;
}

export type RateLimitVerdict =
  | { ok: true; headers: Record<string, string> }
  | {
      ok: false;
      scope: RateLimitScope;
      headers: Record<string, string>;
      body: { message: string; retry_after: number; global: boolean; code?: number };
    };

/** An opaque bucket id like Discord's (a hash that is the same for every route sharing the bucket). */
export function bucketId(name: string): string {
  return createHash('md5').update(name).digest('hex');
}

export const Buckets = {
  messageWrites: bucketId('channel-message-writes'),
};

export function messageWriteCheck(channelId: string, limits: RateLimitOptions): LimitCheck {
  return {
    key: `message-writes:${channelId}`,
    window: limits.messageWrites,
    scope: 'user',
    bucket: Buckets.messageWrites,
  };
}

export function oldMessageEditCheck(channelId: string, limits: RateLimitOptions): LimitCheck {
  return {
    key: `old-message-edits:${channelId}`,
    window: limits.oldMessageEdits,
    // Not documented; it is a per-resource limit, so it is answered like other per-resource ones.
    scope: 'shared',
    code: ErrorCode.MaxEditsToOldMessages,
    message: 'Maximum number of edits to messages older than 1 hour reached. Try again later',
  };
}

export function globalCheck(token: string, limits: RateLimitOptions): LimitCheck {
  return { key: `global:${token}`, window: limits.global, scope: 'global' };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

export function createRateLimiter(now: () => number) {
  const windows = new Map<string, { used: number; resetAt: number }>();

  function state(check: LimitCheck) {
    const current = windows.get(check.key);
    if (current && now() < current.resetAt) return current;
    // A window opens with the first request after the previous one ended.
    const fresh = { used: 0, resetAt: now() + check.window.windowMs };
    windows.set(check.key, fresh);
    return fresh;
  }

  function bucketHeaders(check: LimitCheck, used: number, resetAt: number): Record<string, string> {
    if (!check.bucket) return {};
    return {
      'X-RateLimit-Limit': String(check.window.limit),
      'X-RateLimit-Remaining': String(Math.max(0, check.window.limit - used)),
      'X-RateLimit-Reset': seconds(resetAt).toFixed(3),
      'X-RateLimit-Reset-After': seconds(resetAt - now()).toFixed(3),
      'X-RateLimit-Bucket': check.bucket,
    };
  }

  return {
    /** Passes the request through every check, or names the first limit it hits. Only passes count. */
    check(checks: readonly LimitCheck[]): RateLimitVerdict {
      const announced = checks.find((c) => c.bucket);
      const announcedHeaders = () => {
        if (!announced) return {};
        const s = state(announced);
        return bucketHeaders(announced, s.used, s.resetAt);
      };
      for (const check of checks) {
        const s = state(check);
        if (s.used < check.window.limit) continue;
        const retryAfterMs = s.resetAt - now();
        const headers: Record<string, string> = {
          ...announcedHeaders(),
          'Retry-After': String(Math.ceil(retryAfterMs / 1000)),
          'X-RateLimit-Scope': check.scope,
          ...(check.scope === 'global' ? { 'X-RateLimit-Global': 'true' } : {}),
        };
        return {
          ok: false,
          scope: check.scope,
          headers,
          body: {
            message: check.message ?? 'You are being rate limited.',
            retry_after: seconds(retryAfterMs),
            global: check.scope === 'global',
            ...(check.code === undefined ? {} : { code: check.code }),
          },
        };
      }
      for (const check of checks) state(check).used += 1;
      return { ok: true, headers: announcedHeaders() };
    },
  };
}
