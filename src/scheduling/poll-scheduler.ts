import type { Logger } from '../ops/logger.js';
import type { Clock } from './clock.js';
import { createDueQueue, type TrackedTask } from './due-queue.js';
import { clampInterval, resolvePollTiming, scheduledDueAt } from './poll-backoff.js';
import { createPollPump } from './poll-pump.js';
import { startPoll, type PollRunnerDeps } from './poll-runner.js';
import { drainPolls } from './poll-shutdown.js';
import { createPollSlots } from './poll-slots.js';
import type { PollDelayStrategy, PollOutcome } from './poll-types.js';
import { createRateLimitPause } from './rate-limit-pause.js';

export type { PollDelayStrategy, PollHistory, PollOutcome } from './poll-types.js';

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
   * Errors already reported elsewhere, logged here at debug only (a stale app's refused store writes,
   * which its store announces once). Default: none.
   */
  isQuietError?: (error: unknown) => boolean;
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

/**
 * Polls each scheduled task when it falls due, at most `maxInFlight` at once, from one timer. The pieces:
 * the due order (due-queue), the timing rules (poll-backoff), the API slots (poll-slots), the key-wide
 * rate-limit pause, the timer loop (poll-pump), one poll and its rescheduling (poll-runner), and the
 * drain on stop (poll-shutdown).
 */
export function createPollScheduler(options: PollSchedulerOptions): PollScheduler {
  const { clock, logger } = options;
  const timing = resolvePollTiming(options);
  const slots = createPollSlots(options.maxInFlight);
  const random = options.random ?? Math.random;
  const queue = createDueQueue();
  const pause = createRateLimitPause(timing, logger);
  const shared = { clock, timing, random, queue, slots, pause };
  const loop = createPollPump({ ...shared, startPoll: (task) => startPoll(runner, task) });
  const runner: PollRunnerDeps = {
    ...shared,
    logger,
    poll: (taskId, signal, release) => options.poll(taskId, signal, release),
    nextDelay: options.nextDelay,
    forget: options.forget,
    isQuietError: options.isQuietError,
    onSlotReleased: () => loop.soon(),
    onSettled: () => loop.pump(),
  };

  return {
    schedule(taskId, request = {}) {
      const now = clock.now();
      const { task, isNew } = queue.admit(taskId, now, timing.minIntervalMs);
      if (request.intervalMs !== undefined)
        task.history.intervalMs = clampInterval(timing, request.intervalMs);
      const adaptive = { intervalMs: task.history.intervalMs, isNew };
      if (queue.request(task, scheduledDueAt(timing, now, request, adaptive, random))) loop.soon();
    },
    unschedule(taskId) {
      const task = queue.scheduled.get(taskId);
      if (!task) return;
      queue.remove(task);
      resolveWaiters(task);
      options.forget?.(taskId);
    },
    pollNow(taskId) {
      const task = queue.scheduled.get(taskId);
      if (!loop.running || !task) return Promise.resolve(undefined);
      if (task.running) return task.running;
      if (clock.now() < pause.until) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        task.waiters.push(resolve);
        queue.makeUrgent(task);
        loop.soon();
      });
    },
    has: (taskId) => queue.scheduled.has(taskId),
    get size() {
      return queue.scheduled.size;
    },
    get inFlight() {
      return queue.inFlight.size;
    },
    get pausedUntil() {
      return clock.now() < pause.until ? pause.until : undefined;
    },
    start: () => loop.start(),
    async stop(stopOptions = {}) {
      const graceMs = stopOptions.graceMs ?? 5_000;
      loop.stop();
      for (const task of queue.scheduled.values()) if (!task.running) resolveWaiters(task);
      await drainPolls(queue.inFlight, { clock, logger, graceMs });
    },
  };
}

/** Answers the Refresh callers waiting for a poll that will not come. */
function resolveWaiters(task: TrackedTask): void {
  for (const resolve of task.waiters.splice(0)) resolve(undefined);
}
