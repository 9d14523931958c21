import type { Logger } from '../ops/logger.js';
import type { Clock } from './clock.js';
import { createKeyedMinHeap } from './heap.js';
import { createWakeTimer } from './wake-timer.js';

export type PollOutcome = 'changed' | 'unchanged' | 'terminal';

/** What the scheduler remembers about a task's polls; handed to a custom delay strategy. */
export interface PollHistory {
  /** The adaptive interval after the latest outcome: min on a change, ×backoffFactor while unchanged. */
  readonly intervalMs: number;
  readonly consecutiveUnchanged: number;
  readonly consecutiveErrors: number;
  readonly scheduledAt: number;
  readonly lastPolledAt: number | undefined;
  readonly lastChangedAt: number | undefined;
}

/**
 * Picks the delay before a task's next poll after a successful one (issue 7's "poll when a change is due":
 * the tracker can read the task's refresh cadence and `status_update_time` by id). Return undefined to keep
 * the adaptive interval. The result is clamped to [min, maxStrategyDelayMs] and used without jitter: a
 * strategy that aims at a due time spreads load by itself.
 */
export type PollDelayStrategy = (
  taskId: string,
  outcome: 'changed' | 'unchanged',
  history: PollHistory,
) => number | undefined;

export interface PollSchedulerOptions {
  clock: Clock;
  logger: Logger;
  /** POLL_INTERVAL_MS: no task is polled more often than this on its own schedule. */
  minIntervalMs: number;
  /** POLL_MAX_INTERVAL_MS: where backoff stops. */
  maxIntervalMs: number;
  /** The longest delay `nextDelay` may ask for. Default `maxIntervalMs`. */
  maxStrategyDelayMs?: number;
  /** Cap on polls running at once; a poll that calls its `release` stops counting against it. */
  maxInFlight: number;
  /** Spread of each built-in delay, e.g. 0.1 → ±10 %. Default 0.1. */
  jitterRatio?: number;
  /** Interval growth per unchanged poll. Default 1.5. */
  backoffFactor?: number;
  random?: () => number;
  nextDelay?: PollDelayStrategy;
  /** Called when a task leaves the schedule (it ended or was unscheduled), so a strategy can forget it. */
  forget?: (taskId: string) => void;
  /**
   * One poll of a task (the tracker implements it: fetch, store, fan out). It should return 'terminal' for
   * a task that has ended, including one the API no longer knows. Errors are handled here and never escape.
   * `release` hands the poll's slot to the next one while the poll finishes work that does not need the
   * API (showing a task's end waits for Discord); the task is still not polled again before it settles.
   */
  poll(taskId: string, signal: AbortSignal, release: () => void): Promise<PollOutcome>;
}

