import type { VideoSnapshot } from '../domain/video.js';
import { cadenceDelay } from './cadence-delay.js';
import { dueAfter } from './cadence-estimate.js';
import { learnAnyReading, learnFromReading, learnProgress } from './cadence-learning.js';
import { LIVE_AFTER_READINGS, newCadence, type CadenceSettings, type TaskCadence } from './cadence-state.js';
import type { Clock } from './clock.js';
import type { PollDelayStrategy } from './poll-types.js';

/**
 * "Poll when a change is due." Relays do not fetch a task upstream when asked: new-api refreshes each
 * task on its own 15-second beat and stamps the refresh in `status_update_time` (docs/video-api.md#refresh-cadence-and-polling), so a poll between two refreshes can only see what the last one saw. This learns each task's
 * beat from the stamps it reads and aims every poll just after the next refresh: one poll per refresh
 * instead of several, and no refresh missed for long. While nothing people see changes (a task still
 * queued), every other refresh is enough.
 *
 * When Discord cannot show changes as fast as they come (the edit pacer has a backlog longer than a
 * beat), polling every refresh only replaces edits still waiting: tasks are then polled about as often
 * as their messages can be edited (past the longest gap, up to `backloggedMax`, once a task's end can be
 * estimated from two readings), except around the refresh at which each is expected to end (from its
 * progress so far), so that results still go out at once. How near that refresh polls follow every
 * one depends on how well the progress so far predicts the end (see endWindowStart).
 *
 * Without stamps, or with a relay that stamps every answer with the time of the request (it fetches
 * live), it gives no opinion and the scheduler's adaptive interval applies. An `openai-poll-after-ms`
 * hint is honoured as the earliest next poll.
 */
export interface PollCadence {
  /** Feeds one reading of a task (every successful GET of its status). */
  observe(taskId: string, snapshot: VideoSnapshot, readAt: number): void;
  /** The scheduler's delay strategy. */
  readonly nextDelay: PollDelayStrategy;
  /**
   * When a task restored after a restart should first be polled: just after the refresh due next by its
   * stored snapshot, which also counts as its first reading. Undefined when the snapshot has no stamp
   * (spread the task instead).
   */
  firstPollAt(taskId: string, snapshot: VideoSnapshot | undefined, now: number): number | undefined;
  /** Drops what is known of a task that is no longer polled. */
  forget(taskId: string): void;
  /** Tasks with a learned cadence. */
  readonly size: number;
}

export interface PollCadenceOptions {
  clock: Clock;
  /** The refresh period assumed until a task's own is learned. Default 15 s (new-api). */
  defaultPeriodMs?: number;
  /** The least time to wait after an expected refresh, for a relay running a little late. Default 500 ms. */
  minMarginMs?: number;
  /** How long a progress edit submitted now would wait for Discord (the edit pacer's backlog). */
  backlogMs?: () => number;
  /**
   * Gaps between two polls of a task: the shortest (POLL_INTERVAL_MS, which the scheduler enforces), the
   * longest (POLL_MAX_INTERVAL_MS), and the longest while Discord is backlogged (see nextDelay).
   */
  intervalMs?: { min: number; max: number; backloggedMax: number };
  /**
   * Whether a task is on the schedule: readings of any other (a `/sora status`, a `/sora track` that
   * failed) teach nothing anyone uses, and kept they would only pile up. Default: every task.
   */
  isTracked?: (taskId: string) => boolean;
}

/**
 * The per-task state, fed by readings and read by the scheduler's delay strategy. The rules live in
 * cadence-learning (what a reading teaches), cadence-estimate (rate, expected end, end window) and
 * cadence-delay (when to poll next).
 */
export function createPollCadence(options: PollCadenceOptions): PollCadence {
  const { clock } = options;
  const settings: CadenceSettings = {
    defaultPeriodMs: options.defaultPeriodMs ?? 15_000,
    minMarginMs: options.minMarginMs ?? 500,
  };
  const tasks = new Map<string, TaskCadence>();

  return {
    observe(taskId, snapshot, readAt) {
      if (options.isTracked && !options.isTracked(taskId)) return;
      const stamp = stampOf(snapshot);
      const task = tasks.get(taskId);
      if (stamp === undefined) {
        if (task) task.pollAfterMs = snapshot.pollAfterMs;
      } else if (task) {
        learnFromReading(task, snapshot, stamp, readAt, settings);
      } else {
        const first = newCadence(settings, stamp, 0, snapshot.pollAfterMs);
        tasks.set(taskId, first);
        learnAnyReading(first, snapshot, stamp, readAt);
      }
    },

    nextDelay(taskId, _outcome, history) {
      const task = tasks.get(taskId);
      if (!task || task.liveReadings >= LIVE_AFTER_READINGS) return undefined;
      return cadenceDelay(task, {
        now: clock.now(),
        consecutiveUnchanged: history.consecutiveUnchanged,
        backlogMs: options.backlogMs?.() ?? 0,
        minMarginMs: settings.minMarginMs,
        intervalMs: options.intervalMs,
      });
    },

    firstPollAt(taskId, snapshot, now) {
      const stamp = stampOf(snapshot);
      if (snapshot === undefined || stamp === undefined) return undefined;
      const task = newCadence(settings, stamp, Math.max(0, stamp - now), undefined);
      learnProgress(task, snapshot, stamp);
      tasks.set(taskId, task);
      return dueAfter(task, now, settings.minMarginMs);
    },

    forget(taskId) {
      tasks.delete(taskId);
    },

    get size() {
      return tasks.size;
    },
  };
}

/** The snapshot's `status_update_time`, ms; undefined without a usable one. */
function stampOf(snapshot: VideoSnapshot | undefined): number | undefined {
  const stamp = snapshot?.statusUpdatedAt?.getTime();
  return stamp !== undefined && Number.isFinite(stamp) ? stamp : undefined;
}
