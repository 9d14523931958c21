import type { NotFoundStreak, TaskRecord } from '../domain/task-record.js';

/**
 * Whether a tracked task that the API answers "not found" for has ended (docs/video-api.md#unknown-tasks).
 * Relays sometimes answer 404 or `task_not_exist` for a while just after creating a task, so one such
 * answer does not end tracking: the answer has to persist. Until then the task keeps its last reading
 * and is polled again with back-off.
 */

export interface NotFoundRule {
  /** "Not found" answers in a row before tracking ends… */
  polls: number;
  /** …spread over at least this long since the first of them… */
  graceMs: number;
  /** …and never sooner than this after tracking started, when relays lag the most. */
  afterTrackingMs: number;
}

export const NOT_FOUND_RULE: NotFoundRule = {
  polls: 3,
  graceMs: 2 * 60_000,
  afterTrackingMs: 5 * 60_000,
};

export interface NotFoundVerdict {
  /** True when the task has ended: the API no longer knows it. */
  ended: boolean;
  /** The streak with this answer counted, to record on the task. */
  streak: NotFoundStreak;
}

/** The verdict on a "not found" answer at `now` for `task`, given the streak it already records. */
export function afterNotFound(
  task: TaskRecord,
  now: number,
  rule: NotFoundRule = NOT_FOUND_RULE,
): NotFoundVerdict {
  const streak = { since: task.notFound?.since ?? now, count: (task.notFound?.count ?? 0) + 1 };
  const persisted =
    streak.count >= rule.polls &&
    now - streak.since >= rule.graceMs &&
    now - task.trackedAt >= rule.afterTrackingMs;
  return { ended: persisted || pastExpiry(task, now), streak };
}

/** After `expires_at` the relay may drop the task (docs/video-api.md#expiring-links): nothing comes back. */
function pastExpiry(task: TaskRecord, now: number): boolean {
  const expiresAt = task.snapshot?.expiresAt?.getTime();
  return expiresAt !== undefined && now >= expiresAt;
}
