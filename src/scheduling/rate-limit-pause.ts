import type { Logger } from '../ops/logger.js';
import { rateLimitWaitMs, type PollTiming } from './poll-backoff.js';

/**
 * A rate limit, like a refused key, is for the whole API key: every task waits, not just the one that
 * met it. Pauses in a row back off exponentially (a rate limit without Retry-After from the min interval,
 * a refused key from the max interval up to 15 times it: 1 to 15 minutes by default), and once one lifts the overdue backlog is spread before polling
 * resumes. A refused key is said once when it starts and once when the key works again, never per task.
 */
export interface RateLimitPause {
  /** When polling may resume; at or before now when it is not paused. */
  readonly until: number;
  /** Pauses every poll after a rate limit; returns when polling resumes. */
  pause(now: number, retryAfterMs: number | undefined): number;
  /** Pauses every poll after the API refused the key (401/403); returns when one poll tries again. */
  keyRefused(now: number, status: number | undefined): number;
  /** A poll went through: the next pause starts the backoff afresh. */
  succeeded(): void;
  /** True once after a pause: time to spread the backlog that built up meanwhile. */
  takeResume(): boolean;
}

/** The longest refused-key pause, in max intervals. */
const KEY_REFUSED_MAX_INTERVALS = 15;

export function createRateLimitPause(timing: PollTiming, logger: Logger): RateLimitPause {
  let until = 0;
  let streak = 0;
  let refusedStreak = 0;
  let spreadBacklogOnResume = false;

  const pauseUntil = (resumeAt: number): boolean => {
    spreadBacklogOnResume = true;
    if (resumeAt <= until) return false;
    until = resumeAt;
    return true;
  };

  return {
    get until() {
      return until;
    },
    pause(now, retryAfterMs) {
      streak += 1;
      const waitMs = rateLimitWaitMs(timing, streak, retryAfterMs);
      if (pauseUntil(now + waitMs)) {
        logger.warn(
          { waitMs, retryAfterMs, pausedUntil: new Date(until).toISOString() },
          'video API rate limited: pausing all polls',
        );
      }
      return until;
    },
    keyRefused(now, status) {
      refusedStreak += 1;
      const waitMs =
        timing.maxIntervalMs * Math.min(KEY_REFUSED_MAX_INTERVALS, 2 ** Math.min(refusedStreak - 1, 4));
      if (pauseUntil(now + waitMs) && refusedStreak === 1) {
        logger.error(
          { status, waitMs, pausedUntil: new Date(until).toISOString() },
          'video API refused the API key: pausing all polls until it is accepted again (check SORA_API_KEY)',
        );
      }
      return until;
    },
    succeeded() {
      streak = 0;
      if (refusedStreak > 0) logger.info('video API accepts the API key again; polling resumed');
      refusedStreak = 0;
    },
    takeResume() {
      const resume = spreadBacklogOnResume;
      spreadBacklogOnResume = false;
      return resume;
    },
  };
}
