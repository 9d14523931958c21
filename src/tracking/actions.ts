import { checkTaskId } from '../domain/task-id.js';
import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import type { TrackerContext } from './context.js';
import { withNotify } from './subscription-changes.js';
import { dropSubscriptionLocked, followedSubscription } from './subscriptions.js';
import type { NotifyResult, RefreshResult, UntrackResult } from './types.js';

/** What people do to a tracked task from its buttons or commands: stop it, refresh it, ask for a DM. */

/** Stops following a task in a channel; its message keeps its last reading and says who stopped it. */
export async function untrack(
  ctx: TrackerContext,
  taskId: string,
  channelId: string,
  byUserId: string,
): Promise<UntrackResult> {
  const checked = checkTaskId(taskId);
  if (!checked.ok) return { kind: 'invalid_id', reason: checked.reason };
  const sub = await followedSubscription(ctx, checked.id, channelId);
  if (!sub) return { kind: 'not_tracked' };
  const task = await ctx.store.getTask(checked.id);
  await ctx.locks.run(checked.id, () => dropSubscriptionLocked(ctx, sub));
  const stopped: SubscriptionRecord = { ...sub, state: 'stopped', stoppedBy: byUserId };
  if (task && sub.messageId !== undefined) {
    const shown: TaskRecord = { ...task, state: 'ended', endReason: 'untracked' };
    const outcome = await ctx.publisher.update(stopped, shown, { final: true });
    if (outcome.kind === 'failed')
      ctx.logger.warn({ taskId, channelId }, 'could not mark the message as stopped');
  }
  return { kind: 'untracked', subscription: stopped };
}

/** Polls a task now for a Refresh press, at most once per `refreshCooldownMs` per task. */
export async function refresh(
  ctx: TrackerContext,
  taskId: string,
  channelId: string,
): Promise<RefreshResult> {
  const sub = await ctx.store.getSubscription(taskId, channelId);
  const task = await ctx.store.getTask(taskId);
  if (sub?.state !== 'active' || task?.state !== 'active' || !ctx.queue) return { kind: 'not_tracked' };
  const now = ctx.clock.now();
  const cooldown = ctx.limits.refreshCooldownMs;
  const last = ctx.lastRefreshAt.get(taskId);
  if (last !== undefined && now - last < cooldown) return { kind: 'too_soon', retryAt: last + cooldown };
  // Forget old presses so the map holds only tasks refreshed within the cooldown.
  for (const [id, at] of ctx.lastRefreshAt) if (now - at >= cooldown) ctx.lastRefreshAt.delete(id);
  ctx.lastRefreshAt.set(taskId, now);
  return { kind: 'refreshed', outcome: await ctx.queue.pollNow(taskId) };
}

/** Turns the DM on the task's end on or off for a user (toggles when `on` is omitted). */
export async function setNotify(
  ctx: TrackerContext,
  taskId: string,
  channelId: string,
  userId: string,
  on: boolean | undefined,
): Promise<NotifyResult> {
  // Under the task's lock, so the DM list does not change while the task's delivery plans the DMs.
  return ctx.locks.run(taskId, async () => {
    if (!(await followedSubscription(ctx, taskId, channelId))) return { kind: 'not_tracked' };
    // Toggled against the record as stored now, and written with every other field as it is now.
    const updated = await ctx.store.updateSubscription(taskId, channelId, (current) =>
      current?.state === 'active'
        ? withNotify(current, userId, on ?? !current.notifyUserIds.includes(userId))
        : undefined,
    );
    if (updated?.state !== 'active') return { kind: 'not_tracked' };
    return { kind: updated.notifyUserIds.includes(userId) ? 'on' : 'off' };
  });
}
