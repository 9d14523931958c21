import type { VideoSnapshot } from '../domain/video.js';
import { expectedEnd } from './cadence-estimate.js';
import { LEARN_REFRESHES, type CadenceSettings, type TaskCadence } from './cadence-state.js';

/** How a task's state moves with each reading: its beat, how late refreshes show, its progress. */

/** A stamp this close to the read means the relay refreshed because we asked. */
const LIVE_STAMP_MS = 200;
const MIN_PERIOD_MS = 1_000;
const MAX_PERIOD_MS = 3_600_000;

/** Learns from one stamped reading of a task already known. */
export function learnFromReading(
  task: TaskCadence,
  snapshot: VideoSnapshot,
  stamp: number,
  readAt: number,
  settings: CadenceSettings,
): void {
  if (stamp > task.stamp) learnRefresh(task, stamp, readAt, settings.minMarginMs);
  else if (readAt > task.stamp + task.periodMs) task.staleReadAt = readAt;
  learnAnyReading(task, snapshot, stamp, readAt);
}

/** What every stamped reading tells, the first one included. */
export function learnAnyReading(
  task: TaskCadence,
  snapshot: VideoSnapshot,
  stamp: number,
  readAt: number,
): void {
  learnProgress(task, snapshot, stamp);
  task.pollAfterMs = snapshot.pollAfterMs;
  task.aheadMs = Math.max(task.aheadMs, stamp - readAt);
  const sinceStamp = readAt - stamp;
  task.liveReadings = sinceStamp >= 0 && sinceStamp < LIVE_STAMP_MS ? task.liveReadings + 1 : 0;
}

/** A reading showed a refresh newer than the last one seen. */
function learnRefresh(task: TaskCadence, stamp: number, readAt: number, minMarginMs: number): void {
  const learnt = learnedPeriod(task, stamp);
  if (learnt) {
    task.periodMs = learnt.periodMs;
    task.spreadMs = learnt.spreadMs;
  }
  task.lateMs = learnedLateness(task, stamp, readAt, minMarginMs);
  task.stamp = stamp;
  task.refreshesSeen += 1;
  task.staleReadAt = undefined;
}

/**
 * The beat and its spread after a refresh stamped `stamp`, from the interval since the last one seen;
 * undefined (nothing learnt) when too many refreshes may have passed unseen in between.
 */
export function learnedPeriod(
  task: Pick<TaskCadence, 'stamp' | 'periodMs' | 'spreadMs' | 'staleReadAt'>,
  stamp: number,
): { periodMs: number; spreadMs: number } | undefined {
  const intervalMs = stamp - task.stamp;
  // A read that still showed the old stamp shortly before this one proves no refresh in between;
  // otherwise refreshes we did not see are whole periods.
  const consecutive = task.staleReadAt !== undefined && stamp - task.staleReadAt < task.periodMs;
  const periods = consecutive ? 1 : Math.max(1, Math.round(intervalMs / task.periodMs));
  if (periods > 4) return undefined;
  const sample = intervalMs / periods;
  const deviation = Math.abs(sample - task.periodMs);
  const period = task.periodMs + (consecutive ? 0.7 : 0.3) * (sample - task.periodMs);
  const periodMs = Math.min(MAX_PERIOD_MS, Math.max(MIN_PERIOD_MS, period));
  const spreadMs = Math.min(periodMs / 4, Math.max(Math.min(deviation, periodMs / 15), task.spreadMs * 0.8));
  return { periodMs, spreadMs };
}

/**
 * How late refreshes show after their stamp, after one stamped `stamp` was read at `readAt` (with the
 * beat already updated by it). Seen late: at least that late, aimed a good deal later, since an early
 * poll costs a whole minimum interval. Otherwise the lateness learnt fades slowly.
 */
export function learnedLateness(
  task: TaskCadence,
  stamp: number,
  readAt: number,
  minMarginMs: number,
): number {
  const stale = task.staleReadAt;
  // Read after this refresh's stamp without seeing it: refreshes show up that long after their stamp.
  if (stale !== undefined && stale > stamp) {
    const late = (stale - stamp) * 1.5 + minMarginMs;
    return Math.min(task.periodMs / 2, Math.max(task.lateMs, late));
  }
  if (missedNext(task, stamp, readAt, minMarginMs)) {
    // Polls that skip a refresh on purpose see a newer stamp even when early: the beat says the one
    // after it was stamped before this read, and the read did not show it.
    const late = (readAt + task.aheadMs - (stamp + task.periodMs)) * 1.5 + minMarginMs;
    return Math.min(task.periodMs / 2, Math.max(task.lateMs, late));
  }
  return task.lateMs * 0.995;
}

/** The refresh after `stamp` was due (beyond any spread) well before this read, which did not show it. */
export function missedNext(task: TaskCadence, stamp: number, readAt: number, minMarginMs: number): boolean {
  if (task.refreshesSeen < LEARN_REFRESHES) return false;
  const sinceDue = readAt + task.aheadMs - (stamp + task.periodMs);
  return sinceDue > task.spreadMs + minMarginMs && sinceDue < task.periodMs;
}

/** Keeps the first and latest running readings (for the progress rate) and tracks the end estimate. */
export function learnProgress(task: TaskCadence, snapshot: VideoSnapshot, stamp: number): void {
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
