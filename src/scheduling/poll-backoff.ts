/**
 * The poll scheduler's timing rules, as plain functions: how intervals grow and shrink, how far they are
 * jittered, how long to wait after an error or a rate limit. `random` is passed in so that every rule is
 * a function of its arguments (a test gives a fixed one).
 */

export interface PollTiming {
  /** No task is polled more often than this on its own schedule. */
  readonly minIntervalMs: number;
  /** Where backoff stops. */
  readonly maxIntervalMs: number;
  /** The longest delay a custom strategy may ask for; never below maxIntervalMs. */
  readonly maxStrategyDelayMs: number;
  /** Spread of each built-in delay, e.g. 0.1 → ±10 %. */
  readonly jitterRatio: number;
  /** Interval growth per unchanged poll. */
  readonly backoffFactor: number;
}

export interface PollTimingOptions {
  minIntervalMs: number;
  maxIntervalMs: number;
  maxStrategyDelayMs?: number;
  jitterRatio?: number;
  backoffFactor?: number;
}

/** Applies the defaults (±10 % jitter, ×1.5 backoff) and rejects settings no schedule can follow. */
export function resolvePollTiming(options: PollTimingOptions): PollTiming {
  const { minIntervalMs, maxIntervalMs } = options;
  const jitterRatio = options.jitterRatio ?? 0.1;
  const backoffFactor = options.backoffFactor ?? 1.5;
  if (!(minIntervalMs > 0) || !(maxIntervalMs >= minIntervalMs)) {
    throw new RangeError('poll scheduler: need 0 < minIntervalMs <= maxIntervalMs');
  }
  if (!(jitterRatio >= 0 && jitterRatio < 1))
    throw new RangeError('poll scheduler: jitterRatio must be in [0, 1)');
  if (!(backoffFactor >= 1)) throw new RangeError('poll scheduler: backoffFactor must be at least 1');
  const maxStrategyDelayMs = Math.max(maxIntervalMs, options.maxStrategyDelayMs ?? maxIntervalMs);
  return { minIntervalMs, maxIntervalMs, maxStrategyDelayMs, jitterRatio, backoffFactor };
}

/** An interval within [min, max]. */
export function clampInterval(timing: PollTiming, ms: number): number {
  return Math.min(timing.maxIntervalMs, Math.max(timing.minIntervalMs, ms));
}

/** A custom strategy's delay within [min, maxStrategyDelayMs]. */
export function clampStrategyDelay(timing: PollTiming, ms: number): number {
  return Math.min(timing.maxStrategyDelayMs, Math.max(timing.minIntervalMs, ms));
}

/** `ms` moved by up to ±jitterRatio (one draw of `random`), then clamped to [min, max]. */
export function jittered(timing: PollTiming, ms: number, random: () => number): number {
  return clampInterval(timing, ms * (1 + (2 * random() - 1) * timing.jitterRatio));
}

/** A moment within the next min interval: where a new task falls due, so a backlog is spread. */
export function spreadOverMinInterval(timing: PollTiming, now: number, random: () => number): number {
  return now + random() * timing.minIntervalMs;
}

/** The adaptive interval after a successful poll: the min on a change, ×backoffFactor while unchanged. */
export function intervalAfter(
  timing: PollTiming,
  outcome: 'changed' | 'unchanged',
  intervalMs: number,
): number {
  return outcome === 'changed'
    ? timing.minIntervalMs
    : clampInterval(timing, intervalMs * timing.backoffFactor);
}

/**
 * The delay before the next poll after a successful one: the strategy's (clamped, no jitter) when it
 * gave a finite one, else the adaptive interval jittered.
 */
export function delayAfterSuccess(
  timing: PollTiming,
  strategyDelayMs: number | undefined,
  intervalMs: number,
  random: () => number,
): number {
  return strategyDelayMs !== undefined && Number.isFinite(strategyDelayMs)
    ? clampStrategyDelay(timing, strategyDelayMs)
    : jittered(timing, intervalMs, random);
}

/** After failed polls of a task: 2×, 4×, 8×… the min interval, jittered and capped, or Retry-After if longer. */
export function delayAfterError(
  timing: PollTiming,
  consecutiveErrors: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  const backoff = jittered(timing, timing.minIntervalMs * 2 ** consecutiveErrors, random);
  return Math.max(backoff, retryAfterMs ?? 0);
}

/** How long every poll waits after the `streak`-th rate limit in a row: Retry-After, or 1×, 2×, 4×… the min. */
export function rateLimitWaitMs(
  timing: PollTiming,
  streak: number,
  retryAfterMs: number | undefined,
): number {
  return retryAfterMs ?? Math.min(timing.maxIntervalMs, timing.minIntervalMs * 2 ** (streak - 1));
}

/**
 * When a task asked for by schedule() falls due: the time asked for; else one (jittered) interval away
 * when an interval was given; else, for a task new to the schedule, spread over the min interval.
 * Undefined: an already scheduled task keeps its due time.
 */
export function scheduledDueAt(
  timing: PollTiming,
  now: number,
  request: { dueAt?: number | undefined; intervalMs?: number | undefined },
  task: { intervalMs: number; isNew: boolean },
  random: () => number,
): number | undefined {
  if (request.dueAt !== undefined) return request.dueAt;
  if (request.intervalMs !== undefined) return now + jittered(timing, task.intervalMs, random);
  return task.isNew ? spreadOverMinInterval(timing, now, random) : undefined;
}

/** The shape of VideoApiError that matters here, read structurally so any error class can carry it. */
export interface ApiErrorFacts {
  kind: string;
  retryAfterMs: number | undefined;
  /** The HTTP status, when the error came from an answer. */
  status: number | undefined;
}

export function apiErrorFacts(error: unknown): ApiErrorFacts | undefined {
  if (typeof error !== 'object' || error === null || !('kind' in error)) return undefined;
  const { kind } = error;
  if (typeof kind !== 'string') return undefined;
  const retryAfterMs = 'retryAfterMs' in error ? error.retryAfterMs : undefined;
  const status = 'status' in error ? error.status : undefined;
  return {
    kind,
    retryAfterMs: typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs : undefined,
    status: typeof status === 'number' ? status : undefined,
  };
}
