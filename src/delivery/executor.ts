import { randomUUID } from 'node:crypto';
import type { DmDelivery, SubscriptionRecord, TaskRecord, TrackingStore } from '../store/index.js';
import {
  contentAfterRefusal,
  dmAfterSend,
  subscriptionAfterPost,
  type SubscriptionChange,
} from './outcomes.js';
import {
  deliverySteps,
  isDeliveryComplete,
  type DeliveryStep,
  type DeliveryWork,
  type DmStep,
  type PostStep,
} from './plan.js';
import type { ResultPublisher } from './result-port.js';
import type { DmClaims } from './dm-claims.js';
import { removeKeptDownload } from './download-dir.js';
import { firstPost, postAfterRefusal } from './post-fallback.js';
import { downloadForDelivery, type VideoDownloadDeps } from './video-download.js';

/**
 * Carries out a delivery plan: the download, then each step, each recorded before and after its side
 * effect. Every message is created with a nonce recorded first, so a step redone after a crash returns
 * the first message instead of posting a second.
 */

export interface DeliveryDeps extends VideoDownloadDeps {
  publisher: ResultPublisher;
  /** Which shard sends a DM that several shards owe; default this one alone. */
  dmClaims?: DmClaims;
}

const newNonce = () => randomUUID().replace(/-/g, '').slice(0, 25);

export async function executeDelivery(
  deps: DeliveryDeps,
  ended: TaskRecord,
  work: DeliveryWork,
): Promise<void> {
  const step = work.download
    ? await downloadForDelivery(deps, ended, work.download.maxBytes)
    : ({ kind: 'downloaded', task: ended, video: undefined, kept: false } as const);
  if (step.kind === 'waiting') return;
  const { task, video } = step;
  try {
    await runSteps(deps, task, deliverySteps(task, work, video));
  } finally {
    // A kept file waits for the places still owed it; markFinished removes it once none is.
    if (typeof video === 'object' && video.kind === 'file' && !step.kept) await video.cleanup();
  }
  const latest = (await deps.store.getTask(task.id)) ?? task;
  if (isDeliveryComplete(latest, await deps.store.subscriptionsOf(task.id), work))
    await markFinished(deps, latest);
}

/** Records that delivery began, once: after a restart it is finished rather than started over. */
export async function markStarted(deps: DeliveryDeps, task: TaskRecord): Promise<TaskRecord> {
  if (task.delivery?.startedAt !== undefined) return task;
  const started = { ...task, delivery: { ...task.delivery, startedAt: deps.clock.now() } };
  await deps.store.putTask(started);
  return started;
}

/** Records that delivery is over, after removing the file it kept (a crash in between leaves no file). */
export async function markFinished(deps: DeliveryDeps, task: TaskRecord): Promise<void> {
  const latest = await withoutKeptDownload(deps, task);
  await deps.store.putTask({ ...latest, delivery: { ...latest.delivery, finishedAt: deps.clock.now() } });
}

/** Removes the file delivery kept for the task, if any, and returns the task as stored, without it. */
export async function withoutKeptDownload(deps: DeliveryDeps, task: TaskRecord): Promise<TaskRecord> {
  const latest = (await deps.store.getTask(task.id)) ?? task;
  const download = latest.delivery?.download;
  if (download?.file === undefined) return latest;
  await removeKeptDownload(deps.downloadDirectory, download);
  const { file: _removed, ...rest } = download;
  return { ...latest, delivery: { ...latest.delivery, download: rest } };
}

async function runSteps(deps: DeliveryDeps, task: TaskRecord, steps: readonly DeliveryStep[]): Promise<void> {
  // One step at a time: the file is read into memory for each upload (discord.js buffers it).
  const posted = new Map<string, SubscriptionRecord>();
  for (const step of steps) {
    if (step.kind === 'post') posted.set(step.subscription.channelId, await postResult(deps, task, step));
    else await sendDm(deps, task, step, posted);
  }
}

