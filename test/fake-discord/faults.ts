/**
 * Failures on demand: the next `count` requests matching a method and route template get `status`
 * instead of being served (e.g. a 502 from Discord's edge, or a 429 the client did not see coming).
 */
import { seconds } from './time.js';
import type { RateLimitScope } from './rate-limits.js';

export interface FaultSpec {
  /** HTTP method; any when omitted. */
  method?: string;
  /** Route template such as `/channels/:channel_id/messages`; any when omitted. */
  route?: string;
  /** Default 500. */
  status?: number;
  /** JSON error code for 4xx answers. */
  code?: number;
  message?: string;
  /** How many matching requests fail (default 1). */
  count?: number;
  /** For status 429: how long the client must wait (default 1000 ms) and the scope reported. */
  retryAfterMs?: number;
  scope?: RateLimitScope;
}

export interface FaultAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  scope: RateLimitScope;
}

export type Faults = ReturnType<typeof createFaults>;

export function createFaults() {
  let pending: (FaultSpec & { remaining: number })[] = [];

  return {
    failNext(spec: FaultSpec = {}) {
      pending.push({ ...spec, remaining: spec.count ?? 1 });
    },
    /** Faults not yet used up. */
    pending: () => pending.reduce((n, f) => n + f.remaining, 0),
    clear() {
      pending = [];
    },
    take(method: string, route: string): FaultAnswer | undefined {
      const fault = pending.find(
        (f) =>
          (f.method === undefined || f.method === method) && (f.route === undefined || f.route === route),
      );
      if (!fault) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) pending = pending.filter((f) => f !== fault);
      const status = fault.status ?? 500;
      const scope = fault.scope ?? 'user';
      if (status === 429) {
        const retryAfterMs = fault.retryAfterMs ?? 1000;
        return {
          status,
          scope,
          headers: {
            'Retry-After': String(Math.ceil(retryAfterMs / 1000)),
            'X-RateLimit-Scope': scope,
            ...(scope === 'global' ? { 'X-RateLimit-Global': 'true' } : {}),
          },
          body: {
            message: fault.message ?? 'You are being rate limited.',
            retry_after: seconds(retryAfterMs),
            global: scope === 'global',
            ...(fault.code === undefined ? {} : { code: fault.code }),
          },
        };
      }
      return {
        status,
        scope,
        headers: {},
        body: { message: fault.message ?? `${status}: Injected failure`, code: fault.code ?? 0 },
      };
    },
  };
}
