import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import type { TrackerContext } from './context.js';
import { isUnposted } from './rules.js';
import type { TrackResult } from './types.js';

/**
 * A task's subscriptions (one per channel that follows it) and their progress messages: posting one,
 * dropping one, and which ones are still followed.
 */

/** The subscriptions that still receive the task's updates. */
export async function activeSubscriptions(
  ctx: TrackerContext,
  task: TaskRecord,
): Promise<SubscriptionRecord[]> {
  const subs = await ctx.store.subscriptionsOf(task.id);
  return subs.filter((sub) => sub.state === 'active' && task.channelIds.includes(sub.channelId));
}

/** Ended and out of the active index: delivered and shown everywhere, its subscriptions only remembered. */
export async function hasFinished(ctx: TrackerContext, task: TaskRecord | undefined): Promise<boolean> {
  return task?.state === 'ended' && !(await ctx.store.isActive(task.id));
}

/** The channel's subscription while its task is followed there (not once it has finished). */
export async function followedSubscription(
  ctx: TrackerContext,
  taskId: string,
  channelId: string,
): Promise<SubscriptionRecord | undefined> {
  const sub = await ctx.store.getSubscription(taskId, channelId);
  if (sub?.state !== 'active' || (await hasFinished(ctx, await ctx.store.getTask(taskId)))) return undefined;
  return sub;
}

/**
 * Forgets a channel's subscription (stopped, message deleted, channel lost); a task nobody watches any
 * more stops being polled. The task lets go of the channel first, so a crash in between leaves only an
 * orphan record that nothing reads. Needs the task lock.
 */
export async function dropSubscriptionLocked(ctx: TrackerContext, sub: SubscriptionRecord): Promise<void> {
  const { store } = ctx;
  const task = await store.getTask(sub.taskId);
  if (task) {
    const channelIds = task.channelIds.filter((id) => id !== sub.channelId);
    const next: TaskRecord = { ...task, channelIds };
    if (channelIds.length === 0 && task.state === 'active') {
      next.state = 'ended';
      next.endReason = 'untracked';
      next.endedAt = ctx.clock.now();
      await store.putTask(next);
      await store.setActive(task.id, false);
      ctx.queue?.unschedule(task.id);
    } else {
      await store.putTask(next);
    }
  }
  await store.deleteSubscription(sub.taskId, sub.channelId);
}

/** Posts a subscription's progress message and records it; idempotent through the subscription's nonce. */
export async function createMessage(
  ctx: TrackerContext,
  sub: SubscriptionRecord,
  task: TaskRecord,
): Promise<TrackResult> {
  const outcome = await ctx.publisher.create(sub, task);
  if (outcome.kind !== 'created') {
    return { kind: outcome.kind === 'channel_lost' ? 'channel_lost' : 'post_failed' };
  }
  const shown = {
    messageId: outcome.messageId,
    messageCreatedAt: outcome.createdAt,
    lastRenderedHash: outcome.hash,
  };
  // On the record as stored now: a 🔔 pressed while the message was being posted is kept.
  const posted = (await ctx.store.updateSubscription(sub.taskId, sub.channelId, (current) => ({
    ...(current ?? sub),
    ...shown,
  }))) ?? { ...sub, ...shown };
  return { kind: 'tracked', subscription: posted, task };
}

/**
 * Progress messages a crash left unposted (the records were written, the create was cut short): posted
 * now with the same nonce, so Discord returns the message if the first create did reach it. A channel
 * that refuses is dropped. Needs the task lock.
 */
export async function postMissingMessages(ctx: TrackerContext, task: TaskRecord): Promise<void> {
  for (const sub of await ctx.store.subscriptionsOf(task.id)) {
    if (!isUnposted(sub, task)) continue;
    const result = await createMessage(ctx, sub, task).catch((error: unknown) => {
      ctx.logger.error(
        { err: error, taskId: task.id, channelId: sub.channelId },
        'could not re-create progress message',
      );
      return undefined;
    });
    if (result?.kind === 'channel_lost') await dropSubscriptionLocked(ctx, sub);
  }
}
