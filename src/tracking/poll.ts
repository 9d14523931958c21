import type { VideoSnapshot } from '../domain/video.js';
import type { PollOutcome } from '../scheduling/poll-scheduler.js';
import type { EndReason, TaskRecord } from '../store/index.js';
import { VideoApiError } from '../video-api/errors.js';
import type { TrackerContext } from './context.js';
import { endTask, finishEnding } from './ending.js';
import { fanOut } from './fan-out.js';
import { afterNotFound } from './not-found.js';
import { applySnapshot, deadlineReason, endReasonAfterPoll, withKnownFacts } from './rules.js';

/**
 * One poll of a task, as the scheduler runs it: read the task from the API, apply the reading, show
 * what changed, or end the task.
 */

/** Polls a task under its lock and reports how long it took. `apiDone` is called once the API is no longer needed. */
export async function pollTask(
  ctx: TrackerContext,
  taskId: string,
  signal: AbortSignal | undefined,
  apiDone: () => void,
): Promise<PollOutcome> {
  const started = ctx.clock.now();
  try {
    const outcome = await ctx.locks.run(taskId, () => pollOnce(ctx, taskId, signal, apiDone));
    ctx.metrics?.pollFinished(outcome, (ctx.clock.now() - started) / 1000);
    return outcome;
  } catch (error) {
    ctx.metrics?.pollFinished('error', (ctx.clock.now() - started) / 1000);
    throw error;
  }
}

async function pollOnce(
  ctx: TrackerContext,
  taskId: string,
  signal: AbortSignal | undefined,
  apiDone: () => void,
): Promise<PollOutcome> {
  const task = await ctx.store.getTask(taskId);
  if (!task) {
    await ctx.store.setActive(taskId, false);
    return 'terminal';
  }
  // An ended task still scheduled has delivery left to retry.
  if (task.state === 'ended') {
    apiDone();
    return asOutcome(await finishEnding(ctx, task));
  }
  const now = ctx.clock.now();
  let snapshot: VideoSnapshot;
  try {
    const reading = await ctx.videoApi.getVideo(taskId, {
      previous: task.snapshot,
      ...(signal ? { signal } : {}),
    });
    snapshot = withKnownFacts(task.snapshot, reading);
  } catch (error) {
    apiDone();
    return afterFailedRead(ctx, task, error, now);
  }
  apiDone();
  const { next, changed } = applySnapshot(task, snapshot, now);
  const reason = endReasonAfterPoll(next, now, ctx.limits);
  if (reason) return end(ctx, next, reason);
  await ctx.store.putTask(next);
  await fanOut(ctx, next, changed, false);
  return changed ? 'changed' : 'unchanged';
}

/**
 * A task the API has stopped knowing ends once that persists (not-found.ts); until then it keeps its
 * last reading. Other failures (outage, rate limit, a key revoked for a while) keep the task too; the
 * error is rethrown so the scheduler backs off, and the task's deadlines still end it.
 */
async function afterFailedRead(
  ctx: TrackerContext,
  task: TaskRecord,
  error: unknown,
  now: number,
): Promise<PollOutcome> {
  let kept = task;
  if (error instanceof VideoApiError && error.kind === 'not_found') {
    const { ended, streak } = afterNotFound(task, now);
    if (ended) return end(ctx, { ...task, lastPolledAt: now, notFound: streak }, 'not_found');
    kept = { ...task, notFound: streak };
    await ctx.store.putTask(kept);
  }
  const expired = deadlineReason(kept, now, ctx.limits);
  if (expired) return end(ctx, kept, expired);
  throw error;
}

async function end(ctx: TrackerContext, task: TaskRecord, reason: EndReason): Promise<PollOutcome> {
  return asOutcome(await endTask(ctx, task, reason));
}

/** An ended task that still has delivery to retry stays scheduled: to the scheduler it is unchanged. */
const asOutcome = (finished: boolean): PollOutcome => (finished ? 'terminal' : 'unchanged');