export interface PollScheduler {
  /**
   * Adds a task, or reschedules one. Without `dueAt` a new task falls due at a random point within the
   * next `minIntervalMs`, so the backlog after a restart is spread rather than polled at once.
   * `intervalMs` sets the task's adaptive interval (clamped) and, without `dueAt`, its next due time.
   */
  schedule(taskId: string, options?: { dueAt?: number; intervalMs?: number }): void;
  unschedule(taskId: string): void;
  /**
   * Polls a task as soon as a slot is free (a Refresh button); joins the poll already in flight if there
   * is one. Undefined when the task is not scheduled, the scheduler is stopped, polling is paused by a rate
   * limit (see `pausedUntil`), or the poll failed.
   */
  pollNow(taskId: string): Promise<PollOutcome | undefined>;
  has(taskId: string): boolean;
  readonly size: number;
  readonly inFlight: number;
  /** When a key-wide rate limit lifts; undefined when polling is not paused. */
  readonly pausedUntil: number | undefined;
  start(): void;
  /** Stops taking work; waits for polls in flight up to `graceMs` (default 5000), then aborts them. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** The shape of VideoApiError that matters here, read structurally so any error class can carry it. */
interface ApiErrorFacts {
  kind: string;
  retryAfterMs: number | undefined;
}

function apiErrorFacts(error: unknown): ApiErrorFacts | undefined {
  if (typeof error !== 'object' || error === null || !('kind' in error)) return undefined;
  const { kind } = error;
  if (typeof kind !== 'string') return undefined;
  const retryAfterMs = 'retryAfterMs' in error ? error.retryAfterMs : undefined;
  return {
    kind,
    retryAfterMs: typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs : undefined,
  };
}

interface MutableHistory {
  intervalMs: number;
  consecutiveUnchanged: number;
  consecutiveErrors: number;
  scheduledAt: number;
  lastPolledAt: number | undefined;
  lastChangedAt: number | undefined;
}

interface TrackedTask {
  readonly taskId: string;
  readonly history: MutableHistory;
  /** The poll in flight; it never rejects. */
  running: Promise<PollOutcome | undefined> | undefined;
  controller: AbortController | undefined;
  /** The running poll counts against maxInFlight. */
  holdsSlot: boolean;
  /** A due time asked for by schedule() while a poll was in flight, applied when it settles. */
  requestedDueAt: number | undefined;
  /** pollNow() callers waiting for the task's next poll to start and finish. */
  waiters: ((outcome: PollOutcome | undefined) => void)[];
}

const OUTCOMES: ReadonlySet<unknown> = new Set<PollOutcome>(['changed', 'unchanged', 'terminal']);
/** Put before every ordinary due time so that a Refresh is served by the next free slot. */
const URGENT = -Infinity;
/** After aborting, how long stop() waits for polls that ignore their signal before abandoning them. */
const ABANDON_AFTER_ABORT_MS = 1_000;

export function createPollScheduler(options: PollSchedulerOptions): PollScheduler {
  const { clock, logger, minIntervalMs, maxIntervalMs, maxInFlight } = options;
  const jitterRatio = options.jitterRatio ?? 0.1;
  const backoffFactor = options.backoffFactor ?? 1.5;
  const random = options.random ?? Math.random;
  if (!(minIntervalMs > 0) || !(maxIntervalMs >= minIntervalMs)) {
    throw new RangeError('poll scheduler: need 0 < minIntervalMs <= maxIntervalMs');
  }
  if (!(maxInFlight >= 1)) throw new RangeError('poll scheduler: maxInFlight must be at least 1');
  if (!(jitterRatio >= 0 && jitterRatio < 1))
    throw new RangeError('poll scheduler: jitterRatio must be in [0, 1)');
  if (!(backoffFactor >= 1)) throw new RangeError('poll scheduler: backoffFactor must be at least 1');

  /** Every scheduled task, including one whose poll is in flight. */
  const tasks = new Map<string, TrackedTask>();
  /** Due times of scheduled tasks that are not in flight. */
  const due = createKeyedMinHeap<string>();
  /** Polls running, also for tasks unscheduled meanwhile: a task is never polled twice at once. */
  const inFlight = new Map<string, TrackedTask>();
  /** Polls in flight that still count against maxInFlight. */
  let slotsUsed = 0;
  const wake = createWakeTimer(clock, pump);
  let running = false;
  let pausedUntil = 0;
  let rateLimitStreak = 0;
  /** Set by a rate limit: when it lifts, the overdue backlog is spread before polling resumes. */
  let spreadBacklogOnResume = false;

  const clamp = (ms: number) => Math.min(maxIntervalMs, Math.max(minIntervalMs, ms));
  const maxStrategyDelayMs = Math.max(maxIntervalMs, options.maxStrategyDelayMs ?? maxIntervalMs);
  const clampStrategy = (ms: number) => Math.min(maxStrategyDelayMs, Math.max(minIntervalMs, ms));
  const jittered = (ms: number) => clamp(ms * (1 + (2 * random() - 1) * jitterRatio));
  const spreadOverMinInterval = (now: number) => now + random() * minIntervalMs;

  /** Pumps from the one timer, at once: never inside the caller's stack, and visible to a manual clock. */
  function pumpSoon(): void {
    if (running) wake.wakeAt(clock.now());
  }

  /** Starts every due poll a free slot allows, then arms the one timer for whatever is next. */
  function pump(): void {
    if (!running) return;
    const now = clock.now();
    if (now < pausedUntil) {
      wake.wakeAt(pausedUntil);
      return;
    }
    if (spreadBacklogOnResume) {
      spreadBacklogOnResume = false;
      spreadBacklog(now);
    }
    while (slotsUsed < maxInFlight && due.peekPriority() <= now) {
      const task = tasks.get(due.pop()!);
      if (task) startPoll(task);
    }
    // A full house needs no timer: the next poll to settle (or release its slot) pumps again.
    if (slotsUsed < maxInFlight) wake.wakeAt(due.peekPriority());
  }

  /** Costs O(k log n) for the k overdue tasks, once per rate-limit pause. */
  function spreadBacklog(now: number): void {
    const overdue: string[] = [];
    while (due.peekPriority() <= now) overdue.push(due.pop()!);
    for (const taskId of overdue) {
      const task = tasks.get(taskId);
      if (!task) continue;
      due.set(taskId, task.waiters.length > 0 ? URGENT : spreadOverMinInterval(now));
    }
  }

  function startPoll(task: TrackedTask): void {
    const controller = new AbortController();
    task.controller = controller;
    inFlight.set(task.taskId, task);
    task.holdsSlot = true;
    slotsUsed += 1;
    task.running = runPoll(task, controller.signal);
  }

  function releaseSlot(task: TrackedTask): void {
    if (!task.holdsSlot) return;
    task.holdsSlot = false;
    slotsUsed -= 1;
    pumpSoon();
  }

  async function runPoll(task: TrackedTask, signal: AbortSignal): Promise<PollOutcome | undefined> {
    let result: { outcome: PollOutcome } | { error: unknown };
    try {
      // Called from a microtask: even a poll that throws synchronously settles after startPoll returns.
      const outcome = await Promise.resolve().then(() =>
        options.poll(task.taskId, signal, () => releaseSlot(task)),
      );
      result = OUTCOMES.has(outcome)
        ? { outcome }
        : { error: new TypeError(`poll returned ${String(outcome)}`) };
    } catch (error) {
      result = { error };
    }
    inFlight.delete(task.taskId);
    if (task.holdsSlot) {
      task.holdsSlot = false;
      slotsUsed -= 1;
    }
    task.running = undefined;
    task.controller = undefined;
    // Taken before rescheduling: these callers were served by this poll, so it is not urgent any more.
    const waiters = task.waiters.splice(0);
    try {
      if ('outcome' in result) settleOutcome(task, result.outcome);
      else settleFailure(task, result.error, signal);
    } catch (error) {
      // A throwing strategy must not stop the scheduler; the task is retried after the max interval.
      logger.error({ err: error, taskId: task.taskId }, 'poll scheduler: could not reschedule task');
      if (tasks.get(task.taskId) === task) due.set(task.taskId, clock.now() + maxIntervalMs);
    }
    const outcome = 'outcome' in result ? result.outcome : undefined;
    for (const resolve of waiters) resolve(outcome);
    pump();
    return outcome;
  }

  function settleOutcome(task: TrackedTask, outcome: PollOutcome): void {
    if (tasks.get(task.taskId) !== task) return; // unscheduled while in flight
    if (outcome === 'terminal') {
      tasks.delete(task.taskId);
      options.forget?.(task.taskId);
      return;
    }
    const now = clock.now();
    const history = task.history;
    rateLimitStreak = 0;
    history.consecutiveErrors = 0;
    history.lastPolledAt = now;
    if (outcome === 'changed') {
      history.intervalMs = minIntervalMs;
      history.consecutiveUnchanged = 0;
      history.lastChangedAt = now;
    } else {
      history.intervalMs = clamp(history.intervalMs * backoffFactor);
      history.consecutiveUnchanged += 1;
    }
    const custom = options.nextDelay?.(task.taskId, outcome, history);
    const delay =
      custom !== undefined && Number.isFinite(custom) ? clampStrategy(custom) : jittered(history.intervalMs);
    reinsert(task, now + delay);
  }

  function settleFailure(task: TrackedTask, error: unknown, signal: AbortSignal): void {
    if (tasks.get(task.taskId) !== task) return;
    const now = clock.now();
    if (signal.aborted) {
      // Stopped mid-poll: due again at once if the scheduler is started again.
      logger.debug({ taskId: task.taskId }, 'poll aborted by shutdown');
      reinsert(task, now);
      return;
    }
    const facts = apiErrorFacts(error);
    if (facts?.kind === 'rate_limited') {
      pauseAll(now, facts.retryAfterMs);
      reinsert(task, pausedUntil);
      return;
    }
    const history = task.history;
    history.consecutiveErrors += 1;
    history.lastPolledAt = now;
    const backoff = jittered(minIntervalMs * 2 ** history.consecutiveErrors);
    const delay = Math.max(backoff, facts?.retryAfterMs ?? 0);
    const context = {
      taskId: task.taskId,
      err: error,
      consecutiveErrors: history.consecutiveErrors,
      retryInMs: delay,
    };
    if (facts?.kind === 'transient') logger.warn(context, 'poll failed; retrying with backoff');
    else logger.error({ ...context, kind: facts?.kind }, 'poll failed unexpectedly; retrying with backoff');
    reinsert(task, now + delay);
  }

  /** A rate limit is for the whole API key: every task waits, not just the one that met it. */
  function pauseAll(now: number, retryAfterMs: number | undefined): void {
    rateLimitStreak += 1;
    const waitMs = retryAfterMs ?? Math.min(maxIntervalMs, minIntervalMs * 2 ** (rateLimitStreak - 1));
    const until = now + waitMs;
    spreadBacklogOnResume = true;
    if (until <= pausedUntil) return;
    pausedUntil = until;
    logger.warn(
      { waitMs, retryAfterMs, pausedUntil: new Date(until).toISOString() },
      'video API rate limited: pausing all polls',
    );
  }

  function reinsert(task: TrackedTask, dueAt: number): void {
    const requested = task.requestedDueAt;
    task.requestedDueAt = undefined;
    due.set(task.taskId, task.waiters.length > 0 ? URGENT : (requested ?? dueAt));
  }

  function resolveWaiters(task: TrackedTask): void {
    for (const resolve of task.waiters.splice(0)) resolve(undefined);
  }

  return {
    schedule(taskId, scheduleOptions = {}) {
      const now = clock.now();
      const { dueAt, intervalMs } = scheduleOptions;
      let task = tasks.get(taskId) ?? inFlight.get(taskId);
      const isNew = task === undefined || !tasks.has(taskId);
      if (!task) {
        task = {
          taskId,
          history: {
            intervalMs: minIntervalMs,
            consecutiveUnchanged: 0,
            consecutiveErrors: 0,
            scheduledAt: now,
            lastPolledAt: undefined,
            lastChangedAt: undefined,
          },
          running: undefined,
          controller: undefined,
          holdsSlot: false,
          requestedDueAt: undefined,
          waiters: [],
        };
      }
      tasks.set(taskId, task);
      if (intervalMs !== undefined) task.history.intervalMs = clamp(intervalMs);
      const nextDue =
        dueAt ??
        (intervalMs !== undefined
          ? now + jittered(task.history.intervalMs)
          : isNew
            ? spreadOverMinInterval(now)
            : undefined);
      if (task.running) {
        // Never a second poll in flight: the new due time waits for the current poll to settle.
        if (nextDue !== undefined) task.requestedDueAt = nextDue;
        return;
      }
      if (nextDue !== undefined && task.waiters.length === 0) due.set(taskId, nextDue);
      pumpSoon();
    },

    unschedule(taskId) {
      const task = tasks.get(taskId);
      if (!task) return;
      tasks.delete(taskId);
      due.delete(taskId);
      task.requestedDueAt = undefined;
      resolveWaiters(task);
      options.forget?.(taskId);
    },

    pollNow(taskId) {
      const task = tasks.get(taskId);
      if (!running || !task) return Promise.resolve(undefined);
      if (task.running) return task.running;
      if (clock.now() < pausedUntil) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        task.waiters.push(resolve);
        due.set(taskId, URGENT);
        pumpSoon();
      });
    },

