import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { createKeyedMinHeap } from '../scheduling/heap.js';
import { createWakeTimer } from '../scheduling/wake-timer.js';

/** One message write (a create or an edit) waiting for its turn in a channel. */
export interface PacedWrite {
  channelId: string;
  /** Identity for coalescing, e.g. `channelId:messageId`: a newer write with the same key replaces this one. */
  key: string;
  /**
   * The order when the budget is short: `final` writes (results, DMs) first, then `ending` ones (the
   * last state of a progress message), then `progress` ticks; first come first served within each.
   */
  priority: WritePriority;
  /** When the target message was created, for Discord's stricter limit on messages older than an hour. */
  targetCreatedAt?: number;
  /** Performs the write. A throw is logged and not retried here: the caller decides. */
  run(): Promise<void>;
  /** Called when the pacer discards this write unrun: a newer one replaced it, or the pacer stopped. */
  dropped?(reason: 'replaced' | 'stopped'): void;
}

export type WritePriority = 'final' | 'ending' | 'progress';

export interface RateWindow {
  limit: number;
  windowMs: number;
}

export interface EditPacerOptions {
  clock: Clock;
  logger: Logger;
  /** Creates and edits share one bucket per channel. Default 5 per 5000 ms. */
  perChannel?: RateWindow;
  /** Edits of messages older than `ageMs`, per channel. Default 3 per 6000 ms, age 1 hour. */
  oldMessage?: RateWindow & { ageMs: number };
  /**
   * Across all channels; keep below Discord's 50/s. Counted like the per-channel window, from when each
   * write finished, so however late a request arrives no second holds more. Default 45 per 1000 ms.
   */
  global?: RateWindow;
  /**
   * A progress write waiting this long goes before finals and endings queued after it, so it never
   * starves. Default 30 s.
   */
  maxProgressWaitMs?: number;
}