async function postResult(deps: DeliveryDeps, task: TaskRecord, step: PostStep): Promise<SubscriptionRecord> {
  const { store, publisher, clock } = deps;
  const sub = step.subscription;
  const log = deps.logger.child({ taskId: task.id, channelId: sub.channelId, guildId: sub.guildId });
  // The nonce is recorded before the post: a post redone after a crash returns the first message.
  let current = sub.delivery
    ? sub
    : await updateSubscription(store, sub, { delivery: { state: 'pending', nonce: newNonce() } });
  const nonce = current.delivery!.nonce;
  // A retry: Discord may have the first post but no longer its nonce (docs/discord-limits.md).
  const earlier = sub.delivery ? await publisher.findPostedResult?.(current, task) : undefined;
  if (earlier !== undefined) {
    log.info('result found posted by an earlier try; not posting again');
    const found = subscriptionAfterPost(
      { kind: 'posted', messageId: earlier },
      step.content,
      nonce,
      clock.now(),
    );
    return updateSubscription(store, current, found!);
  }
  // Fitted to the channel's known permissions, then lesser after each refusal (post-fallback.ts).
  let post = firstPost(task, step.content, publisher.postAllowance?.(current));
  let outcome = await publisher.postResult(current, task, post.content, nonce, { reply: post.reply });
  let lesser = postAfterRefusal(task, post, outcome, step.limit);
  while (lesser) {
    log.info({ refused: outcome.kind, reply: lesser.reply }, 'result refused; posting a lesser form');
    post = lesser;
    outcome = await publisher.postResult(current, task, post.content, nonce, { reply: post.reply });
    lesser = postAfterRefusal(task, post, outcome, step.limit);
  }
  const change = subscriptionAfterPost(outcome, post.content, nonce, clock.now());
  if (change) current = await updateSubscription(store, current, change);
  if (outcome.kind === 'posted') log.info({ mode: current.delivery?.mode }, 'result posted');
  else if (outcome.kind === 'channel_lost' || outcome.kind === 'forbidden')
    log.info({ outcome: outcome.kind }, 'channel lost before the result could be posted');
  else log.warn('result could not be posted; will retry');
  return current;
}

async function sendDm(
  deps: DeliveryDeps,
  task: TaskRecord,
  step: DmStep,
  posted: ReadonlyMap<string, SubscriptionRecord>,
): Promise<void> {
  const { store, publisher, clock } = deps;
  const { userId, locale, subscription: sub } = step;
  // The subscription as it is now, so the DM links the result posted in its channel.
  const withResult =
    posted.get(sub.channelId) ?? (await store.getSubscription(sub.taskId, sub.channelId)) ?? sub;
  const log = deps.logger.child({ taskId: task.id, userId });
  // Claimed before anything is sent (a failed claim throws: retried later, never sent unclaimed).
  if ((await deps.dmClaims?.claimDm(task.id, userId)) === 'elsewhere') {
    await recordDm(store, task.id, userId, { state: 'elsewhere', nonce: newNonce(), at: clock.now() });
    log.info('DM left to the shard that claimed it');
    return;
  }
  const recorded = task.delivery?.dms?.[userId];
  const dm: DmDelivery = recorded ?? { state: 'pending', nonce: newNonce(), at: clock.now() };
  if (recorded === undefined) await recordDm(store, task.id, userId, dm);
  const earlier = recorded ? await publisher.findSentDm?.(userId, task) : undefined;
  if (earlier !== undefined) {
    await recordDm(
      store,
      task.id,
      userId,
      dmAfterSend({ kind: 'sent', messageId: earlier }, dm, clock.now())!,
    );
    log.info('DM found sent by an earlier try; not sending again');
    return;
  }
  let outcome = await publisher.sendDm(userId, locale, withResult, task, step.content, dm.nonce);
  const fallback = contentAfterRefusal(task, step.content, outcome, step.limit);
  if (fallback) outcome = await publisher.sendDm(userId, locale, withResult, task, fallback, dm.nonce);
  const record = dmAfterSend(outcome, dm, clock.now());
  if (record) await recordDm(store, task.id, userId, record);
  if (outcome.kind === 'sent') log.info('DM sent');
  else if (outcome.kind === 'closed') log.info('DM not delivered: the user does not accept DMs');
  else log.warn('DM could not be sent; will retry');
}

/**
 * Applies a change to the subscription as stored now, as one store update: a progress edit recording
 * what its message shows at the same moment keeps its field, and this change is not lost to it.
 */
async function updateSubscription(
  store: TrackingStore,
  sub: SubscriptionRecord,
  change: SubscriptionChange,
): Promise<SubscriptionRecord> {
  const next = await store.updateSubscription(sub.taskId, sub.channelId, (current) => ({
    ...(current ?? sub),
    ...change,
  }));
  return next ?? { ...sub, ...change };
}

async function recordDm(store: TrackingStore, taskId: string, userId: string, dm: DmDelivery): Promise<void> {
  const task = await store.getTask(taskId);
  if (!task) return;
  await store.putTask({
    ...task,
    delivery: { ...task.delivery, dms: { ...task.delivery?.dms, [userId]: dm } },
  });
}