    has: (taskId) => tasks.has(taskId),
    get size() {
      return tasks.size;
    },
    get inFlight() {
      return inFlight.size;
    },
    get pausedUntil() {
      return clock.now() < pausedUntil ? pausedUntil : undefined;
    },

    start() {
      if (running) return;
      running = true;
      pumpSoon();
    },

    async stop(stopOptions = {}) {
      const graceMs = stopOptions.graceMs ?? 5_000;
      running = false;
      wake.cancel();
      for (const task of tasks.values()) if (!task.running) resolveWaiters(task);
      const polls = [...inFlight.values()];
      if (polls.length === 0) return;
      const allSettled = Promise.allSettled(polls.map((task) => task.running ?? Promise.resolve(undefined)));
      const finishedInGrace = await settlesWithin(allSettled, graceMs);
      if (finishedInGrace) return;
      const stillRunning = [...inFlight.values()];
      logger.warn(
        { count: stillRunning.length },
        'poll scheduler: aborting polls still running after the grace period',
      );
      for (const task of stillRunning) task.controller?.abort(new Error('poll scheduler stopped'));
      if (!(await settlesWithin(allSettled, ABANDON_AFTER_ABORT_MS))) {
        logger.warn(
          { taskIds: [...inFlight.keys()].slice(0, 20), count: inFlight.size },
          'poll scheduler: abandoning polls that ignored the abort',
        );
      }
    },
  };

  /** True when `promise` settles within `ms` of clock time; the timer is cancelled either way. */
  async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
    const timeout = new AbortController();
    const expired = clock.sleep(ms, timeout.signal).then(
      () => false,
      () => false,
    );
    const settled = await Promise.race([promise.then(() => true), expired]);
    timeout.abort();
    return settled;
  }
}
