import { createKeyedMinHeap } from './heap.js';
import type { PollSlot } from './poll-slots.js';
import type { PollHistory, PollOutcome } from './poll-types.js';

export type MutableHistory = { -readonly [K in keyof PollHistory]: PollHistory[K] };

export interface TrackedTask {
  readonly taskId: string;
  readonly history: MutableHistory;
  /** The poll in flight; it never rejects. */
  running: Promise<PollOutcome | undefined> | undefined;
  controller: AbortController | undefined;
  /** The API slot the running poll holds, until it settles or releases it early. */
  slot: PollSlot | undefined;
  /** A due time asked for by schedule() while a poll was in flight, applied when it settles. */
  requestedDueAt: number | undefined;
  /** pollNow() callers waiting for the task's next poll to start and finish. */
  waiters: ((outcome: PollOutcome | undefined) => void)[];
}

/**
 * Which tasks are scheduled, which are being polled, and when each idle one falls due. A task is in
 * the due order only while no poll of it runs: it is put back when the poll settles.
 */
export interface DueQueue {
  /** Scheduled tasks, including those whose poll is in flight. */
  readonly scheduled: ReadonlyMap<string, TrackedTask>;
  /** Polls running, also for tasks unscheduled meanwhile: a task is never polled twice at once. */
  readonly inFlight: ReadonlyMap<string, TrackedTask>;
  /**
   * The task to schedule under `taskId`: the scheduled one, else the one still being polled after it
   * was unscheduled (its history carries on), else a new one. `isNew` when it was not scheduled.
   */
  admit(taskId: string, now: number, minIntervalMs: number): { task: TrackedTask; isNew: boolean };
  /**
   * Asks for the task to fall due at `dueAt` (undefined: keep its due time). While a poll of it runs, the
   * request waits for the poll to settle (never two polls of a task at once); a waiting Refresh keeps it
   * urgent. False while a poll runs.
   */
  request(task: TrackedTask, dueAt: number | undefined): boolean;
  /** Takes the task off the schedule, with any due time asked for (a poll in flight runs on, not rescheduled). */
  remove(task: TrackedTask): void;
  /** Still the task scheduled under its id: not ended or unscheduled (and maybe scheduled anew) meanwhile. */
  isScheduled(task: TrackedTask): boolean;
  setDue(taskId: string, dueAt: number): void;
  /** Puts a settled task back in the due order; a due time asked for meanwhile, or a waiting Refresh, wins. */
  reinsert(task: TrackedTask, dueAt: number): void;
  /** Puts the task before every ordinary due time, so that a Refresh is served by the next free slot. */
  makeUrgent(task: TrackedTask): void;
  /** The earliest due time; Infinity when nothing is due. */
  nextDueAt(): number;
  /** Takes the next task due by `now` out of the due order. */
  popDue(now: number): TrackedTask | undefined;
  /** Spreads every overdue task over the next stretch (`spreadAt`), except one a Refresh waits for. */
  spreadOverdue(now: number, spreadAt: (now: number) => number): void;
  markRunning(task: TrackedTask): void;
  markSettled(task: TrackedTask): void;
}

/** Put before every ordinary due time so that a Refresh is served by the next free slot. */
const URGENT = -Infinity;

export function createDueQueue(): DueQueue {
  const scheduled = new Map<string, TrackedTask>();
  const inFlight = new Map<string, TrackedTask>();
  /** Due times of scheduled tasks that are not in flight. */
  const due = createKeyedMinHeap<string>();

  return {
    scheduled,
    inFlight,
    admit(taskId, now, minIntervalMs) {
      const existing = scheduled.get(taskId) ?? inFlight.get(taskId);
      const isNew = existing === undefined || !scheduled.has(taskId);
      const task = existing ?? newTask(taskId, now, minIntervalMs);
      scheduled.set(taskId, task);
      return { task, isNew };
    },
    request(task, dueAt) {
      if (task.running) {
        if (dueAt !== undefined) task.requestedDueAt = dueAt;
        return false;
      }
      if (dueAt !== undefined && task.waiters.length === 0) due.set(task.taskId, dueAt);
      return true;
    },
    remove(task) {
      task.requestedDueAt = undefined;
      scheduled.delete(task.taskId);
      due.delete(task.taskId);
    },
    isScheduled: (task) => scheduled.get(task.taskId) === task,
    setDue: (taskId, dueAt) => due.set(taskId, dueAt),
    reinsert(task, dueAt) {
      const requested = task.requestedDueAt;
      task.requestedDueAt = undefined;
      due.set(task.taskId, task.waiters.length > 0 ? URGENT : (requested ?? dueAt));
    },
    makeUrgent: (task) => due.set(task.taskId, URGENT),
    nextDueAt: () => due.peekPriority(),
    popDue(now) {
      while (due.peekPriority() <= now) {
        const task = scheduled.get(due.pop()!);
        if (task) return task;
      }
      return undefined;
    },
    // Costs O(k log n) for the k overdue tasks, once per rate-limit pause.
    spreadOverdue(now, spreadAt) {
      const overdue: string[] = [];
      while (due.peekPriority() <= now) overdue.push(due.pop()!);
      for (const taskId of overdue) {
        const task = scheduled.get(taskId);
        if (!task) continue;
        due.set(taskId, task.waiters.length > 0 ? URGENT : spreadAt(now));
      }
    },
    markRunning: (task) => inFlight.set(task.taskId, task),
    markSettled: (task) => inFlight.delete(task.taskId),
  };
}

function newTask(taskId: string, now: number, minIntervalMs: number): TrackedTask {
  return {
    taskId,
    history: {
      intervalMs: minIntervalMs,
      consecutiveUnchanged: 0,
      consecutiveErrors: 0,
      scheduledAt: now,
      lastPolledAt: undefined,
      lastChangedAt: undefined,
    },
    running: undefined,
    controller: undefined,
    slot: undefined,
    requestedDueAt: undefined,
    waiters: [],
  };
}
