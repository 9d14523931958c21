/** What one poll of a task found. */
export type PollOutcome = 'changed' | 'unchanged' | 'terminal';

/** What the scheduler remembers about a task's polls; handed to a custom delay strategy. */
export interface PollHistory {
  /** The adaptive interval after the latest outcome: min on a change, ×backoffFactor while unchanged. */
  readonly intervalMs: number;
  readonly consecutiveUnchanged: number;
  readonly consecutiveErrors: number;
  readonly scheduledAt: number;
  readonly lastPolledAt: number | undefined;
  readonly lastChangedAt: number | undefined;
}

/**
 * Picks the delay before a task's next poll after a successful one ("poll when a change is due", docs/performance.md#poll-when-a-change-is-due:
 * the tracker can read the task's refresh cadence and `status_update_time` by id). Return undefined to keep
 * the adaptive interval. The result is clamped to [min, maxStrategyDelayMs] and used without jitter: a
 * strategy that aims at a due time spreads load by itself.
 */
export type PollDelayStrategy = (
  taskId: string,
  outcome: 'changed' | 'unchanged',
  history: PollHistory,
) => number | undefined;
