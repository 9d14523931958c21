import type { ChannelState, QueuedWrite } from './channel-state.js';
import { isOld } from './paced-write.js';
import { freeAt } from './sliding-window.js';

export interface ChoiceRules {
  /** A progress write waiting this long may go before finals and endings queued after it. */
  maxProgressWaitMs: number;
  /** Messages at least this old count against the old-message limit. */
  oldMessageAgeMs: number;
  /** Most of the global budget is in use: results and final states keep their precedence everywhere. */
  globalBusy: (now: number) => boolean;
}

/**
 * Which of a channel's queued writes goes next, if any may go now: by priority, first come first served
 * within each, unless a progress write has waited too long. Otherwise, when the channel can next write.
 */
export function chooseWrite(
  state: ChannelState,
  now: number,
  rules: ChoiceRules,
): { write?: QueuedWrite; retryAt: number } {
  const channelFreeAt = Math.max(state.blockedUntil, freeAt(state.recent, now));
  if (channelFreeAt > now) return { retryAt: channelFreeAt };
  const oldFreeAt = freeAt(state.recentOld, now);
  const oldAllowed = oldFreeAt <= now;
  const { final, ending, progress } = state.queues;
  const order = progressStarving(state, now, rules) ? [progress, final, ending] : [final, ending, progress];
  for (const queue of order) {
    for (const queued of queue.values()) {
      // A full old-message bucket holds back only old messages; the others may go.
      if (oldAllowed || !isOld(queued.write, now, rules.oldMessageAgeMs))
        return { write: queued, retryAt: now };
    }
  }
  return { retryAt: oldFreeAt };
}

/**
 * The channel's oldest progress write has waited past maxProgressWaitMs, as has the last one written,
 * and came before every final and ending waiting. Under a steady overload every progress write is old:
 * letting each jump ahead would undo the order. And while the global budget is short, results and final
 * states keep their precedence everywhere.
 */
export function progressStarving(state: ChannelState, now: number, rules: ChoiceRules): boolean {
  const { final, ending, progress } = state.queues;
  const progressHead = first(progress);
  const urgentHeads = [first(final), first(ending)].filter((head) => head !== undefined);
  return (
    progressHead !== undefined &&
    progressHead.queuedAt + rules.maxProgressWaitMs <= now &&
    state.progressWrittenAt + rules.maxProgressWaitMs <= now &&
    !rules.globalBusy(now) &&
    urgentHeads.every((head) => progressHead.queuedAt < head.queuedAt)
  );
}

function first<V>(map: Map<string, V>): V | undefined {
  for (const value of map.values()) return value;
  return undefined;
}
