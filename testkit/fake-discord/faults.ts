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

/** An outage: every request on `routes` (any route when omitted) fails with `status` until ended. */
export interface OutageSpec {
  routes?: readonly string[];
  /** Default 503. */
  status?: number;
}

export interface FaultAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  scope: RateLimitScope;
}

export type Faults = ReturnType<typeof createFaults>;

/**
 * A request held at one moment of its handling, so a test can act (kill the bot) exactly then:
 * `before` — it arrived but Discord has done nothing yet; `after` — Discord did it, the answer is withheld.
 */
export interface HoldSpec {
  method?: string;
  route?: string;
  phase: 'before' | 'after';
}

/**
 * The next `count` matching requests are answered only after `delayMs` (a Discord that takes an upload
 * slowly); one whose client gave up meanwhile is dropped unanswered, as if its body never arrived.
 */
export interface DelaySpec {
  method?: string;
  route?: string;
  /** Only requests carrying files (multipart bodies). */
  withFiles?: boolean;
  delayMs: number;
  /** Default 1. */
  count?: number;
}

export interface Hold {
  /** Resolves when a matching request is being held. */
  readonly reached: Promise<void>;
  /** Lets the held request go on (`before`: it is then handled; `after`: its answer is sent). */
  release(): void;
  /** Abandons the held request: nothing more is done for it and its connection is closed. */
  drop(): void;
}

interface PendingHold extends HoldSpec {
  arrive(): void;
  outcome: Promise<'release' | 'drop'>;
}

export function createFaults() {
  let pending: (FaultSpec & { remaining: number })[] = [];
  let holds: PendingHold[] = [];
  let delays: (DelaySpec & { remaining: number })[] = [];
  const outages = new Set<OutageSpec>();

  return {
    /** Holds the next request matching `spec` at the given phase; see `Hold`. */
    holdNext(spec: HoldSpec): Hold {
      let arrive = () => {};
      const reached = new Promise<void>((resolve) => (arrive = resolve));
      let decide: (outcome: 'release' | 'drop') => void = () => {};
      const outcome = new Promise<'release' | 'drop'>((resolve) => (decide = resolve));
      holds.push({ ...spec, arrive, outcome });
      return { reached, release: () => decide('release'), drop: () => decide('drop') };
    },
    /** The hold for this request at this phase, if a test asked for one (taken once). */
    takeHold(method: string, route: string, phase: HoldSpec['phase']): PendingHold | undefined {
      const hold = holds.find(
        (h) =>
          h.phase === phase &&
          (h.method === undefined || h.method === method) &&
          (h.route === undefined || h.route === route),
      );
      if (hold) holds = holds.filter((h) => h !== hold);
      return hold;
    },
    delayNext(spec: DelaySpec) {
      delays.push({ ...spec, remaining: spec.count ?? 1 });
    },
    /** How long to wait before handling this request (0: at once). */
    takeDelay(method: string, route: string, withFiles: boolean): number {
      const delay = delays.find(
        (d) =>
          (d.method === undefined || d.method === method) &&
          (d.route === undefined || d.route === route) &&
          (!d.withFiles || withFiles),
      );
      if (!delay) return 0;
      delay.remaining -= 1;
      if (delay.remaining <= 0) delays = delays.filter((d) => d !== delay);
      return delay.delayMs;
    },
    failNext(spec: FaultSpec = {}) {
      pending.push({ ...spec, remaining: spec.count ?? 1 });
    },
    /** Fails every matching request until the returned function is called (Discord down for a while). */
    outage(spec: OutageSpec = {}): () => void {
      outages.add(spec);
      return () => void outages.delete(spec);
    },
    /** Faults not yet used up. */
    pending: () => pending.reduce((n, f) => n + f.remaining, 0),
    clear() {
      pending = [];
      holds = [];
      delays = [];
      outages.clear();
    },
    take(method: string, route: string): FaultAnswer | undefined {
      for (const outage of outages) {
        if (outage.routes !== undefined && !outage.routes.includes(route)) continue;
        const status = outage.status ?? 503;
        return {
          status,
          scope: 'user',
          headers: {},
          body: { message: `${status}: Service Unavailable`, code: 0 },
        };
      }
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
