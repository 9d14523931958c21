import type { Logger } from '../ops/logger.js';
import { rateLimitWaitMs, type PollTiming } from './poll-backoff.js';

/**
 * A rate limit is for the whole API key: every task waits, not just the one that met it. Rate limits in
 * a row back off exponentially (without a Retry-After), and once one lifts the overdue backlog is
 * spread before polling resumes.
 */
export interface RateLimitPause {
  /** When polling may resume; at or before now when it is not paused. */
  readonly until: number;
  /** Pauses every poll after a rate limit; returns when polling resumes. */
  pause(now: number, retryAfterMs: number | undefined): number;
  /** A poll went through: the next rate limit starts the backoff afresh. */
  succeeded(): void;
  /** True once after a rate limit: time to spread the backlog that built up meanwhile. */
  takeResume(): boolean;
}

export function createRateLimitPause(timing: PollTiming, logger: Logger): RateLimitPause {
  let until = 0;
  let streak = 0;
  let spreadBacklogOnResume = false;

  return {
    get until() {
      return until;
    },
    pause(now, retryAfterMs) {
      streak += 1;
      const waitMs = rateLimitWaitMs(timing, streak, retryAfterMs);
      const resumeAt = now + waitMs;
      spreadBacklogOnResume = true;
      if (resumeAt <= until) return until;
      until = resumeAt;
      logger.warn(
        { waitMs, retryAfterMs, pausedUntil: new Date(resumeAt).toISOString() },
        'video API rate limited: pausing all polls',
      );
      return until;
    },
    succeeded() {
      streak = 0;
    },
    takeResume() {
      const resume = spreadBacklogOnResume;
      spreadBacklogOnResume = false;
      return resume;
    },
  };
}
