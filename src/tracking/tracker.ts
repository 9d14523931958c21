import { randomUUID } from 'node:crypto';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { Delivery } from '../delivery/delivery.js';
import { createKeyedMutex } from '../store/keyed-mutex.js';
import type { PollOutcome } from '../scheduling/poll-scheduler.js';
import type { EndReason, SubscriptionRecord, TaskRecord, TrackingStore } from '../store/index.js';
import { VideoApiError } from '../video-api/errors.js';
import type { VideoApiClient } from '../video-api/client.js';
import { checkTaskId } from '../domain/task-id.js';
import type { VideoSnapshot } from '../domain/video.js';

/**
 * The tracking workflow, independent of Discord: start and stop tracking, poll a task, decide what
 * changed and hand each subscription to the publisher (the Discord side implements it).
 */

export type PublishOutcome =
  | { kind: 'published'; hash: string }
  | { kind: 'unchanged' }
  /** A newer state for the same message was written instead. */
  | { kind: 'superseded' }
  | { kind: 'message_deleted' }
  | { kind: 'channel_lost' }
  /** A transient failure (5xx, network): try again with the next change or retry. */
  | { kind: 'failed' };

export type CreateOutcome =
  | { kind: 'created'; messageId: string; createdAt: number; hash: string }
  | { kind: 'channel_lost' }
  | { kind: 'failed' };

/** The port through which the tracker shows a task to people; implemented on the Discord side. */
export interface ProgressPublisher {
  /** Posts the progress message; idempotent through `subscription.nonce`. */
  create(subscription: SubscriptionRecord, task: TaskRecord): Promise<CreateOutcome>;
  /** Brings the progress message up to date with the task; paced and coalesced by the implementation. */
  update(
    subscription: SubscriptionRecord,
    task: TaskRecord,
    options: { final: boolean },
  ): Promise<PublishOutcome>;
}

/** What the tracker needs from the scheduler (kept structural so tests can pass a stub). */
export interface PollQueue {
  schedule(taskId: string, options?: { dueAt?: number }): void;
  unschedule(taskId: string): void;
  /** Polls now (joining a poll in flight); resolves undefined when it could not. */
  pollNow(taskId: string): Promise<PollOutcome | undefined>;
}

export interface TrackerMetrics {
  pollFinished(outcome: 'changed' | 'unchanged' | 'terminal' | 'error', seconds: number): void;
}

export interface TrackerOptions {
  store: TrackingStore;
  videoApi: VideoApiClient;
  publisher: ProgressPublisher;
  clock: Clock;
  logger: Logger;
  limits: {
    maxTasksPerUser: number;
    maxTasksPerGuild: number;
    idleTimeoutMs: number;
    maxAgeMs: number;
    /** Restarted tasks are spread over this window so a restart does not stampede the API. */
    resumeSpreadMs: number;
    /** Shortest gap between two Refresh presses that poll a task. */
    refreshCooldownMs: number;
    /** Delivery that keeps failing (Discord down, video unreachable) is given up after this long. */
    deliveryGiveUpMs: number;
  };
  metrics?: TrackerMetrics;
  random?: () => number;
  /** Delivers the result of an ended task (results, DMs); without it tasks just show their final state. */
  delivery?: Delivery;
  /**
   * When a task restored by resume() is first polled, e.g. just after its relay's next refresh;
   * undefined spreads it over `limits.resumeSpreadMs`.
   */
  firstPollAt?: (task: TaskRecord, now: number) => number | undefined;
}

export interface TrackRequest {
  taskId: string;
  channelId: string;
  guildId: string | undefined;
  requesterId: string;
  /** Locale of the channel message (the guild's), and of the requester. */
  locale: string;
  requesterLocale: string;
  uploadLimitBytes: number | undefined;
  notify: boolean;
}

export type TrackResult =
  | { kind: 'tracked'; subscription: SubscriptionRecord; task: TaskRecord }
  | { kind: 'already_tracked'; subscription: SubscriptionRecord; task: TaskRecord }
  | { kind: 'invalid_id'; reason: string }
  | { kind: 'user_limit'; limit: number }
  | { kind: 'guild_limit'; limit: number }
  | { kind: 'channel_lost' }
  | { kind: 'post_failed' };

