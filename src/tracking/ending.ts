import type { Clock } from '../scheduling/clock.js';
import { isFencedOut, type EndReason, type TaskRecord } from '../store/index.js';
import { heldKey } from '../store/keyed-mutex.js';
import type { TrackerContext } from './context.js';
import { fanOut } from './fan-out.js';
import { deliveryGivenUp, endingVerdict, isDelivered } from './rules.js';
import { postMissingMessages } from './subscriptions.js';

/**
 * What happens once a task has ended (completed, failed, expired, or nobody follows it any more):
 * 1. the end is recorded (endTask);
 * 2. every channel gets a progress message, the result is delivered, the final state is shown
 *    (finishEnding);
 * 3. once delivered and shown, the task leaves the active index (leaveActive). Until then it stays
 *    scheduled, and each poll of it runs step 2 again.
 */

/**
 * How long a poll waits for a task's final state to be shown; past it, the rest goes on without the
 * poll, so that a Discord backlog holds queued edits rather than thousands of polls.
 */
export const FINAL_GRACE_MS = 2_000;

/**
 * Ends a task: records why, delivers the result, shows the final state everywhere, then leaves the
 * active index. Recorded first and removed from the index last, so a crash anywhere in between is
 * finished by resume(). Returns false while delivery still has work to retry. Needs the task lock.
 */
export async function endTask(ctx: TrackerContext, task: TaskRecord, reason: EndReason): Promise<boolean> {
  const ended: TaskRecord = { ...task, state: 'ended', endReason: reason, endedAt: ctx.clock.now() };
  await ctx.store.putTask(ended);
  ctx.logger.info({ taskId: task.id, reason }, 'task ended');
  return finishEnding(ctx, ended);
}

/**
 * Delivers an ended task and shows its final state; resolves true once it has left the active index
 * (or will, as soon as a slow final edit is done), false while there is work to retry. Needs the task lock.
 */
export async function finishEnding(ctx: TrackerContext, endedTask: TaskRecord): Promise<boolean> {
  // Every channel gets its result, including one whose progress message a crash left unposted.
  await postMissingMessages(ctx, endedTask);
  const latest = await deliverResult(ctx, endedTask);
  const delivered = isDelivered(latest, ctx.delivery !== undefined);
  // The final state, with a link to the result message once there is one.
  const { showing, shownInTime } = await showEnd(ctx, latest);
  if (shownInTime === undefined && delivered) {
    // Discord is busy and the edit waits its turn: the task leaves the active index once it is shown,
    // without holding up a poll meanwhile (thousands wait when many tasks end at once).
    finishWhenShown(ctx, latest.id, showing);
    return true;
  }
  const verdict = endingVerdict({
    shown: shownInTime ?? false,
    delivered,
    givenUp: deliveryGivenUp(latest, ctx.clock.now(), ctx.limits.deliveryGiveUpMs),
  });
  if (verdict === 'retry') return false;
  if (verdict === 'given_up') {
    ctx.logger.warn({ taskId: latest.id }, 'giving up on delivering this task');
    await ctx.delivery?.abandon?.(latest);
  }
  await leaveActive(ctx, latest.id);
  return true;
}

/**
 * Shows the final state everywhere, waiting for it up to the grace. An edit that lands later records
 * what it changed under the task's lock taken again: the caller has let go of it by then.
 */
async function showEnd(
  ctx: TrackerContext,
  task: TaskRecord,
): Promise<{ showing: Promise<boolean>; shownInTime: boolean | undefined }> {
  const taskLock = heldKey(ctx.locks, task.id);
  const showing = fanOut(ctx, task, true, true, taskLock);
  try {
    return { showing, shownInTime: await withinGrace(ctx.clock, showing) };
  } finally {
    await taskLock.release();
  }
}

/** Hands the task, as last stored, to delivery; returns it as stored after delivery recorded its progress. */
async function deliverResult(ctx: TrackerContext, endedTask: TaskRecord): Promise<TaskRecord> {
  const ended = (await ctx.store.getTask(endedTask.id)) ?? endedTask;
  if (ctx.delivery) {
    try {
      await ctx.delivery.deliver(ended);
    } catch (error) {
      // A stale app's refused write was logged once by the store; the app is being stopped.
      const level = isFencedOut(error) ? 'debug' : 'error';
      ctx.logger[level]({ err: error, taskId: ended.id }, 'delivery failed; will retry');
    }
  }
  return (await ctx.store.getTask(ended.id)) ?? ended;
}

/** Finishes a delivered task once its final state is shown; a poll retries the edit if it failed. */
function finishWhenShown(ctx: TrackerContext, taskId: string, showing: Promise<boolean>): void {
  const done = showing
    .then((shown) =>
      ctx.locks.run(taskId, async () => {
        // A channel that joined meanwhile (/sora track) still waits for its result: the task stays.
        const latest = await ctx.store.getTask(taskId);
        if (shown && isDelivered(latest, ctx.delivery !== undefined)) await leaveActive(ctx, taskId);
        else ctx.queue?.schedule(taskId, { dueAt: ctx.clock.now() + ctx.limits.resumeSpreadMs });
      }),
    )
    .catch((error: unknown) => {
      ctx.logger[isFencedOut(error) ? 'debug' : 'error']({ err: error, taskId }, 'could not finish the task');
    });
  ctx.background.add(done);
}

async function leaveActive(ctx: TrackerContext, taskId: string): Promise<void> {
  await ctx.store.setActive(taskId, false);
  ctx.queue?.unschedule(taskId);
  // A finished task leaves its channels' lists, so they do not grow forever. Its subscriptions stay:
  // tracking it again in a channel (a retry after a lost answer) links the message that shows how
  // it ended instead of posting and delivering everything a second time.
  for (const sub of await ctx.store.subscriptionsOf(taskId))
    await ctx.store.unlistSubscription(sub.taskId, sub.channelId);
}

/** The promise's value if it settles within FINAL_GRACE_MS, else undefined (it goes on regardless). */
async function withinGrace<T>(clock: Clock, promise: Promise<T>): Promise<T | undefined> {
  const timer = new AbortController();
  const expired = clock.sleep(FINAL_GRACE_MS, timer.signal).then(
    () => undefined,
    () => undefined,
  );
  try {
    return await Promise.race([promise, expired]);
  } finally {
    timer.abort();
  }
}
