import type { HeldKey } from '../store/keyed-mutex.js';
import { isFencedOut, type SubscriptionRecord, type TaskRecord } from '../store/index.js';
import type { TrackerContext } from './context.js';
import { withRenderedHash } from './subscription-changes.js';
import { activeSubscriptions, dropSubscriptionLocked } from './subscriptions.js';

/**
 * One reading of a task shown in every channel that follows it: a task is polled once however many
 * channels watch it, and each channel's progress message is written from that one reading.
 */

/**
 * Hands a task to its channels. Progress ticks are not awaited: a poll must not hold its slot while
 * Discord's pacing waits. Final states are awaited, so a task leaves the active index only once shown:
 * resolves false when a final write failed and must be retried. `taskLock` is the caller's turn on the
 * task's lock, if it holds it: a channel dropped meanwhile is dropped inside that turn, or once the
 * caller has let go (a final edit past its grace), under the lock taken again.
 */
export async function fanOut(
  ctx: TrackerContext,
  task: TaskRecord,
  changed: boolean,
  final: boolean,
  taskLock?: HeldKey,
): Promise<boolean> {
  // Most polls change nothing: no need to read the subscriptions then.
  if (!changed && !final && !ctx.republish.anyOf(task.id)) return true;
  const subs = await activeSubscriptions(ctx, task);
  const writes = subs
    .filter((sub) => changed || final || ctx.republish.has(sub))
    .map((sub) => {
      // A final write is awaited under the task's lock (by a poll or a resume), up to a grace; a
      // progress tick finishes after the poll has let go of it.
      const write = publishTo(ctx, sub, task, { final, taskLock }).catch((error: unknown) => {
        const level = isFencedOut(error) ? 'debug' : 'error';
        ctx.logger[level]({ err: error, taskId: sub.taskId, channelId: sub.channelId }, 'publishing failed');
        return false;
      });
      ctx.background.add(write);
      return write;
    });
  if (!final) return true;
  return (await Promise.all(writes)).every(Boolean);
}

/**
 * Writes one subscription's message and applies what Discord answered; resolves false when the write
 * failed and is to be tried again. A subscription is dropped under the task's lock: inside the
 * caller's turn (`taskLock`) while it lasts, else by taking the lock.
 */
export async function publishTo(
  ctx: TrackerContext,
  sub: SubscriptionRecord,
  task: TaskRecord,
  options: { final: boolean; taskLock: HeldKey | undefined },
): Promise<boolean> {
  if (sub.state !== 'active' || sub.messageId === undefined) return true;
  const outcome = await ctx.publisher.update(sub, task, { final: options.final });
  // Built only when something is logged: a child logger costs more than the rest of a publish.
  const log = () => ctx.logger.child({ taskId: sub.taskId, channelId: sub.channelId, guildId: sub.guildId });
  switch (outcome.kind) {
    case 'published':
      ctx.republish.clear(sub);
      await recordRenderedHash(ctx, sub, outcome.hash);
      return true;
    case 'unchanged':
    case 'superseded':
      ctx.republish.clear(sub);
      return true;
    case 'failed':
      ctx.republish.mark(sub);
      log().warn('progress message update failed; will retry with the next poll');
      return false;
    case 'message_deleted':
    case 'channel_lost':
      ctx.republish.clear(sub);
      log().info({ outcome: outcome.kind }, 'progress message gone; this channel stops receiving updates');
      await dropUnderTaskLock(ctx, sub, options.taskLock);
      return true;
  }
}

function dropUnderTaskLock(ctx: TrackerContext, sub: SubscriptionRecord, taskLock: HeldKey | undefined) {
  const drop = () => dropSubscriptionLocked(ctx, sub);
  return taskLock ? taskLock.run(drop) : ctx.locks.run(sub.taskId, drop);
}

/** Remembers what the message now shows, on the latest record so that other changes to it are kept. */
async function recordRenderedHash(ctx: TrackerContext, sub: SubscriptionRecord, hash: string): Promise<void> {
  const { messageId } = sub;
  if (messageId === undefined) return;
  await ctx.store.updateSubscription(sub.taskId, sub.channelId, (current) =>
    withRenderedHash(current, messageId, hash),
  );
}
