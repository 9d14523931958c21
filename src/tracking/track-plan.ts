import type { VideoSnapshot } from '../domain/video.js';
import type { SubscriptionRecord, TaskRecord } from '../store/index.js';
import { isDmSettled } from '../delivery/plan.js';
import { terminalReason } from './rules.js';
import type { TrackRequest } from './types.js';

/**
 * What a `/sora track` writes, decided without I/O: the task record and the channel's subscription,
 * given what the store already holds about the task and a fresh reading of it.
 */

export interface TrackSituation {
  request: TrackRequest;
  /** The checked task id. */
  taskId: string;
  /** The fresh reading, merged with the facts known before. */
  snapshot: VideoSnapshot;
  now: number;
  existingTask: TaskRecord | undefined;
  /** The channel's subscription to the task, if it has one. */
  existingSubscription: SubscriptionRecord | undefined;
  /** Whether the existing task has finished (ended, delivered, out of the active index). */
  existingFinished: boolean;
  /** The nonce of a new progress message, used unless an unfinished create is redone. */
  nonce: string;
}

export interface TrackPlan {
  task: TaskRecord;
  subscription: SubscriptionRecord;
  /** A task that already ended is polled at once: that poll ends it and delivers its result. */
  pollAtOnce: boolean;
}

export function planTrack(situation: TrackSituation): TrackPlan {
  const { existingTask, existingFinished } = situation;
  const reopened = existingTask?.state === 'active';
  // Ended but still being delivered (a result, a DM or a final edit to retry): the channel joins
  // that delivery. Starting the task over would drop the channels still waiting for their result.
  const ending = existingTask?.state === 'ended' && !existingFinished;
  const continued = reopened || ending ? existingTask : undefined;
  // A subscription without a message is what a crash during its create leaves: that create may
  // have reached Discord, so it is redone with the same nonce and returns the same message.
  const unfinished =
    situation.existingSubscription?.state === 'active' && continued
      ? situation.existingSubscription
      : undefined;
  return {
    task: ending ? joinEnding(existingTask, situation) : startTask(situation, continued),
    subscription: newSubscription(situation, unfinished),
    pollAtOnce: ending || terminalReason(situation.snapshot.status) !== undefined,
  };
}

/** The ended task with the new channel added: delivery runs again for it, not for what was already sent. */
function joinEnding(task: TaskRecord, { snapshot, request, now }: TrackSituation): TaskRecord {
  return {
    ...task,
    snapshot,
    // Retention counts from this end, the one the new channel sees.
    endedAt: now,
    channelIds: [...new Set([...task.channelIds, request.channelId])],
    ...(task.delivery ? { delivery: { ...task.delivery, finishedAt: undefined } } : {}),
  };
}

/** A task tracked from now on, keeping the channels and start of one still running (`running`). */
function startTask(situation: TrackSituation, running: TaskRecord | undefined): TaskRecord {
  const { taskId, snapshot, now, request } = situation;
  return {
    v: 1,
    id: taskId,
    state: 'active',
    snapshot,
    trackedAt: running ? running.trackedAt : now,
    lastChangeAt: now,
    lastPolledAt: now,
    channelIds: [...new Set([...(running?.channelIds ?? []), request.channelId])],
    ...deliveredDms(situation.existingTask),
  };
}

/**
 * A finished task tracked afresh is delivered again where it is now tracked, but whoever already got
 * (or refused, or gets from another shard) the DM about it is not sent a second one.
 */
function deliveredDms(task: TaskRecord | undefined): Pick<TaskRecord, 'delivery'> {
  const dms = Object.entries(task?.delivery?.dms ?? {}).filter(([, dm]) => isDmSettled(dm));
  return dms.length === 0 ? {} : { delivery: { dms: Object.fromEntries(dms) } };
}

function newSubscription(
  { request, taskId, now, nonce }: TrackSituation,
  unfinished: SubscriptionRecord | undefined,
): SubscriptionRecord {
  const notifyUserIds = [
    ...new Set([...(unfinished?.notifyUserIds ?? []), ...(request.notify ? [request.requesterId] : [])]),
  ];
  return {
    v: 1,
    taskId,
    channelId: request.channelId,
    ...(request.guildId !== undefined ? { guildId: request.guildId } : {}),
    requesterId: unfinished?.requesterId ?? request.requesterId,
    nonce: unfinished?.nonce ?? nonce,
    notifyUserIds,
    locale: request.locale,
    requesterLocale: request.requesterLocale,
    ...(request.uploadLimitBytes !== undefined ? { uploadLimitBytes: request.uploadLimitBytes } : {}),
    createdAt: now,
    state: 'active',
  };
}
