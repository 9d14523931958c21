import type { PacedWrite, WritePriority } from './paced-write.js';
import { createWindow, type RateWindow, type SlidingWindow } from './sliding-window.js';

export interface QueuedWrite {
  write: PacedWrite;
  /** When the key first queued; a replacement keeps the place (and the age) of the write it replaces. */
  readonly queuedAt: number;
}

export interface ChannelState {
  readonly id: string;
  /** One queue per priority, insertion-ordered: FIFO within each. */
  readonly queues: Record<WritePriority, Map<string, QueuedWrite>>;
  /** One write at a time per channel: edits of one message land in order, and Discord serialises anyway. */
  writing: boolean;
  blockedUntil: number;
  /** When a progress write last started here: a waiting one jumps the queue at most once per maxProgressWaitMs. */
  progressWrittenAt: number;
  readonly recent: SlidingWindow;
  readonly recentOld: SlidingWindow;
}

export function newChannelState(id: string, perChannel: RateWindow, oldMessage: RateWindow): ChannelState {
  return {
    id,
    queues: { final: new Map(), ending: new Map(), progress: new Map() },
    writing: false,
    blockedUntil: -Infinity,
    progressWrittenAt: -Infinity,
    recent: createWindow(perChannel),
    recentOld: createWindow(oldMessage),
  };
}

export function queuedIn(state: ChannelState): number {
  return state.queues.final.size + state.queues.ending.size + state.queues.progress.size;
}

/** The order in which ready channels are served: by the most urgent write each has waiting. */
export const PASSES: readonly { priority?: WritePriority; serves: (state: ChannelState) => boolean }[] = [
  { priority: 'final', serves: (state) => state.queues.final.size > 0 },
  { priority: 'ending', serves: (state) => state.queues.ending.size > 0 },
  // Every ready channel, whatever it has: a channel may be ready only to be parked again.
  { serves: () => true },
];