export type UntrackResult =
  | { kind: 'untracked'; subscription: SubscriptionRecord }
  | { kind: 'not_tracked' }
  | { kind: 'invalid_id'; reason: string };

export type RefreshResult =
  | { kind: 'refreshed'; outcome: PollOutcome | undefined }
  | { kind: 'too_soon'; retryAt: number }
  | { kind: 'not_tracked' };

export type NotifyResult = { kind: 'on' } | { kind: 'off' } | { kind: 'not_tracked' };

export interface ChannelEntry {
  subscription: SubscriptionRecord;
  task: TaskRecord | undefined;
}

export interface Tracker {
  track(request: TrackRequest): Promise<TrackResult>;
  untrack(taskId: string, channelId: string, byUserId: string): Promise<UntrackResult>;
  /** A one-off reading for `/sora status`; throws VideoApiError. */
  snapshot(
    taskId: string,
  ): Promise<{ kind: 'ok'; snapshot: VideoSnapshot } | { kind: 'invalid_id'; reason: string }>;
  listChannel(channelId: string): Promise<ChannelEntry[]>;
  /** The active subscription of a channel to a task, if any. */
  subscription(taskId: string, channelId: string): Promise<SubscriptionRecord | undefined>;
  /** Polls a task now for a Refresh press, at most once per `refreshCooldownMs`. */
  refresh(taskId: string, channelId: string): Promise<RefreshResult>;
  /** Turns the DM on the task's end on or off for a user (toggles when `on` is omitted). */
  setNotify(taskId: string, channelId: string, userId: string, on?: boolean): Promise<NotifyResult>;
  /**
   * One poll of a task: the scheduler calls it. `apiDone` is called once the poll needs the API no more,
   * so that showing a task's end (which waits for Discord) does not hold up the polls of other tasks.
   */
  poll(taskId: string, signal?: AbortSignal, apiDone?: () => void): Promise<PollOutcome>;
  /** Reloads every active task after a start and puts it back on the schedule. */
  resume(queue: PollQueue): Promise<{ resumed: number; finished: number }>;
  attach(queue: PollQueue): void;
  /** Resolves once every message write started so far has been answered. */
  settled(): Promise<void>;
}

/** Tasks read from the store at once when resuming. */
const RESUME_BATCH = 200;
/**
 * How long a poll waits for a task's final state to be shown; past it, the rest goes on without the
 * poll, so that a Discord backlog holds queued edits rather than thousands of polls.
 */
const FINAL_GRACE_MS = 2_000;

const TERMINAL: Record<VideoSnapshot['status'], EndReason | undefined> = {
  completed: 'completed',
  failed: 'failed',
  queued: undefined,
  in_progress: undefined,
};

/** Fields whose change people would see in the progress message. */
function visiblyDifferent(before: VideoSnapshot | undefined, after: VideoSnapshot): boolean {
  if (!before) return true;
  return (
    before.status !== after.status ||
    before.rawStatus !== after.rawStatus ||
    Math.floor(before.progress ?? -1) !== Math.floor(after.progress ?? -1) ||
    before.queuePosition !== after.queuePosition ||
    before.estimatedWaitSeconds !== after.estimatedWaitSeconds ||
    before.videoUrl !== after.videoUrl ||
    before.failure?.reason !== after.failure?.reason ||
    before.model !== after.model ||
    before.size !== after.size ||
    before.durationSeconds !== after.durationSeconds ||
    before.prompt !== after.prompt
  );
}

/**
 * Facts about the task itself do not change while it runs, but some relays send them only in some
 * states (the seed relay's completed object has no prompt): keep what an earlier reading told us.
 */
function withKnownFacts(previous: VideoSnapshot | undefined, next: VideoSnapshot): VideoSnapshot {
  if (!previous) return next;
  return {
    ...next,
    model: next.model ?? previous.model,
    size: next.size ?? previous.size,
    durationSeconds: next.durationSeconds ?? previous.durationSeconds,
    prompt: next.prompt ?? previous.prompt,
    enhancedPrompt: next.enhancedPrompt ?? previous.enhancedPrompt,
    createdAt: next.createdAt ?? previous.createdAt,
  };
}

