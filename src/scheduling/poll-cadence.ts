import type { Clock } from './clock.js';
import type { PollDelayStrategy } from './poll-scheduler.js';
import type { VideoSnapshot } from '../domain/video.js';

/**
 * "Poll when a change is due." Relays do not fetch a task upstream when asked: new-api refreshes each
 * task on its own 15-second beat and stamps the refresh in `status_update_time` (video-api.md §2.1,
 * §5.16), so a poll between two refreshes can only see what the last one saw. This learns each task's
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
}

/** A reading of a running task's progress, to estimate when it ends. */
interface ProgressPoint {
  stamp: number;
  progress: number;
}

interface TaskCadence {
  /** The latest `status_update_time` read, ms. */
  stamp: number;
  periodMs: number;
  /** How far refreshes have strayed from the beat lately; added to the margin. */
  spreadMs: number;
  /** How long after their stamp refreshes have been seen to show up, at least: added to the margin. */
  lateMs: number;
  /** The latest read that still showed `stamp`, once a refresh was due: the next one came later. */
  staleReadAt: number | undefined;
  /** How far the relay's clock is ahead of ours, at least (a stamp from our future): its refreshes come sooner. */
  aheadMs: number;
  /** Readings in a row whose stamp was the moment of the request: the relay fetches live. */
  liveReadings: number;
  /** Refreshes seen so far: the beat and the lateness are learnt from the first ones, polled each. */
  refreshesSeen: number;
  pollAfterMs: number | undefined;
  /** The first and the latest reading while running, for the progress rate. */
  firstRunning: ProgressPoint | undefined;
  lastRunning: ProgressPoint | undefined;
  /** The latest stamp of a reading that showed the task still queued. */
  lastQueued: number | undefined;
  /** The end estimated from the latest two or more running readings. */
  endEstimate: number | undefined;
  /** How far running readings have moved that estimate earlier lately (0: later or not at all). */
  endEarlierMs: number | undefined;
}

/** A stamp this close to the read means the relay refreshed because we asked. */
const LIVE_STAMP_MS = 200;
const LIVE_AFTER_READINGS = 3;
const MIN_PERIOD_MS = 1_000;
const MAX_PERIOD_MS = 3_600_000;
/** Refreshes polled one by one before any is skipped: enough to learn the beat and how late they show. */
const LEARN_REFRESHES = 4;
/** While only a progress bar moves, refreshes are skipped as long as polls stay this close together. */
const MAX_SKIPPING_GAP_MS = 30_000;

