/** A reading of a running task's progress, to estimate when it ends. */
export interface ProgressPoint {
  stamp: number;
  progress: number;
}

/** What the poll cadence has learnt of one task from its readings. */
export interface TaskCadence {
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

export interface CadenceSettings {
  /** The refresh period assumed until a task's own is learned. */
  readonly defaultPeriodMs: number;
  /** The least time to wait after an expected refresh, for a relay running a little late. */
  readonly minMarginMs: number;
}

/** Readings in a row stamped with the moment of the request after which the relay counts as live. */
export const LIVE_AFTER_READINGS = 3;
/** Refreshes polled one by one before any is skipped: enough to learn the beat and how late they show. */
export const LEARN_REFRESHES = 4;

/** What is known of a task from its first stamped reading (or its stored snapshot after a restart). */
export function newCadence(
  settings: CadenceSettings,
  stamp: number,
  aheadMs: number,
  pollAfterMs: number | undefined,
): TaskCadence {
  const { defaultPeriodMs } = settings;
  return {
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
  };
}