export interface EditPacer {
  submit(write: PacedWrite): void;
  /** After a 429 in a channel: nothing more is written there for `retryAfterMs`. */
  penalize(channelId: string, retryAfterMs: number): void;
  /** Writes queued or running. */
  pending(): number;
  /**
   * How long the writes queued now take to go out at the global rate: roughly how long a new progress
   * write waits. Lets the poller see when Discord cannot show changes as fast as they come.
   */
  backlogMs(): number;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  /** Drops queued writes and waits up to `graceMs` (default 5000) for running ones. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * A sliding-window counter. A write holds a slot from the moment it starts until a window after it
 * finished: Discord counts its arrival, which lies somewhere in between, so however late requests
 * arrive no window of Discord's can hold more than `limit` of them.
 */
interface SlidingWindow {
  readonly limit: number;
  readonly windowMs: number;
  /** Writes started and not finished. */
  active: number;
  /** Ascending times at which counted writes finished. */
  readonly times: number[];
}

function createWindow({ limit, windowMs }: RateWindow): SlidingWindow {
  if (!(limit >= 1) || !(windowMs > 0))
    throw new RangeError('edit pacer: a rate window needs limit >= 1 and windowMs > 0');
  return { limit, windowMs, active: 0, times: [] };
}

/** The earliest time a new write fits; Infinity while every slot is held by a running write. */
function freeAt(window: SlidingWindow, now: number): number {
  const { times, windowMs, limit } = window;
  while (times.length > 0 && times[0]! <= now - windowMs) times.shift();
  const used = window.active + times.length;
  if (used < limit) return now;
  if (window.active >= limit) return Infinity;
  return times[used - limit]! + windowMs;
}

/** When the window holds nothing that could still block a write. */
function quietAt(window: SlidingWindow): number {
  if (window.active > 0) return Infinity;
  const last = window.times[window.times.length - 1];
  return last === undefined ? -Infinity : last + window.windowMs;
}

interface QueuedWrite {
  write: PacedWrite;
  /** When the key first queued; a replacement keeps the place (and the age) of the write it replaces. */
  readonly queuedAt: number;
}

interface ChannelState {
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

export function createEditPacer(options: EditPacerOptions): EditPacer {
  const { clock, logger } = options;
  const perChannel = options.perChannel ?? { limit: 5, windowMs: 5_000 };
  const oldMessage = options.oldMessage ?? { limit: 3, windowMs: 6_000, ageMs: 3_600_000 };
  const maxProgressWaitMs = options.maxProgressWaitMs ?? 30_000;
  const global = createWindow(options.global ?? { limit: 45, windowMs: 1_000 });
  // Built once here so that a bad limit fails at startup, not on the first write.
  createWindow(perChannel);
  createWindow(oldMessage);

  const channels = new Map<string, ChannelState>();
  /** Where each queued key is, for coalescing. */
  const queuedKeys = new Map<string, ChannelState>();
  /** Channels with work that may be writable now, in round-robin order. */
  const ready = new Set<ChannelState>();
  /** Channels waiting for a window, a penalty, or (with nothing queued) for their history to expire. */
  const waiting = createKeyedMinHeap<string>();
  const runningWrites = new Set<Promise<void>>();
  const idleWaiters: (() => void)[] = [];
  const wake = createWakeTimer(clock, pump);
  let queuedCount = 0;
  /** Queued writes of each priority across channels: a pass with none to serve is skipped. */
  const queuedByPriority: Record<WritePriority, number> = { final: 0, ending: 0, progress: 0 };
  let stopped = false;

  function channel(channelId: string): ChannelState {
    let state = channels.get(channelId);
    if (!state) {
      state = {
        id: channelId,
        queues: { final: new Map(), ending: new Map(), progress: new Map() },
        writing: false,
        blockedUntil: -Infinity,
        progressWrittenAt: -Infinity,
        recent: createWindow(perChannel),
        recentOld: createWindow(oldMessage),
      };
      channels.set(channelId, state);
    }
    return state;
  }

  function makeReady(state: ChannelState): void {
    if (state.writing) return;
    waiting.delete(state.id);
    ready.add(state);
  }

  /** Pumps from the one timer, at once: never inside the caller's stack, and visible to a manual clock. */
  function pumpSoon(): void {
    if (!stopped) wake.wakeAt(clock.now());
  }

  /** Starts every write the windows allow, one channel at a time in turn, then arms the one timer. */
  function pump(): void {
    if (stopped) return;
    const now = clock.now();
    while (waiting.peekPriority() <= now) {
      const state = channels.get(waiting.pop()!);
      if (state) makeReady(state);
    }
    let globalFreeAt = freeAt(global, now);
    // When the global budget is short, channels with results go first, then those with final states.
    for (const pass of PASSES) {
      if (globalFreeAt > now) break;
      if (pass.priority !== undefined && queuedByPriority[pass.priority] === 0) continue;
      for (const state of ready) {
        if (!pass.serves(state)) continue;
        globalFreeAt = freeAt(global, now);
        if (globalFreeAt > now) break;
        ready.delete(state);
        const choice = chooseWrite(state, now);
        if (choice.write) startWrite(state, choice.write, now);
        else park(state, choice.retryAt, now);
      }
      if (globalFreeAt > now) break;
    }
    wake.wakeAt(ready.size > 0 ? Math.min(globalFreeAt, waiting.peekPriority()) : waiting.peekPriority());
  }

  /** Most of the global budget is in use (counting the write being chosen): Discord cannot take all. */
  const globalBusy = (now: number) => {
    freeAt(global, now);
    return global.active + global.times.length + 1 >= global.limit * 0.8;
  };

  const isOld = (write: PacedWrite, now: number) =>
    write.targetCreatedAt !== undefined && now - write.targetCreatedAt >= oldMessage.ageMs;

  function chooseWrite(state: ChannelState, now: number): { write?: QueuedWrite; retryAt: number } {
    const channelFreeAt = Math.max(state.blockedUntil, freeAt(state.recent, now));
    if (channelFreeAt > now) return { retryAt: channelFreeAt };
    const oldFreeAt = freeAt(state.recentOld, now);
    const oldAllowed = oldFreeAt <= now;
    const { final, ending, progress } = state.queues;
    const progressHead = first(progress);
    const urgentHeads = [first(final), first(ending)].filter((head) => head !== undefined);
    // Under a steady overload every progress write is old: letting each jump ahead would undo the order.
    // And while the global budget is short, results and final states keep their precedence everywhere.
    const progressStarving =
      progressHead !== undefined &&
      progressHead.queuedAt + maxProgressWaitMs <= now &&
      state.progressWrittenAt + maxProgressWaitMs <= now &&
      !globalBusy(now) &&
      urgentHeads.every((head) => progressHead.queuedAt < head.queuedAt);
    const order = progressStarving ? [progress, final, ending] : [final, ending, progress];
    for (const queue of order) {
      for (const queued of queue.values()) {
        // A full old-message bucket holds back only old messages; the others may go.
        if (oldAllowed || !isOld(queued.write, now)) return { write: queued, retryAt: now };
      }
    }
    return { retryAt: oldFreeAt };
  }

  /** Puts a channel aside until it can write again, or forgets it once idle and its history expired. */
  function park(state: ChannelState, retryAt: number, now: number): void {
    if (queuedIn(state) > 0) {
      if (Number.isFinite(retryAt)) waiting.set(state.id, retryAt);
      return;
    }
    const forgetAt = Math.max(state.blockedUntil, quietAt(state.recent), quietAt(state.recentOld));
    if (forgetAt <= now) channels.delete(state.id);
    else if (Number.isFinite(forgetAt)) waiting.set(state.id, forgetAt);
  }

  function startWrite(state: ChannelState, queued: QueuedWrite, now: number): void {
    const { write } = queued;
    state.queues[write.priority].delete(write.key);
    if (write.priority === 'progress') state.progressWrittenAt = now;
    queuedKeys.delete(write.key);
    queuedCount -= 1;
    queuedByPriority[write.priority] -= 1;
    const old = isOld(write, now);
    state.writing = true;
    state.recent.active += 1;
    global.active += 1;
    if (old) state.recentOld.active += 1;
    const settled = runWrite(write).finally(() => {
      const finishedAt = clock.now();
      state.writing = false;
      state.recent.active -= 1;
      state.recent.times.push(finishedAt);
      global.active -= 1;
      global.times.push(finishedAt);
      if (old) {
        state.recentOld.active -= 1;
        state.recentOld.times.push(finishedAt);
      }
      runningWrites.delete(settled);
      if (!stopped) {
        makeReady(state);
        pump();
      }
      notifyIfIdle();
    });
    runningWrites.add(settled);
  }

  async function runWrite(write: PacedWrite): Promise<void> {
    try {
      // From a microtask, so a run() that calls back into the pacer never lands inside pump().
      await Promise.resolve().then(() => write.run());
    } catch (error) {
      logger.warn({ err: error, channelId: write.channelId, key: write.key }, 'paced write failed');
    }
  }

  function drop(write: PacedWrite, reason: 'replaced' | 'stopped'): void {
    try {
      write.dropped?.(reason);
    } catch (error) {
      logger.warn(
        { err: error, channelId: write.channelId, key: write.key },
        'dropped-write callback failed',
      );
    }
  }

  function notifyIfIdle(): void {
    if (queuedCount + runningWrites.size > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  return {
    submit(write) {
      if (stopped) {
        logger.debug({ channelId: write.channelId, key: write.key }, 'edit pacer stopped: write dropped');
        drop(write, 'stopped');
        return;
      }
      const now = clock.now();
      let queuedAt = now;
      const previousChannel = queuedKeys.get(write.key);
      if (previousChannel) {
        const priority = PRIORITIES.find((p) => previousChannel.queues[p].has(write.key))!;
        const queue = previousChannel.queues[priority];
        const previous = queue.get(write.key)!;
        drop(previous.write, 'replaced');
        if (previousChannel.id === write.channelId && priority === write.priority) {
          previous.write = write; // latest wins, in the place the key already had
          return;
        }
        queue.delete(write.key);
        queuedCount -= 1;
        queuedByPriority[priority] -= 1;
        queuedAt = previous.queuedAt;
      }
      const state = channel(write.channelId);
      state.queues[write.priority].set(write.key, { write, queuedAt });
      queuedKeys.set(write.key, state);
      queuedCount += 1;
      queuedByPriority[write.priority] += 1;
      makeReady(state);
      pumpSoon();
    },

    penalize(channelId, retryAfterMs) {
      if (stopped) return;
      const state = channel(channelId);
      const until = clock.now() + Math.max(0, retryAfterMs);
      if (until <= state.blockedUntil) return;
      state.blockedUntil = until;
      logger.debug({ channelId, retryAfterMs }, 'channel writes paused after a rate limit');
      if (waiting.has(channelId)) waiting.set(channelId, Math.max(until, waiting.priorityOf(channelId)!));
      else if (!state.writing && !ready.has(state)) waiting.set(channelId, until);
    },

    pending: () => queuedCount + runningWrites.size,

    backlogMs: () => (queuedCount * global.windowMs) / global.limit,

    idle() {
      if (queuedCount + runningWrites.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    async stop(stopOptions = {}) {
      if (!stopped) {
        stopped = true;
        wake.cancel();
        let dropped = 0;
        for (const state of channels.values()) {
          for (const queue of Object.values(state.queues)) {
            for (const queued of queue.values()) drop(queued.write, 'stopped');
            dropped += queue.size;
            queue.clear();
          }
        }
        queuedKeys.clear();
        ready.clear();
        queuedCount = 0;
        for (const priority of PRIORITIES) queuedByPriority[priority] = 0;
        if (dropped > 0) logger.info({ dropped }, 'edit pacer stopped: queued writes dropped');
      }
      if (runningWrites.size > 0) {
        const timeout = new AbortController();
        const graceOver = clock.sleep(stopOptions.graceMs ?? 5_000, timeout.signal).catch(() => undefined);
        await Promise.race([Promise.allSettled([...runningWrites]), graceOver]);
        timeout.abort();
      }
      for (const resolve of idleWaiters.splice(0)) resolve();
    },
  };
}

const PRIORITIES: readonly WritePriority[] = ['final', 'ending', 'progress'];

/** The order in which ready channels are served: by the most urgent write each has waiting. */
const PASSES: readonly { priority?: WritePriority; serves: (state: ChannelState) => boolean }[] = [
  { priority: 'final', serves: (state) => state.queues.final.size > 0 },
  { priority: 'ending', serves: (state) => state.queues.ending.size > 0 },
  // Every ready channel, whatever it has: a channel may be ready only to be parked again.
  { serves: () => true },
];

function queuedIn(state: ChannelState): number {
  return state.queues.final.size + state.queues.ending.size + state.queues.progress.size;
}

function first<V>(map: Map<string, V>): V | undefined {
  for (const value of map.values()) return value;
  return undefined;
}
