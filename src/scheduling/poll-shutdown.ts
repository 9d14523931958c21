import type { Logger } from '../ops/logger.js';
import type { Clock } from './clock.js';
import type { TrackedTask } from './due-queue.js';

/** After aborting, how long a drain waits for polls that ignore their signal before abandoning them. */
const ABANDON_AFTER_ABORT_MS = 1_000;

/**
 * Waits for the polls in flight up to `graceMs`, then aborts those still running and gives them a
 * moment more; polls that ignore the abort are abandoned (and logged).
 */
export async function drainPolls(
  inFlight: ReadonlyMap<string, TrackedTask>,
  { clock, logger, graceMs }: { clock: Clock; logger: Logger; graceMs: number },
): Promise<void> {
  const polls = [...inFlight.values()];
  if (polls.length === 0) return;
  const allSettled = Promise.allSettled(polls.map((task) => task.running ?? Promise.resolve(undefined)));
  const finishedInGrace = await settlesWithin(clock, allSettled, graceMs);
  if (finishedInGrace) return;
  const stillRunning = [...inFlight.values()];
  logger.warn(
    { count: stillRunning.length },
    'poll scheduler: aborting polls still running after the grace period',
  );
  for (const task of stillRunning) task.controller?.abort(new Error('poll scheduler stopped'));
  if (!(await settlesWithin(clock, allSettled, ABANDON_AFTER_ABORT_MS))) {
    logger.warn(
      { taskIds: [...inFlight.keys()].slice(0, 20), count: inFlight.size },
      'poll scheduler: abandoning polls that ignored the abort',
    );
  }
}

/** True when `promise` settles within `ms` of clock time; the timer is cancelled either way. */
async function settlesWithin(clock: Clock, promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timeout = new AbortController();
  const expired = clock.sleep(ms, timeout.signal).then(
    () => false,
    () => false,
  );
  const settled = await Promise.race([promise.then(() => true), expired]);
  timeout.abort();
  return settled;
}