export function createPollCadence(options: PollCadenceOptions): PollCadence {
  const { clock } = options;
  const defaultPeriodMs = options.defaultPeriodMs ?? 15_000;
  const minMarginMs = options.minMarginMs ?? 500;
  const tasks = new Map<string, TaskCadence>();

  const stampOf = (snapshot: VideoSnapshot | undefined): number | undefined => {
    const stamp = snapshot?.statusUpdatedAt?.getTime();
    return stamp !== undefined && Number.isFinite(stamp) ? stamp : undefined;
  };

  const newCadence = (stamp: number, aheadMs: number, pollAfterMs: number | undefined): TaskCadence => ({
    stamp,
    periodMs: defaultPeriodMs,
    // Until the beat is known, allow for refreshes landing a little late.
    spreadMs: defaultPeriodMs / 15,
    lateMs: 0,
    staleReadAt: undefined,
    aheadMs,
    liveReadings: 0,
    refreshesSeen: 0,
    pollAfterMs,
    firstRunning: undefined,
    lastRunning: undefined,
    lastQueued: undefined,
    endEstimate: undefined,
    endEarlierMs: undefined,
  });

  const marginOf = (task: TaskCadence) => minMarginMs + task.spreadMs + task.lateMs;

  /** The first moment after `after` at which a refresh following the last one seen is visible. */
  function dueAfter(task: TaskCadence, after: number): number {
    let due = task.stamp - task.aheadMs + task.periodMs + marginOf(task);
    if (due <= after) due += Math.ceil((after - due) / task.periodMs) * task.periodMs;
    return due;
  }

  /** Progress points per ms so far, or undefined before it has moved. */
  function progressRate(task: TaskCadence): number | undefined {
    const first = task.firstRunning;
    const last = task.lastRunning;
    if (!first || !last) return undefined;
    if (last.stamp > first.stamp && last.progress > first.progress)
      return (last.progress - first.progress) / (last.stamp - first.stamp);
    // One running reading after a queued one: it started in between, at 0 %. Assuming it started when
    // last seen queued gives a first estimate, a slow one (see endWindowStart).
    const queued = task.lastQueued;
    if (last === first && queued !== undefined && queued < first.stamp && first.progress > 0)
      return first.progress / (first.stamp - queued);
    return undefined;
  }

  /** When the task should reach 100 %, on our clock, from its progress rate so far. */
  function expectedEnd(task: TaskCadence): number | undefined {
    const rate = progressRate(task);
    const last = task.lastRunning;
    if (rate === undefined || !last) return undefined;
    return last.stamp - task.aheadMs + (100 - last.progress) / rate;
  }

  /**
   * From when polls follow every refresh, so that an end estimate that comes out late still sees the end
   * at the refresh that shows it (Infinity without an estimate). An estimate from a single running
   * reading may be far off: two beats. Otherwise readings are whole points, so progress may be going up
   * to a point faster than read; and an estimate not yet checked against a later reading may be off by
   * a beat more, a checked one by twice what the latest readings moved it earlier (progress speeding
   * up), older moves fading. A task whose progress rises steadily is then polled at the refresh that
   * shows its end and not at the ones before; one that speeds up, at every refresh while its estimate
   * jumps.
   */
  function endWindowStart(task: TaskCadence): number {
    const rate = progressRate(task);
    const end = expectedEnd(task);
    const first = task.firstRunning;
    const last = task.lastRunning;
    if (rate === undefined || end === undefined || !first || !last) return Infinity;
    if (last === first) return end - 2 * task.periodMs;
    const fastest = (last.progress + 1 - first.progress) / (last.stamp - first.stamp);
    const earliest = last.stamp - task.aheadMs + Math.max(0, 99 - last.progress) / fastest;
    const doubtMs = task.endEarlierMs === undefined ? task.periodMs : 2 * task.endEarlierMs;
    return Math.min(earliest, end - 1 / rate - doubtMs);
  }

  function learnPeriod(task: TaskCadence, stamp: number): void {
    const intervalMs = stamp - task.stamp;
    // A read that still showed the old stamp shortly before this one proves no refresh in between;
    // otherwise refreshes we did not see are whole periods.
    const consecutive = task.staleReadAt !== undefined && stamp - task.staleReadAt < task.periodMs;
    const periods = consecutive ? 1 : Math.max(1, Math.round(intervalMs / task.periodMs));
    if (periods > 4) return;
    const sample = intervalMs / periods;
    const deviation = Math.abs(sample - task.periodMs);
    const period = task.periodMs + (consecutive ? 0.7 : 0.3) * (sample - task.periodMs);
    task.periodMs = Math.min(MAX_PERIOD_MS, Math.max(MIN_PERIOD_MS, period));
    task.spreadMs = Math.min(
      task.periodMs / 4,
      Math.max(Math.min(deviation, task.periodMs / 15), task.spreadMs * 0.8),
    );
  }

  function learnProgress(task: TaskCadence, snapshot: VideoSnapshot, stamp: number): void {
    if (snapshot.status === 'queued') task.lastQueued = stamp;
    if (snapshot.status !== 'in_progress' || snapshot.progress === undefined) return;
    if (task.lastRunning && stamp <= task.lastRunning.stamp) return; // the same refresh, read again
    const point = { stamp, progress: snapshot.progress };
    task.firstRunning ??= point;
    task.lastRunning = point;
    if (point === task.firstRunning) return;
    const end = expectedEnd(task);
    if (end !== undefined && task.endEstimate !== undefined) {
      // The latest move counts in full, older ones fade: progress that keeps speeding up stays in doubt.
      const earlier = Math.max(0, task.endEstimate - end);
      task.endEarlierMs = Math.max(earlier, (task.endEarlierMs ?? 0) / 2);
    }
    task.endEstimate = end;
  }

  /** The refresh after `stamp` was due (beyond any spread) well before this read, which did not show it. */
  function missedNext(task: TaskCadence, stamp: number, readAt: number): boolean {
    if (task.refreshesSeen < LEARN_REFRESHES) return false;
    const sinceDue = readAt + task.aheadMs - (stamp + task.periodMs);
    return sinceDue > task.spreadMs + minMarginMs && sinceDue < task.periodMs;
  }

  const nextDelay: PollDelayStrategy = (taskId, _outcome, history) => {
    const task = tasks.get(taskId);
    if (!task || task.liveReadings >= LIVE_AFTER_READINGS) return undefined;
    const now = clock.now();
    const endWindow = endWindowStart(task);
    // Every other refresh is enough while only a progress bar moves (a tick every 30 s on new-api's
    // beat), once the beat is learnt, or while nothing people see changes (still queued); every refresh
    // around the expected end, so that the result is never a beat late.
    const barMoving =
      task.lastRunning !== undefined &&
      task.refreshesSeen >= LEARN_REFRESHES &&
      2 * task.periodMs <= MAX_SKIPPING_GAP_MS;
    let due = dueAfter(task, now);
    if ((barMoving && now < endWindow) || history.consecutiveUnchanged >= 2) due += task.periodMs;
    // Discord shows changes slower than they come: poll about as often as the message can be edited.
    const backlogMs = options.backlogMs?.() ?? 0;
    const backlogged = backlogMs > task.periodMs && now < endWindow;
    if (backlogged) {
      due = Math.max(due, dueAfter(task, now + backlogMs));
      // Progress read then would still be waiting for Discord when the end is shown, which replaces it.
      const end = expectedEnd(task);
      if (end !== undefined && due + backlogMs >= end) due = Infinity;
    }
    // But never past the refreshes around the expected end.
    if (now < endWindow) due = Math.min(due, dueAfter(task, endWindow));
    const gaps = options.intervalMs;
    if (gaps) {
      // The longest gap. While Discord is backlogged, a task whose end is estimated from its readings
      // may wait longer, as long as a change read now would wait to be shown (up to backloggedMax): an
      // unexpected failure is then seen about as late as progress is shown, and its result goes first.
      const estimated = Number.isFinite(endWindow) && task.lastRunning !== task.firstRunning;
      const longest =
        backlogged && estimated ? Math.max(gaps.max, Math.min(backlogMs, gaps.backloggedMax)) : gaps.max;
      // Landing just before the refresh expected to show the end, a poll forced by the longest gap would
      // hold up the one that sees it by the shortest gap (a result up to 10 s late): take the refresh
      // before instead. (Elsewhere it only sees the refresh before, a little late.)
      const forcedAt = now + longest;
      if (due > forcedAt && due >= endWindow && due - forcedAt < gaps.min && longest > task.periodMs)
        due = dueAfter(task, forcedAt - task.periodMs);
      due = Math.min(due, forcedAt);
    }
    if (task.pollAfterMs !== undefined) due = Math.max(due, now + task.pollAfterMs);
    return due - now;
  };

  return {
    observe(taskId, snapshot, readAt) {
      const stamp = stampOf(snapshot);
      let task = tasks.get(taskId);
      if (stamp === undefined) {
        if (task) task.pollAfterMs = snapshot.pollAfterMs;
        return;
      }
      if (!task) {
        task = newCadence(stamp, 0, snapshot.pollAfterMs);
        tasks.set(taskId, task);
      } else if (stamp > task.stamp) {
        const stale = task.staleReadAt;
        learnPeriod(task, stamp);
        // Read after this refresh's stamp without seeing it: refreshes show up that long after their stamp.
        if (stale !== undefined && stale > stamp) {
          // At least that late; aim a good deal later, an early poll costs a whole minimum interval.
          const late = (stale - stamp) * 1.5 + minMarginMs;
          task.lateMs = Math.min(task.periodMs / 2, Math.max(task.lateMs, late));
        } else if (missedNext(task, stamp, readAt)) {
          // Polls that skip a refresh on purpose see a newer stamp even when early: the beat says the one
          // after it was stamped before this read, and the read did not show it.
          const late = (readAt + task.aheadMs - (stamp + task.periodMs)) * 1.5 + minMarginMs;
          task.lateMs = Math.min(task.periodMs / 2, Math.max(task.lateMs, late));
        } else {
          task.lateMs *= 0.995;
        }
        task.stamp = stamp;
        task.refreshesSeen += 1;
        task.staleReadAt = undefined;
      } else if (readAt > task.stamp + task.periodMs) {
        task.staleReadAt = readAt;
      }
      learnProgress(task, snapshot, stamp);
      task.pollAfterMs = snapshot.pollAfterMs;
      task.aheadMs = Math.max(task.aheadMs, stamp - readAt);
      const sinceStamp = readAt - stamp;
      task.liveReadings = sinceStamp >= 0 && sinceStamp < LIVE_STAMP_MS ? task.liveReadings + 1 : 0;
    },

    nextDelay,

    firstPollAt(taskId, snapshot, now) {
      const stamp = stampOf(snapshot);
      if (snapshot === undefined || stamp === undefined) return undefined;
      const task = newCadence(stamp, Math.max(0, stamp - now), undefined);
      learnProgress(task, snapshot, stamp);
      tasks.set(taskId, task);
      return dueAfter(task, now);
    },

    forget(taskId) {
      tasks.delete(taskId);
    },

    get size() {
      return tasks.size;
    },
  };
}
