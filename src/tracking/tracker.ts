import { refresh, setNotify, untrack } from './actions.js';
import { createTrackerContext } from './context.js';
import { pollTask } from './poll.js';
import { listChannel, snapshot } from './queries.js';
import { resume } from './resume.js';
import { followedSubscription } from './subscriptions.js';
import { track } from './track.js';
import type { Tracker, TrackerOptions } from './types.js';

/**
 * The tracking workflow, independent of Discord: start and stop tracking, poll a task, decide what
 * changed and hand each subscription to the publisher (the Discord side implements it).
 *
 * This is the façade; each step lives in its own module and shares the tracker's state through a
 * TrackerContext: track.ts (start), poll.ts (one poll), fan-out.ts (one reading to every channel),
 * ending.ts (a task's end and delivery), resume.ts (after a restart), actions.ts (buttons and
 * commands), and rules.ts / track-plan.ts for the decisions that need no I/O.
 */

export type {
  ChannelEntry,
  CreateOutcome,
  CrossShardLedger,
  NotifyResult,
  PollQueue,
  ProgressPublisher,
  PublishOutcome,
  RefreshResult,
  Tracker,
  TrackerMetrics,
  TrackerOptions,
  TrackRequest,
  TrackResult,
  UntrackResult,
} from './types.js';

export function createTracker(options: TrackerOptions): Tracker {
  const ctx = createTrackerContext(options);
  return {
    attach(queue) {
      ctx.queue = queue;
    },
    settled: () => ctx.background.settled(),
    track: (request) => track(ctx, request),
    untrack: (taskId, channelId, byUserId) => untrack(ctx, taskId, channelId, byUserId),
    snapshot: (taskId) => snapshot(ctx, taskId),
    listChannel: (channelId) => listChannel(ctx, channelId),
    subscription: (taskId, channelId) => followedSubscription(ctx, taskId, channelId),
    refresh: (taskId, channelId) => refresh(ctx, taskId, channelId),
    setNotify: (taskId, channelId, userId, on) => setNotify(ctx, taskId, channelId, userId, on),
    poll: (taskId, signal, apiDone) => pollTask(ctx, taskId, signal, apiDone ?? (() => {})),
    resume: (queue) => resume(ctx, queue),
    forget(taskId) {
      ctx.republish.forgetTask(taskId);
      ctx.lastRefreshAt.delete(taskId);
    },
    inMemory: () => ({ republish: ctx.republish.size, refreshCooldowns: ctx.lastRefreshAt.size }),
    pruneEnded: (cutoffMs, limit) =>
      ctx.store.pruneEnded(cutoffMs, { limit, guard: (taskId, work) => ctx.locks.run(taskId, work) }),
  };
}
