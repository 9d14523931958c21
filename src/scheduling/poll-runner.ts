import type { Logger } from '../ops/logger.js';
import type { Clock } from './clock.js';
import type { DueQueue, TrackedTask } from './due-queue.js';
import {
  apiErrorFacts,
  delayAfterError,
  delayAfterSuccess,
  intervalAfter,
  type PollTiming,
} from './poll-backoff.js';
import type { PollSlots } from './poll-slots.js';
import type { PollDelayStrategy, PollOutcome } from './poll-types.js';
import type { RateLimitPause } from './rate-limit-pause.js';

/** One poll of a task, as the tracker implements it (see PollSchedulerOptions.poll). */
export type PollFn = (taskId: string, signal: AbortSignal, release: () => void) => Promise<PollOutcome>;

export interface PollRunnerDeps {
  clock: Clock;
  logger: Logger;
  timing: PollTiming;
  random: () => number;
  queue: DueQueue;
  slots: PollSlots;
  pause: RateLimitPause;
  poll: PollFn;
  nextDelay: PollDelayStrategy | undefined;
  forget: ((taskId: string) => void) | undefined;
  isQuietError: ((error: unknown) => boolean) | undefined;
  /** A poll gave its slot back before settling: another may start. */
  onSlotReleased(): void;
  /** A poll settled and its task was rescheduled (or left the schedule). */
  onSettled(): void;
}

const OUTCOMES: ReadonlySet<unknown> = new Set<PollOutcome>(['changed', 'unchanged', 'terminal']);

/** Starts a poll of the task in a free slot; when it settles, the task is rescheduled by its outcome. */
export function startPoll(deps: PollRunnerDeps, task: TrackedTask): void {
  const controller = new AbortController();
  task.controller = controller;
  deps.queue.markRunning(task);
  task.slot = deps.slots.take();
  task.running = runPoll(deps, task, controller.signal);
}

async function runPoll(
  deps: PollRunnerDeps,
  task: TrackedTask,
  signal: AbortSignal,
): Promise<PollOutcome | undefined> {
  const { clock, logger, queue } = deps;
  // Releases whatever slot the task holds at the time it is called.
  const release = () => {
    if (task.slot?.release()) deps.onSlotReleased();
  };
  let result: { outcome: PollOutcome } | { error: unknown };
  try {
    // Called from a microtask: even a poll that throws synchronously settles after startPoll returns.
    const outcome = await Promise.resolve().then(() => deps.poll(task.taskId, signal, release));
    result = OUTCOMES.has(outcome)
      ? { outcome }
      : { error: new TypeError(`poll returned ${String(outcome)}`) };
  } catch (error) {
    result = { error };
  }
  queue.markSettled(task);
  task.slot?.release();
  task.slot = undefined;
  task.running = undefined;
  task.controller = undefined;
  // Taken before rescheduling: these callers were served by this poll, so it is not urgent any more.
  const waiters = task.waiters.splice(0);
  try {
    if ('outcome' in result) settleOutcome(deps, task, result.outcome);
    else settleFailure(deps, task, result.error, signal);
  } catch (error) {
    // A throwing strategy must not stop the scheduler; the task is retried after the max interval.
    logger.error({ err: error, taskId: task.taskId }, 'poll scheduler: could not reschedule task');
    if (queue.isScheduled(task)) queue.setDue(task.taskId, clock.now() + deps.timing.maxIntervalMs);
  }
  const outcome = 'outcome' in result ? result.outcome : undefined;
  for (const resolve of waiters) resolve(outcome);
  deps.onSettled();
  return outcome;
}

function settleOutcome(deps: PollRunnerDeps, task: TrackedTask, outcome: PollOutcome): void {
  const { queue, timing } = deps;
  if (!queue.isScheduled(task)) return; // unscheduled while in flight
  if (outcome === 'terminal') {
    queue.remove(task);
    deps.forget?.(task.taskId);
    return;
  }
  const now = deps.clock.now();
  const history = task.history;
  deps.pause.succeeded();
  history.consecutiveErrors = 0;
  history.lastPolledAt = now;
  history.intervalMs = intervalAfter(timing, outcome, history.intervalMs);
  if (outcome === 'changed') {
    history.consecutiveUnchanged = 0;
    history.lastChangedAt = now;
  } else {
    history.consecutiveUnchanged += 1;
  }
  const custom = deps.nextDelay?.(task.taskId, outcome, history);
  queue.reinsert(task, now + delayAfterSuccess(timing, custom, history.intervalMs, deps.random));
}

function settleFailure(deps: PollRunnerDeps, task: TrackedTask, error: unknown, signal: AbortSignal): void {
  const { queue, logger } = deps;
  if (!queue.isScheduled(task)) return;
  const now = deps.clock.now();
  if (signal.aborted) {
    // Stopped mid-poll: due again at once if the scheduler is started again.
    logger.debug({ taskId: task.taskId }, 'poll aborted by shutdown');
    queue.reinsert(task, now);
    return;
  }
  const facts = apiErrorFacts(error);
  if (facts?.kind === 'rate_limited') {
    queue.reinsert(task, deps.pause.pause(now, facts.retryAfterMs));
    return;
  }
  if (facts?.kind === 'unauthorized') {
    // The key, not the task: one log line for the whole refusal (rate-limit-pause.ts), not one per poll.
    queue.reinsert(task, deps.pause.keyRefused(now, facts.status));
    return;
  }
  const history = task.history;
  history.consecutiveErrors += 1;
  history.lastPolledAt = now;
  const delay = delayAfterError(deps.timing, history.consecutiveErrors, facts?.retryAfterMs, deps.random);
  const context = {
    taskId: task.taskId,
    err: error,
    consecutiveErrors: history.consecutiveErrors,
    retryInMs: delay,
  };
  // "Not found" is expected for a while just after a task is created (src/tracking/not-found.ts).
  const expected = facts?.kind === 'transient' || facts?.kind === 'not_found';
  // E.g. a stale app (its lease term over) being stopped: the store said so once already.
  if (deps.isQuietError?.(error)) logger.debug(context, 'poll not recorded: the shard lease term is over');
  else if (expected) logger.warn(context, 'poll failed; retrying with backoff');
  else logger.error({ ...context, kind: facts?.kind }, 'poll failed unexpectedly; retrying with backoff');
  queue.reinsert(task, now + delay);
}