export function createTracker(options: TrackerOptions): Tracker {
  const { store, videoApi, publisher, clock, logger, limits } = options;
  const random = options.random ?? Math.random;
  const taskLock = createKeyedMutex();
  /** Subscriptions whose last write failed transiently: written again on the next poll even without a change. */
  const needsRepublish = new Set<string>();
  /** When each task was last refreshed by a button press (in memory: a restart may allow one more). */
  const lastRefreshAt = new Map<string, number>();
  let queue: PollQueue | undefined;

  const subKey = (sub: Pick<SubscriptionRecord, 'taskId' | 'channelId'>) =>
    `${sub.taskId}\u0000${sub.channelId}`;
  const awaitsRepublish = (taskId: string) => {
    for (const key of needsRepublish) if (key.startsWith(`${taskId}\u0000`)) return true;
    return false;
  };

  /**
   * Writes one subscription's message and applies what Discord answered. `holdsTaskLock` says whether
   * the caller already holds the task's lock (a poll does), so dropping a subscription does not wait on it.
   */
  async function publishTo(
    sub: SubscriptionRecord,
    task: TaskRecord,
    final: boolean,
    holdsTaskLock: boolean,
  ): Promise<boolean> {
    if (sub.state !== 'active' || sub.messageId === undefined) return true;
    const outcome = await publisher.update(sub, task, { final });
    // Built only when something is logged: a child logger costs more than the rest of a publish.
    const log = () => logger.child({ taskId: sub.taskId, channelId: sub.channelId, guildId: sub.guildId });
    switch (outcome.kind) {
      case 'published': {
        needsRepublish.delete(subKey(sub));
        await taskLock.run(`sub:${subKey(sub)}`, async () => {
          const current = await store.getSubscription(sub.taskId, sub.channelId);
          if (current) await store.putSubscription({ ...current, lastRenderedHash: outcome.hash });
        });
        return true;
      }
      case 'unchanged':
      case 'superseded':
        needsRepublish.delete(subKey(sub));
        return true;
      case 'failed':
        needsRepublish.add(subKey(sub));
        log().warn('progress message update failed; will retry with the next poll');
        return false;
      case 'message_deleted':
      case 'channel_lost': {
        needsRepublish.delete(subKey(sub));
        log().info({ outcome: outcome.kind }, 'progress message gone; this channel stops receiving updates');
        if (holdsTaskLock) await dropSubscriptionLocked(sub);
        else await taskLock.run(sub.taskId, () => dropSubscriptionLocked(sub));
        return true;
      }
    }
  }

  /**
   * Forgets a channel's subscription (stopped, message deleted, channel lost); a task nobody watches any
   * more stops being polled. The task lets go of the channel first, so a crash in between leaves only an
   * orphan record that nothing reads. Needs the task lock.
   */
  async function dropSubscriptionLocked(sub: SubscriptionRecord): Promise<void> {
    const task = await store.getTask(sub.taskId);
    if (task) {
      const channelIds = task.channelIds.filter((id) => id !== sub.channelId);
      const next: TaskRecord = { ...task, channelIds };
      if (channelIds.length === 0 && task.state === 'active') {
        next.state = 'ended';
        next.endReason = 'untracked';
        await store.putTask(next);
        await store.setActive(task.id, false);
        queue?.unschedule(task.id);
      } else {
        await store.putTask(next);
      }
    }
    await store.deleteSubscription(sub.taskId, sub.channelId);
  }

  async function activeSubscriptions(task: TaskRecord): Promise<SubscriptionRecord[]> {
    const subs = await store.subscriptionsOf(task.id);
    return subs.filter((sub) => sub.state === 'active' && task.channelIds.includes(sub.channelId));
  }

  /** Publishes still running, so shutdown and tests can wait for them. */
  const inFlight = new Set<Promise<unknown>>();

  /**
   * Hands a task to its channels. Progress ticks are not awaited: a poll must not hold its slot while
   * Discord's pacing waits. Final states are awaited, so a task leaves the active index only once shown:
   * resolves false when a final write failed and must be retried.
   */
  async function fanOut(task: TaskRecord, changed: boolean, final: boolean): Promise<boolean> {
    // Most polls change nothing: no need to read the subscriptions then.
    if (!changed && !final && !awaitsRepublish(task.id)) return true;
    const subs = await activeSubscriptions(task);
    const writes = subs
      .filter((sub) => changed || final || needsRepublish.has(subKey(sub)))
      .map((sub) => {
        const write = publishTo(sub, task, final, final).catch((error: unknown) => {
          logger.error({ err: error, taskId: sub.taskId, channelId: sub.channelId }, 'publishing failed');
          return false;
        });
        inFlight.add(write);
        void write.finally(() => inFlight.delete(write));
        return write;
      });
    if (!final) return true;
    return (await Promise.all(writes)).every(Boolean);
  }

  /**
   * Ends a task: records why, delivers the result, shows the final state everywhere, then leaves the
   * active index. Recorded first and removed from the index last, so a crash anywhere in between is
   * finished by resume(). Returns false while delivery still has work to retry.
   */
  async function endTask(task: TaskRecord, reason: EndReason): Promise<boolean> {
    const ended: TaskRecord = { ...task, state: 'ended', endReason: reason };
    await store.putTask(ended);
    logger.info({ taskId: task.id, reason }, 'task ended');
    return finishEnding(ended);
  }

  /**
   * Progress messages a crash left unposted (the records were written, the create was cut short): posted
   * now with the same nonce, so Discord returns the message if the first create did reach it. A channel
   * that refuses is dropped. Needs the task lock.
   */
  async function postMissingMessages(task: TaskRecord): Promise<void> {
    for (const sub of await store.subscriptionsOf(task.id)) {
      if (sub.state !== 'active' || sub.messageId !== undefined || !task.channelIds.includes(sub.channelId))
        continue;
      const result = await createMessage(sub, task).catch((error: unknown) => {
        logger.error(
          { err: error, taskId: task.id, channelId: sub.channelId },
          'could not re-create progress message',
        );
        return undefined;
      });
      if (result?.kind === 'channel_lost') await dropSubscriptionLocked(sub);
    }
  }

  async function finishEnding(endedTask: TaskRecord): Promise<boolean> {
    // Every channel gets its result, including one whose progress message a crash left unposted.
    await postMissingMessages(endedTask);
    const ended = (await store.getTask(endedTask.id)) ?? endedTask;
    if (options.delivery) {
      try {
        await options.delivery.deliver(ended);
      } catch (error) {
        logger.error({ err: error, taskId: ended.id }, 'delivery failed; will retry');
      }
    }
    const latest = (await store.getTask(ended.id)) ?? ended;
    const delivered =
      !options.delivery || latest.delivery?.finishedAt !== undefined || latest.endReason === 'untracked';
    // The final state, with a link to the result message once there is one.
    const showing = fanOut(latest, true, true);
    const shownInTime = await withinGrace(showing);
    if (shownInTime === undefined && delivered) {
      // Discord is busy and the edit waits its turn: the task leaves the active index once it is shown,
      // without holding up a poll meanwhile (thousands wait when many tasks end at once).
      finishWhenShown(ended.id, showing);
      return true;
    }
    const shown = shownInTime ?? false;
    const startedAt = latest.delivery?.startedAt ?? latest.lastPolledAt ?? clock.now();
    const givenUp = clock.now() - startedAt >= limits.deliveryGiveUpMs;
    const finished = (shown && delivered) || givenUp;
    if (givenUp && !(shown && delivered))
      logger.warn({ taskId: ended.id }, 'giving up on delivering this task');
    if (finished) await leaveActive(ended.id);
    return finished;
  }

  async function leaveActive(taskId: string): Promise<void> {
    await store.setActive(taskId, false);
    queue?.unschedule(taskId);
    // A finished task leaves its channels' lists, so they do not grow forever. Its subscriptions stay:
    // tracking it again in a channel (a retry after a lost answer) links the message that shows how
    // it ended instead of posting and delivering everything a second time.
    for (const sub of await store.subscriptionsOf(taskId))
      await store.unlistSubscription(sub.taskId, sub.channelId);
  }

  /** The promise's value if it settles within FINAL_GRACE_MS, else undefined (it goes on regardless). */
  async function withinGrace<T>(promise: Promise<T>): Promise<T | undefined> {
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

  /** Finishes a delivered task once its final state is shown; a poll retries the edit if it failed. */
  function finishWhenShown(taskId: string, showing: Promise<boolean>): void {
    const done = showing
      .then((shown) =>
        taskLock.run(taskId, async () => {
          // A channel that joined meanwhile (/sora track) still waits for its result: the task stays.
          const latest = await store.getTask(taskId);
          const delivered =
            !options.delivery ||
            latest?.delivery?.finishedAt !== undefined ||
            latest?.endReason === 'untracked';
          if (shown && delivered) await leaveActive(taskId);
          else queue?.schedule(taskId, { dueAt: clock.now() + limits.resumeSpreadMs });
        }),
      )
      .catch((error: unknown) => logger.error({ err: error, taskId }, 'could not finish the task'));
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  }

  async function pollOnce(
    taskId: string,
    signal: AbortSignal | undefined,
    apiDone: () => void,
  ): Promise<PollOutcome> {
    const task = await store.getTask(taskId);
    if (!task) {
      await store.setActive(taskId, false);
      return 'terminal';
    }
    // An ended task still scheduled has delivery left to retry.
    if (task.state === 'ended') {
      apiDone();
      return (await finishEnding(task)) ? 'terminal' : 'unchanged';
    }
    const now = clock.now();
    let snapshot: VideoSnapshot;
    try {
      snapshot = withKnownFacts(
        task.snapshot,
        await videoApi.getVideo(taskId, { previous: task.snapshot, ...(signal ? { signal } : {}) }),
      );
    } catch (error) {
      apiDone();
      if (error instanceof VideoApiError && error.kind === 'not_found') {
        return (await endTask({ ...task, lastPolledAt: now }, 'not_found')) ? 'terminal' : 'unchanged';
      }
      // Other failures (outage, rate limit, a key revoked for a while) keep the task; the deadlines end it.
      const expired = deadlineReason(task, now);
      if (expired) return (await endTask(task, expired)) ? 'terminal' : 'unchanged';
      throw error;
    }
    apiDone();
    const changed = visiblyDifferent(task.snapshot, snapshot);
    const next: TaskRecord = {
      ...task,
      snapshot,
      lastPolledAt: now,
      lastChangeAt: changed ? now : task.lastChangeAt,
    };
    const terminal = TERMINAL[snapshot.status];
    if (terminal) return (await endTask(next, terminal)) ? 'terminal' : 'unchanged';
    const expired = deadlineReason(next, now);
    if (expired) return (await endTask(next, expired)) ? 'terminal' : 'unchanged';
    await store.putTask(next);
    await fanOut(next, changed, false);
    return changed ? 'changed' : 'unchanged';
  }

  function deadlineReason(task: TaskRecord, now: number): EndReason | undefined {
    if (now - task.trackedAt >= limits.maxAgeMs) return 'max_age';
    if (now - task.lastChangeAt >= limits.idleTimeoutMs) return 'idle_timeout';
    return undefined;
  }

  /**
   * A finished task tracked afresh is delivered again where it is now tracked, but whoever already got
   * (or refused) the DM about it is not sent a second one.
   */
  function deliveredDms(task: TaskRecord | undefined): Pick<TaskRecord, 'delivery'> {
    const dms = Object.entries(task?.delivery?.dms ?? {}).filter(
      ([, dm]) => dm.state === 'sent' || dm.state === 'closed',
    );
    return dms.length === 0 ? {} : { delivery: { dms: Object.fromEntries(dms) } };
  }

  /** Ended and out of the active index: delivered and shown everywhere, its subscriptions only remembered. */
  async function hasFinished(task: TaskRecord | undefined): Promise<boolean> {
    return task?.state === 'ended' && !(await store.isActive(task.id));
  }

  /** The channel's subscription while its task is followed there (not once it has finished). */
  async function followedSubscription(taskId: string, channelId: string) {
    const sub = await store.getSubscription(taskId, channelId);
    if (sub?.state !== 'active' || (await hasFinished(await store.getTask(taskId)))) return undefined;
    return sub;
  }

  async function createMessage(sub: SubscriptionRecord, task: TaskRecord): Promise<TrackResult> {
    const outcome = await publisher.create(sub, task);
    if (outcome.kind !== 'created') {
      return { kind: outcome.kind === 'channel_lost' ? 'channel_lost' : 'post_failed' };
    }
    const posted: SubscriptionRecord = {
      ...sub,
      messageId: outcome.messageId,
      messageCreatedAt: outcome.createdAt,
      lastRenderedHash: outcome.hash,
    };
    await store.putSubscription(posted);
    return { kind: 'tracked', subscription: posted, task };
  }

  const tracker: Tracker = {
    attach(pollQueue) {
      queue = pollQueue;
    },

    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },

    async track(request) {
      const checked = checkTaskId(request.taskId);
      if (!checked.ok) return { kind: 'invalid_id', reason: checked.reason };
      const taskId = checked.id;
      return taskLock.run(taskId, async () => {
        const existingTask = await store.getTask(taskId);
        const existing = await store.getSubscription(taskId, request.channelId);
        if (existing?.state === 'active' && existing.messageId !== undefined && existingTask) {
          // A finished task's message already shows how it ended; nobody can be notified of it any more.
          if (await hasFinished(existingTask)) {
            return { kind: 'already_tracked', subscription: existing, task: existingTask };
          }
          if (request.notify && !existing.notifyUserIds.includes(request.requesterId)) {
            const withNotify = {
              ...existing,
              notifyUserIds: [...existing.notifyUserIds, request.requesterId],
            };
            await store.putSubscription(withNotify);
            return { kind: 'already_tracked', subscription: withNotify, task: existingTask };
          }
          return { kind: 'already_tracked', subscription: existing, task: existingTask };
        }
        const userCount = await store.countActiveForUser(request.requesterId);
        if (userCount >= limits.maxTasksPerUser) return { kind: 'user_limit', limit: limits.maxTasksPerUser };
        if (request.guildId !== undefined) {
          const guildCount = await store.countActiveForGuild(request.guildId);
          if (guildCount >= limits.maxTasksPerGuild)
            return { kind: 'guild_limit', limit: limits.maxTasksPerGuild };
        }

        // Throws VideoApiError for an unknown task, a wrong key or an unreachable API: nothing is stored then.
        const snapshot = withKnownFacts(
          existingTask?.snapshot,
          await videoApi.getVideo(taskId, { previous: existingTask?.snapshot }),
        );
        const now = clock.now();
        const reopened = existingTask?.state === 'active';
        // Ended but still being delivered (a result, a DM or a final edit to retry): the channel joins
        // that delivery. Starting the task over would drop the channels still waiting for their result.
        const ending = existingTask?.state === 'ended' && !(await hasFinished(existingTask));
        const channelIds = [
          ...new Set([...(reopened || ending ? existingTask.channelIds : []), request.channelId]),
        ];
        const task: TaskRecord = ending
          ? {
              ...existingTask,
              snapshot,
              channelIds,
              // Delivery runs again for the new channel; what was posted or sent is not sent again.
              ...(existingTask.delivery
                ? { delivery: { ...existingTask.delivery, finishedAt: undefined } }
                : {}),
            }
          : {
              v: 1,
              id: taskId,
              state: 'active',
              snapshot,
              trackedAt: reopened ? existingTask.trackedAt : now,
              lastChangeAt: now,
              lastPolledAt: now,
              channelIds,
              ...deliveredDms(existingTask),
            };
        // A subscription without a message is what a crash during its create leaves: that create may
        // have reached Discord, so it is redone with the same nonce and returns the same message.
        const unfinished = existing?.state === 'active' && (reopened || ending) ? existing : undefined;
        const notifyUserIds = [
          ...new Set([
            ...(unfinished?.notifyUserIds ?? []),
            ...(request.notify ? [request.requesterId] : []),
          ]),
        ];
        const subscription: SubscriptionRecord = {
          v: 1,
          taskId,
          channelId: request.channelId,
          ...(request.guildId !== undefined ? { guildId: request.guildId } : {}),
          requesterId: unfinished?.requesterId ?? request.requesterId,
          nonce: unfinished?.nonce ?? randomUUID().replace(/-/g, '').slice(0, 25),
          notifyUserIds,
          locale: request.locale,
          requesterLocale: request.requesterLocale,
          ...(request.uploadLimitBytes !== undefined ? { uploadLimitBytes: request.uploadLimitBytes } : {}),
          createdAt: now,
          state: 'active',
        };
        // Records first, the index last: a crash before the message exists is finished by resume().
        await store.putTask(task);
        await store.putSubscription(subscription);
        await store.setActive(taskId, true, {
          userId: request.requesterId,
          ...(request.guildId !== undefined ? { guildId: request.guildId } : {}),
        });

        const result = await createMessage(subscription, task);
        if (result.kind !== 'tracked') {
          // Nothing was posted: take back what was recorded so nothing is tracked.
          await store.deleteSubscription(taskId, request.channelId);
          const remaining = task.channelIds.filter((id) => id !== request.channelId);
          if (remaining.length === 0) {
            await store.putTask({ ...task, channelIds: [], state: 'ended', endReason: 'untracked' });
            await store.setActive(taskId, false);
          } else {
            await store.putTask({ ...task, channelIds: remaining });
          }
          return result;
        }
        // A task that already ended is polled at once: that poll ends it and delivers its result.
        queue?.schedule(taskId, ending || TERMINAL[snapshot.status] ? { dueAt: now } : {});
        return result;
      });
    },

    async untrack(taskId, channelId, byUserId) {
      const checked = checkTaskId(taskId);
      if (!checked.ok) return { kind: 'invalid_id', reason: checked.reason };
      const sub = await followedSubscription(checked.id, channelId);
      if (!sub) return { kind: 'not_tracked' };
      const task = await store.getTask(checked.id);
      await taskLock.run(checked.id, () => dropSubscriptionLocked(sub));
      const stopped: SubscriptionRecord = { ...sub, state: 'stopped', stoppedBy: byUserId };
      if (task && sub.messageId !== undefined) {
        // The message keeps its last reading and says who stopped it.
        const shown: TaskRecord = { ...task, state: 'ended', endReason: 'untracked' };
        const outcome = await publisher.update(stopped, shown, { final: true });
        if (outcome.kind === 'failed')
          logger.warn({ taskId, channelId }, 'could not mark the message as stopped');
      }
      return { kind: 'untracked', subscription: stopped };
    },

    async snapshot(taskId) {
      const checked = checkTaskId(taskId);
      if (!checked.ok) return { kind: 'invalid_id', reason: checked.reason };
      const known = await store.getTask(checked.id);
      return { kind: 'ok', snapshot: await videoApi.getVideo(checked.id, { previous: known?.snapshot }) };
    },

    async listChannel(channelId) {
      const ids = await store.channelTaskIds(channelId);
      const entries = await Promise.all(
        ids.map(async (id): Promise<ChannelEntry | undefined> => {
          const subscription = await store.getSubscription(id, channelId);
          if (!subscription || subscription.state !== 'active') return undefined;
          return { subscription, task: await store.getTask(id) };
        }),
      );
      return entries.filter((entry): entry is ChannelEntry => entry !== undefined);
    },

    async subscription(taskId, channelId) {
      return followedSubscription(taskId, channelId);
    },

    async refresh(taskId, channelId) {
      const sub = await store.getSubscription(taskId, channelId);
      const task = await store.getTask(taskId);
      if (sub?.state !== 'active' || task?.state !== 'active' || !queue) return { kind: 'not_tracked' };
      const now = clock.now();
      const last = lastRefreshAt.get(taskId);
      if (last !== undefined && now - last < limits.refreshCooldownMs) {
        return { kind: 'too_soon', retryAt: last + limits.refreshCooldownMs };
      }
      // Forget old presses so the map holds only tasks refreshed within the cooldown.
      for (const [id, at] of lastRefreshAt)
        if (now - at >= limits.refreshCooldownMs) lastRefreshAt.delete(id);
      lastRefreshAt.set(taskId, now);
      return { kind: 'refreshed', outcome: await queue.pollNow(taskId) };
    },

    async setNotify(taskId, channelId, userId, on) {
      return taskLock.run(taskId, async () => {
        const sub = await followedSubscription(taskId, channelId);
        if (!sub) return { kind: 'not_tracked' };
        const subscribed = sub.notifyUserIds.includes(userId);
        const wanted = on ?? !subscribed;
        if (wanted !== subscribed) {
          const notifyUserIds = wanted
            ? [...sub.notifyUserIds, userId]
            : sub.notifyUserIds.filter((id) => id !== userId);
          await store.putSubscription({ ...sub, notifyUserIds });
        }
        return { kind: wanted ? 'on' : 'off' };
      });
    },

    async poll(taskId, signal, apiDone) {
      const started = clock.now();
      try {
        const outcome = await taskLock.run(taskId, () => pollOnce(taskId, signal, apiDone ?? (() => {})));
        options.metrics?.pollFinished(outcome, (clock.now() - started) / 1000);
        return outcome;
      } catch (error) {
        options.metrics?.pollFinished('error', (clock.now() - started) / 1000);
        throw error;
      }
    },

    async resume(pollQueue) {
      queue = pollQueue;
      const ids = await store.activeTaskIds();
      let resumed = 0;
      let finished = 0;
      // Running tasks are only put back on the schedule, at once. Messages to re-create and ended tasks to
      // finish wait on Discord (its pacing, result uploads), so they come after and never hold up the
      // polling of the others: the scheduler runs while this goes on.
      const slow: { task: TaskRecord }[] = [];
      const schedule = (task: TaskRecord) => {
        const now = clock.now();
        const dueAt = options.firstPollAt?.(task, now) ?? now + Math.floor(random() * limits.resumeSpreadMs);
        pollQueue.schedule(task.id, { dueAt });
        resumed += 1;
      };
      // Read in batches, not record by record: 10,000 tasks cost a few dozen round trips to the store.
      for (let start = 0; start < ids.length; start += RESUME_BATCH) {
        const batchIds = ids.slice(start, start + RESUME_BATCH);
        const tasks = await store.getTasks(batchIds);
        const subscriptions = await Promise.all(
          batchIds.map((id) => (tasks.has(id) ? store.subscriptionsOf(id) : Promise.resolve([]))),
        );
        for (const [index, id] of batchIds.entries()) {
          const task = tasks.get(id);
          if (!task) {
            await store.setActive(id, false);
            continue;
          }
          // Messages whose create may not have completed: the nonce makes a second create return the first.
          const unposted = (subscriptions[index] ?? []).filter(
            (sub) =>
              sub.state === 'active' &&
              sub.messageId === undefined &&
              task.channelIds.includes(sub.channelId),
          );
          if (task.state === 'ended' || unposted.length > 0) slow.push({ task });
          else schedule(task);
        }
      }
      for (const { task } of slow) {
        // Under the task's lock and read again: a /sora track (or the poll it scheduled) may have posted
        // the message, or delivered and finished the task, while this waited its turn.
        const outcome = await taskLock.run(task.id, async () => {
          const latest = await store.getTask(task.id);
          if (!latest) {
            await store.setActive(task.id, false);
            return 'gone' as const;
          }
          await postMissingMessages(latest);
          if (latest.state !== 'ended') return 'running' as const;
          if (!(await store.isActive(task.id))) return 'finished' as const;
          return (await finishEnding(latest)) ? ('finished' as const) : ('delivering' as const);
        });
        if (outcome === 'running') schedule(task);
        else if (outcome === 'finished') finished += 1;
        else if (outcome === 'delivering')
          pollQueue.schedule(task.id, { dueAt: clock.now() + limits.resumeSpreadMs });
      }
      logger.info({ resumed, finished }, 'tracking resumed');
      return { resumed, finished };
    },
  };
  return tracker;
}
