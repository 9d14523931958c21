import type { Logger } from '../../ops/logger.js';
import type { Clock } from '../../scheduling/clock.js';
import { createWakeTimer } from '../../scheduling/wake-timer.js';
import { PASSES, type ChannelState, type QueuedWrite } from './channel-state.js';
import { isOld, type PacedWrite } from './paced-write.js';
import { countFinish, countStart, freeAt, nearlyFull, type SlidingWindow } from './sliding-window.js';
import { chooseWrite, type ChoiceRules } from './write-choice.js';
import type { WriteBook } from './write-book.js';
import type { ChannelRegistry } from './channel-registry.js';

/** The loop that sends: one timer, armed for when the next write fits, that starts what the limits allow. */
export interface SendLoop {
  readonly stopped: boolean;
  /** Writes running. */
  readonly running: ReadonlySet<Promise<void>>;
  /** Pumps from the one timer, at once: never inside the caller's stack, and visible to a manual clock. */
  soon(): void;
  /** Starts no more writes and disarms the timer; running ones finish. */
  stop(): void;
}

export interface SendLoopDeps {
  clock: Clock;
  logger: Logger;
  channels: ChannelRegistry;
  book: WriteBook;
  /** Across all channels. */
  global: SlidingWindow;
  rules: Omit<ChoiceRules, 'globalBusy'>;
  /** A write finished (and the loop pumped): the pacer may have gone idle. */
  onWriteSettled(): void;
}

export function createSendLoop(deps: SendLoopDeps): SendLoop {
  const { clock, channels, book, global } = deps;
  const running = new Set<Promise<void>>();
  const wake = createWakeTimer(clock, pump);
  const rules: ChoiceRules = { ...deps.rules, globalBusy: (now) => nearlyFull(global, now) };
  let stopped = false;

  /** Starts every write the windows allow, one channel at a time in turn, then arms the one timer. */
  function pump(): void {
    if (stopped) return;
    const now = clock.now();
    channels.wakeDue(now);
    let globalFreeAt = freeAt(global, now);
    // When the global budget is short, channels with results go first, then those with final states.
    for (const pass of PASSES) {
      if (globalFreeAt > now) break;
      if (pass.priority !== undefined && book.queuedOf(pass.priority) === 0) continue;
      for (const state of channels.ready) {
        if (!pass.serves(state)) continue;
        globalFreeAt = freeAt(global, now);
        if (globalFreeAt > now) break;
        channels.ready.delete(state);
        const choice = chooseWrite(state, now, rules);
        if (choice.write) startWrite(state, choice.write, now);
        else channels.park(state, choice.retryAt, now);
      }
      if (globalFreeAt > now) break;
    }
    const nextWake = channels.nextWakeAt();
    wake.wakeAt(channels.ready.size > 0 ? Math.min(globalFreeAt, nextWake) : nextWake);
  }

  function startWrite(state: ChannelState, queued: QueuedWrite, now: number): void {
    const { write } = queued;
    book.take(state, queued, now);
    // The windows this write counts in, from its start until a window after it finished.
    const windows = isOld(write, now, deps.rules.oldMessageAgeMs)
      ? [state.recent, global, state.recentOld]
      : [state.recent, global];
    state.writing = true;
    for (const window of windows) countStart(window);
    const settled = runWrite(write, deps.logger).finally(() => {
      const finishedAt = clock.now();
      state.writing = false;
      for (const window of windows) countFinish(window, finishedAt);
      running.delete(settled);
      if (!stopped) {
        channels.makeReady(state);
        pump();
      }
      deps.onWriteSettled();
    });
    running.add(settled);
  }

  return {
    get stopped() {
      return stopped;
    },
    running,
    soon() {
      if (!stopped) wake.wakeAt(clock.now());
    },
    stop() {
      stopped = true;
      wake.cancel();
    },
  };
}

async function runWrite(write: PacedWrite, logger: Logger): Promise<void> {
  try {
    // From a microtask, so a run() that calls back into the pacer never lands inside pump().
    await Promise.resolve().then(() => write.run());
  } catch (error) {
    logger.warn({ err: error, channelId: write.channelId, key: write.key }, 'paced write failed');
  }
}
