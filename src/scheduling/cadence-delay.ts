import { dueAfter, endWindowStart, expectedEnd } from './cadence-estimate.js';
import { LEARN_REFRESHES, type TaskCadence } from './cadence-state.js';

/** While only a progress bar moves, refreshes are skipped as long as polls stay this close together. */
const MAX_SKIPPING_GAP_MS = 30_000;

export interface DelayContext {
  now: number;
  /** Polls in a row that saw no change. */
  consecutiveUnchanged: number;
  /** How long a progress edit submitted now would wait for Discord; 0 when unknown. */
  backlogMs: number;
  minMarginMs: number;
  /** The shortest and longest gaps between two polls of a task (see PollCadenceOptions.intervalMs). */
  intervalMs: { min: number; max: number; backloggedMax: number } | undefined;
}

/** The context, with what the task's estimates say about now. */
interface Aim extends DelayContext {
  /** From when polls follow every refresh (see endWindowStart). */
  endWindow: number;
  /** Discord shows changes slower than the task's beat brings them, and the end is not near yet. */
  backlogged: boolean;
}

/** How long to wait before the next poll of a task whose beat is known (see PollCadence). */
export function cadenceDelay(task: TaskCadence, context: DelayContext): number {
  const endWindow = endWindowStart(task);
  const backlogged = context.backlogMs > task.periodMs && context.now < endWindow;
  const aim: Aim = { ...context, endWindow, backlogged };
  let due = aimedRefresh(task, aim);
  if (context.intervalMs) due = withinLongestGap(task, due, context.intervalMs, aim);
  if (task.pollAfterMs !== undefined) due = Math.max(due, context.now + task.pollAfterMs);
  return due - context.now;
}

/** The refresh to poll just after: the next, every other one, or fewer while Discord is backlogged. */
function aimedRefresh(task: TaskCadence, aim: Aim): number {
  const { now, backlogMs, minMarginMs, endWindow } = aim;
  // Every other refresh is enough while only a progress bar moves (a tick every 30 s on new-api's
  // beat), once the beat is learnt, or while nothing people see changes (still queued); every refresh
  // around the expected end, so that the result is never a beat late.
  const barMoving =
    task.lastRunning !== undefined &&
    task.refreshesSeen >= LEARN_REFRESHES &&
    2 * task.periodMs <= MAX_SKIPPING_GAP_MS;
  let due = dueAfter(task, now, minMarginMs);
  if ((barMoving && now < endWindow) || aim.consecutiveUnchanged >= 2) due += task.periodMs;
  // Discord shows changes slower than they come: poll about as often as the message can be edited.
  if (aim.backlogged) {
    due = Math.max(due, dueAfter(task, now + backlogMs, minMarginMs));
    // Progress read then would still be waiting for Discord when the end is shown, which replaces it.
    const end = expectedEnd(task);
    if (end !== undefined && due + backlogMs >= end) due = Infinity;
  }
  // But never past the refreshes around the expected end.
  if (now < endWindow) due = Math.min(due, dueAfter(task, endWindow, minMarginMs));
  return due;
}

/**
 * The longest gap. While Discord is backlogged, a task whose end is estimated from its readings may
 * wait longer, as long as a change read now would wait to be shown (up to backloggedMax): an unexpected
 * failure is then seen about as late as progress is shown, and its result goes first.
 */
function withinLongestGap(
  task: TaskCadence,
  due: number,
  gaps: { min: number; max: number; backloggedMax: number },
  { now, backlogMs, minMarginMs, endWindow, backlogged }: Aim,
): number {
  const estimated = Number.isFinite(endWindow) && task.lastRunning !== task.firstRunning;
  const longest =
    backlogged && estimated ? Math.max(gaps.max, Math.min(backlogMs, gaps.backloggedMax)) : gaps.max;
  // Landing just before the refresh expected to show the end, a poll forced by the longest gap would
  // hold up the one that sees it by the shortest gap (a result up to 10 s late): take the refresh
  // before instead. (Elsewhere it only sees the refresh before, a little late.)
  const forcedAt = now + longest;
  if (due > forcedAt && due >= endWindow && due - forcedAt < gaps.min && longest > task.periodMs)
    return Math.min(dueAfter(task, forcedAt - task.periodMs, minMarginMs), forcedAt);
  return Math.min(due, forcedAt);
}
