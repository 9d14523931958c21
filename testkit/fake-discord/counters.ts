/** What the fake served, for assertions and benchmark figures. Times are on the fake's clock. */
import { Limits } from './constants.js';
import type { RateLimitScope } from './rate-limits.js';

export interface RequestLogEntry {
  at: number;
  method: string;
  /** Route template, e.g. `/channels/:channel_id/messages`; the raw path for unknown routes. */
  route: string;
  path: string;
  status: number;
  /** JSON error code of an error answer. */
  code?: number;
  /** Scope of a 429. */
  scope?: RateLimitScope;
}

export type Counters = ReturnType<typeof createCounters>;

export function createCounters(now: () => number, logLimit = 100_000) {
  let byRoute = new Map<string, number>();
  let rateLimited: Record<RateLimitScope, number> = { user: 0, global: 0, shared: 0 };
  let invalidAt: number[] = [];
  let unknownRoutes: { method: string; path: string; at: number }[] = [];
  let log: RequestLogEntry[] = [];
  let bytesUploaded = 0;
  let lastSecond: number[] = [];
  let peakPerSecond = 0;

  return {
    record(entry: RequestLogEntry) {
      const key = `${entry.method} ${entry.route}`;
      byRoute.set(key, (byRoute.get(key) ?? 0) + 1);
      if (entry.status === 429 && entry.scope) rateLimited[entry.scope] += 1;
      // Discord's invalid request limit (10,000 per 10 min) counts 401, 403 and 429, except shared 429s.
      if (entry.status === 401 || entry.status === 403 || (entry.status === 429 && entry.scope !== 'shared'))
        invalidAt.push(entry.at);
      lastSecond.push(entry.at);
      while (lastSecond.length > 0 && lastSecond[0]! <= entry.at - 1000) lastSecond.shift();
      peakPerSecond = Math.max(peakPerSecond, lastSecond.length);
      log.push(entry);
      // Trimmed by half a limit at a time: a copy of the whole log on every request past the limit made
      // this process the bottleneck of long runs (the soak row, docs/performance.md#soak).
      if (log.length > logLimit * 1.5) log = log.slice(-logLimit);
    },
    recordUnknownRoute(method: string, path: string) {
      unknownRoutes.push({ method, path, at: now() });
    },
    recordUpload(bytes: number) {
      bytesUploaded += bytes;
    },

    /** Requests per `METHOD /route/template`. */
    requestsByRoute: (): Record<string, number> => Object.fromEntries(byRoute),
    requests: (method: string, route: string): number => byRoute.get(`${method} ${route}`) ?? 0,
    totalRequests: (): number => [...byRoute.values()].reduce((a, b) => a + b, 0),
    /** 429s served, by `X-RateLimit-Scope`. */
    rateLimited: (): Readonly<Record<RateLimitScope, number>> => ({ ...rateLimited }),
    /** 401/403/429 answers in the last 10 minutes: Discord bans an IP at 10,000. */
    invalidRequests(): number {
      invalidAt = invalidAt.filter((at) => at > now() - Limits.invalidRequestWindowMs);
      return invalidAt.length;
    },
    bytesUploaded: (): number => bytesUploaded,
    /** Requests the fake does not know (answered 404): a bot should make none. */
    unknownRoutes: () => [...unknownRoutes],
    /** The most API requests seen within any one second. */
    peakRequestsPerSecond: () => peakPerSecond,
    /** Every answered request, oldest first (the last 100,000). */
    log: (): readonly RequestLogEntry[] => (log.length > logLimit ? log.slice(-logLimit) : log),
    reset() {
      byRoute = new Map();
      rateLimited = { user: 0, global: 0, shared: 0 };
      invalidAt = [];
      unknownRoutes = [];
      log = [];
      bytesUploaded = 0;
      lastSecond = [];
      peakPerSecond = 0;
    },
  };
}
