import { randomUUID } from 'node:crypto';
import { checkTaskId } from '../domain/task-id.js';
import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import type { TrackerContext } from './context.js';
import { withKnownFacts } from './rules.js';
import { withNotify } from './subscription-changes.js';
import { createMessage, hasFinished } from './subscriptions.js';
import { planTrack, type TrackPlan } from './track-plan.js';
import type { TrackRequest, TrackResult } from './types.js';

/**
 * Starting to track a task in a channel: check the id and the limits, read the task once, record it,
 * post the progress message, and put the task on the schedule.
 */

export async function track(ctx: TrackerContext, request: TrackRequest): Promise<TrackResult> {
  const checked = checkTaskId(request.taskId);
  if (!checked.ok) return { kind: 'invalid_id', reason: checked.reason };
  return ctx.locks.run(checked.id, () => trackLocked(ctx, checked.id, request));
}

async function trackLocked(ctx: TrackerContext, taskId: string, request: TrackRequest): Promise<TrackResult> {
  const { store } = ctx;
  const existingTask = await store.getTask(taskId);
  const existing = await store.getSubscription(taskId, request.channelId);
  if (existing?.state === 'active' && existing.messageId !== undefined && existingTask) {
    const result = await alreadyTracked(ctx, existing, existingTask, request);
    await keepFollowing(ctx, existingTask, request);
    return result;
  }
  const refusal = await limitRefusal(ctx, request);
  if (refusal) return refusal;

  // Throws VideoApiError for an unknown task, a wrong key or an unreachable API: nothing is stored then.
  const reading = await ctx.videoApi.getVideo(taskId, { previous: existingTask?.snapshot });
  const now = ctx.clock.now();
  const plan = planTrack({
    request,
    taskId,
    snapshot: withKnownFacts(existingTask?.snapshot, reading),
    now,
    existingTask,
    existingSubscription: existing,
    existingFinished: await hasFinished(ctx, existingTask),
    nonce: randomUUID().replace(/-/g, '').slice(0, 25),
  });
  await record(ctx, plan, request);
  let result: TrackResult;
  try {
    result = await createMessage(ctx, plan.subscription, plan.task);
  } catch (error) {
    // Recorded and active, perhaps posted: the schedule must have it, or nothing polls it until a restart.
    ctx.queue?.schedule(taskId, {});
    throw error;
  }
  if (result.kind !== 'tracked') {
    // Nothing was posted: take back what was recorded so nothing is tracked.
    await takeBack(ctx, plan.task, request.channelId);
    return result;
  }
  ctx.queue?.schedule(taskId, plan.pollAtOnce ? { dueAt: now } : {});
  return result;
}

/** The channel already shows the task: the requester is only added to those it notifies. */
async function alreadyTracked(
  ctx: TrackerContext,
  existing: SubscriptionRecord,
  task: TaskRecord,
  request: TrackRequest,
): Promise<TrackResult> {
  // A finished task's message already shows how it ended; nobody can be notified of it any more.
  if (await hasFinished(ctx, task)) return { kind: 'already_tracked', subscription: existing, task };
  if (!request.notify) return { kind: 'already_tracked', subscription: existing, task };
  const updated = await ctx.store.updateSubscription(
    existing.taskId,
    existing.channelId,
    (current) => current && withNotify(current, request.requesterId, true),
  );
  return { kind: 'already_tracked', subscription: updated ?? existing, task };
}

/**
 * A channel that shows a task which is not over must have it on the schedule and in the active index: an
 * earlier try may have stopped between writing the subscription and either (a store outage, a lease lost),
 * and the person asking again is the chance to repair it.
 */
async function keepFollowing(ctx: TrackerContext, task: TaskRecord, request: TrackRequest): Promise<void> {
  if (task.state === 'ended') return;
  if (!(await ctx.store.isActive(task.id))) {
    await ctx.store.setActive(task.id, true, {
      userId: request.requesterId,
      ...(request.guildId !== undefined ? { guildId: request.guildId } : {}),
    });
  }
  ctx.queue?.schedule(task.id, {});
}

async function limitRefusal(ctx: TrackerContext, request: TrackRequest): Promise<TrackResult | undefined> {
  const { store, limits } = ctx;
  // Every shard's tasks count: a person's limit is global (docs/scaling.md#what-is-shared-and-what-is-not).
  const userCount = await (ctx.ledger ?? store).countActiveForUser(request.requesterId);
  if (userCount >= limits.maxTasksPerUser) return { kind: 'user_limit', limit: limits.maxTasksPerUser };
  if (request.guildId !== undefined) {
    const guildCount = await store.countActiveForGuild(request.guildId);
    if (guildCount >= limits.maxTasksPerGuild) return { kind: 'guild_limit', limit: limits.maxTasksPerGuild };
  }
  return undefined;
}

/** Records first, the index last: a crash before the message exists is finished by resume(). */
async function record(ctx: TrackerContext, plan: TrackPlan, request: TrackRequest): Promise<void> {
  await ctx.store.putTask(plan.task);
  await ctx.store.putSubscription(plan.subscription);
  await ctx.store.setActive(plan.task.id, true, {
    userId: request.requesterId,
    ...(request.guildId !== undefined ? { guildId: request.guildId } : {}),
  });
}

/** Undoes `record` for a channel whose message could not be posted. */
async function takeBack(ctx: TrackerContext, task: TaskRecord, channelId: string): Promise<void> {
  await ctx.store.deleteSubscription(task.id, channelId);
  const remaining = task.channelIds.filter((id) => id !== channelId);
  if (remaining.length === 0) {
    await ctx.store.putTask({
      ...task,
      channelIds: [],
      state: 'ended',
      endReason: 'untracked',
      endedAt: ctx.clock.now(),
    });
    await ctx.store.setActive(task.id, false);
  } else {
    await ctx.store.putTask({ ...task, channelIds: remaining });
  }
}
