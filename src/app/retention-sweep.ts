import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { PruneCounts } from '../store/index.js';
import type { Tracker } from '../tracking/tracker.js';

/**
 * Retention on a schedule (docs/configuration.md#retention): every min(1 hour, RETENTION_DAYS / 4) the
 * shard deletes what ended longer than RETENTION_DAYS ago, a batch at a time with the event loop let go
 * in between, so that a large sweep never holds up polling.
 */
export interface RetentionSweep {
  start(): void;
  /** Stops the schedule and waits for a sweep in progress to finish its batch. */
  stop(): Promise<void>;
  /** One sweep now (tests, and the schedule itself); resolves with what it removed. */
  sweep(): Promise<Omit<PruneCounts, 'more'>>;
}

const HOUR_MS = 3_600_000;
/** The first sweep after a start: soon, so that a bot restarted more often than hourly still sweeps. */
const FIRST_SWEEP_MAX_MS = 60_000;
const BATCH = 500;

export function sweepIntervalMs(retentionMs: number): number {
  return Math.max(1_000, Math.min(HOUR_MS, Math.floor(retentionMs / 4)));
}

/** The width of the store's ended-task buckets: fine enough that a sweep finds what just expired. */
export function endedBucketMs(retentionMs: number): number {
  return Math.max(1_000, Math.min(HOUR_MS, Math.floor(retentionMs / 8)));
}

export function createRetentionSweep(deps: {
  tracker: Pick<Tracker, 'pruneEnded'>;
  clock: Clock;
  logger: Logger;
  retentionMs: number;
}): RetentionSweep {
  const { tracker, clock, logger, retentionMs } = deps;
  const interval = sweepIntervalMs(retentionMs);
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  async function sweep(): Promise<Omit<PruneCounts, 'more'>> {
    const cutoff = clock.now() - retentionMs;
    const total = { tasks: 0, subscriptions: 0, quarantined: 0 };
    for (;;) {
      const counts = await tracker.pruneEnded(cutoff, BATCH);
      total.tasks += counts.tasks;
      total.subscriptions += counts.subscriptions;
      total.quarantined += counts.quarantined;
      if (!counts.more || stopping.signal.aborted) break;
      // Polls and interactions run between two batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (total.tasks + total.subscriptions + total.quarantined > 0) {
      logger.info({ ...total, retentionMs }, 'retention: removed what ended before the retention period');
    }
    return total;
  }

  async function run(): Promise<void> {
    let wait = Math.min(interval, FIRST_SWEEP_MAX_MS);
    for (;;) {
      try {
        await clock.sleep(wait, stopping.signal);
      } catch {
        return;
      }
      wait = interval;
      await sweep().catch((error: unknown) => {
        logger.warn({ err: error }, 'retention sweep failed; tried again at the next one');
      });
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
    sweep,
  };
}
