import type { TaskCadence } from './cadence-state.js';

/**
 * Estimates from what is known of a task: when its next refresh shows, how fast its progress moves,
 * when it should end, and from when polls should follow every refresh. Pure: they read the state only.
 */

/** How long after an expected refresh to poll: the least margin, the beat's spread, and the lateness seen. */
export function marginOf(task: TaskCadence, minMarginMs: number): number {
  return minMarginMs + task.spreadMs + task.lateMs;
}

/** The first moment after `after` at which a refresh following the last one seen is visible. */
export function dueAfter(task: TaskCadence, after: number, minMarginMs: number): number {
  let due = task.stamp - task.aheadMs + task.periodMs + marginOf(task, minMarginMs);
  if (due <= after) due += Math.ceil((after - due) / task.periodMs) * task.periodMs;
  return due;
}

/** Progress points per ms so far, or undefined before it has moved. */
export function progressRate(task: TaskCadence): number | undefined {
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
export function expectedEnd(task: TaskCadence): number | undefined {
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
export function endWindowStart(task: TaskCadence): number {
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
