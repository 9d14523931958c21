import type { DmDelivery, SubscriptionRecord, TaskRecord } from '../store/index.js';
import { MAX_REQUEST_BYTES, contentFor, type ResultContent, type VideoFacts } from './content.js';
import type { UploadLimits } from './result-port.js';

/**
 * What is still owed for an ended task, decided from its records alone (no I/O): which channels get a
 * result message, who gets a DM, how large the one download may be, and then, given what the download
 * gave, what each place is sent. What was posted or sent before (a restart, a retry) is not owed again.
 */

/** A channel owed its result message. */
export interface ChannelTarget {
  subscription: SubscriptionRecord;
  /** The most a file may weigh there, never above one request's cap. */
  limit: number;
}

/** A user owed a DM, written in the locale known for them. */
export interface DmTarget {
  userId: string;
  /** The first subscription that asked: its channel's result is the one the DM links. */
  subscription: SubscriptionRecord;
  locale: string;
  /** The most a file may weigh in a DM. */
  limit: number;
}

export type DeliveryPlan =
  /** Nothing is owed any more. */
  | { kind: 'finish' }
  /** Nothing can be sent now, but a channel's progress message is not posted yet: its result waits for it. */
  | { kind: 'wait' }
  | DeliveryWork;

export interface DeliveryWork {
  kind: 'deliver';
  /** A completed or failed task has a result for its channels; any other end is only DMed. */
  postsResults: boolean;
  channels: ChannelTarget[];
  dms: DmTarget[];
  /** The one download shared by every place, when the task has a video. */
  download: { maxBytes: number } | undefined;
}

export type PostStep = ChannelTarget & { kind: 'post'; content: ResultContent };
export type DmStep = DmTarget & { kind: 'dm'; content: ResultContent };
/** Channels first: a DM links the result message posted in its channel. */
export type DeliveryStep = PostStep | DmStep;

export function planDelivery(
  task: TaskRecord,
  subscriptions: readonly SubscriptionRecord[],
  limits: UploadLimits,
): DeliveryPlan {
  const postsResults = task.endReason === 'completed' || task.endReason === 'failed';
  const withMessage = tracking(task, subscriptions).filter((sub) => sub.messageId !== undefined);
  const channels = postsResults
    ? withMessage
        .filter((sub) => sub.delivery?.state !== 'posted')
        .map((sub) => ({
          subscription: sub,
          limit: Math.min(limits.channelUploadLimit(sub), MAX_REQUEST_BYTES),
        }))
    : [];
  const dms = [...dmRecipients(withMessage)]
    .filter(([userId]) => !isDmSettled(task.delivery?.dms?.[userId]))
    .map(([userId, sub]) => ({
      userId,
      subscription: sub,
      locale: userId === sub.requesterId ? sub.requesterLocale : sub.locale,
      limit: limits.dmUploadLimit,
    }));
  if (channels.length === 0 && dms.length === 0)
    return channelsOwed(task, subscriptions, postsResults) ? { kind: 'wait' } : { kind: 'finish' };
  const uploadLimits = [...channels.map((c) => c.limit), ...(dms.length > 0 ? [limits.dmUploadLimit] : [])];
  const download =
    task.endReason === 'completed'
      ? { maxBytes: Math.min(MAX_REQUEST_BYTES, Math.max(0, ...uploadLimits)) }
      : undefined;
  return { kind: 'deliver', postsResults, channels, dms, download };
}

/** What each place is sent, given what the one download gave. */
export function deliverySteps(task: TaskRecord, work: DeliveryWork, video: VideoFacts): DeliveryStep[] {
  return [
    ...work.channels.map((target): PostStep => ({
      kind: 'post',
      ...target,
      content: contentFor(task, video, target.limit),
    })),
    ...work.dms.map((target): DmStep => ({
      kind: 'dm',
      ...target,
      content: contentFor(task, video, target.limit),
    })),
  ];
}

/**
 * Whether the work is done per the records now: every tracking channel has its result posted (one whose
 * progress message is still missing gets its result once that is posted), and every DM was sent or
 * refused for good.
 */
export function isDeliveryComplete(
  task: TaskRecord,
  subscriptions: readonly SubscriptionRecord[],
  work: { postsResults: boolean; dms: readonly Pick<DmTarget, 'userId'>[] },
): boolean {
  return (
    !channelsOwed(task, subscriptions, work.postsResults) &&
    work.dms.every(({ userId }) => isDmSettled(task.delivery?.dms?.[userId]))
  );
}

/** Subscriptions still following the task: a stopped or lost channel gets nothing. */
function tracking(task: TaskRecord, subscriptions: readonly SubscriptionRecord[]): SubscriptionRecord[] {
  return subscriptions.filter((sub) => sub.state === 'active' && task.channelIds.includes(sub.channelId));
}

function channelsOwed(
  task: TaskRecord,
  subscriptions: readonly SubscriptionRecord[],
  postsResults: boolean,
): boolean {
  return (
    postsResults &&
    tracking(task, subscriptions).some(
      (sub) => sub.messageId === undefined || sub.delivery?.state !== 'posted',
    )
  );
}

/** Everyone who asked for a DM, each once, with the first subscription that asked. */
function dmRecipients(subscriptions: readonly SubscriptionRecord[]): Map<string, SubscriptionRecord> {
  const recipients = new Map<string, SubscriptionRecord>();
  for (const sub of subscriptions)
    for (const userId of sub.notifyUserIds) if (!recipients.has(userId)) recipients.set(userId, sub);
  return recipients;
}

/** A DM sent, refused because the user's DMs are closed, or another shard's to send: never sent from here again. */
export function isDmSettled(dm: DmDelivery | undefined): boolean {
  return dm?.state === 'sent' || dm?.state === 'closed' || dm?.state === 'elsewhere';
}
