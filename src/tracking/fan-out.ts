import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
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
 * resolves false when a final write failed and must be retried.
 */
export async function fanOut(
  ctx: TrackerContext,
  task: TaskRecord,
  changed: boolean,
  final: boolean,
): Promise<boolean> {
  // Most polls change nothing: no need to read the subscriptions then.
  if (!changed && !final && !ctx.republish.anyOf(task.id)) return true;
  const subs = await activeSubscriptions(ctx, task);
  const writes = subs
    .filter((sub) => changed || final || ctx.republish.has(sub))
    .map((sub) => {
      // A final write is awaited under the task's lock (by a poll or a resume); a progress tick
      // finishes after the poll has let go of it.
      const write = publishTo(ctx, sub, task, { final, holdsTaskLock: final }).catch((error: unknown) => {
        ctx.logger.error({ err: error, taskId: sub.taskId, channelId: sub.channelId }, 'publishing failed');
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
 * failed and is to be tried again. `holdsTaskLock` says whether the caller already holds the task's
 * lock (a poll does), so dropping a subscription does not wait on it.
 */
export async function publishTo(
  ctx: TrackerContext,
  sub: SubscriptionRecord,
  task: TaskRecord,
  options: { final: boolean; holdsTaskLock: boolean },
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
      if (options.holdsTaskLock) await dropSubscriptionLocked(ctx, sub);
      else await ctx.locks.run(sub.taskId, () => dropSubscriptionLocked(ctx, sub));
      return true;
  }
}

/** Remembers what the message now shows, on the latest record so that other changes to it are kept. */
async function recordRenderedHash(ctx: TrackerContext, sub: SubscriptionRecord, hash: string): Promise<void> {
  const { messageId } = sub;
  if (messageId === undefined) return;
  await ctx.store.updateSubscription(sub.taskId, sub.channelId, (current) =>
    withRenderedHash(current, messageId, hash),
  );
}
