import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { PacedWrite } from './pacing/paced-write.js';
import { createChannelRegistry } from './pacing/channel-registry.js';
import { createWindow, type RateWindow } from './pacing/sliding-window.js';
import { createSendLoop } from './pacing/send-loop.js';
import { createWriteBook } from './pacing/write-book.js';

export type { PacedWrite, WritePriority } from './pacing/paced-write.js';
export type { RateWindow } from './pacing/sliding-window.js';

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
 * Paces message writes to Discord's limits: per channel, for old messages, and across all channels.
 * The pieces: the rate windows (pacing/sliding-window), which write a channel sends next
 * (pacing/write-choice), what is queued (pacing/write-book) and where each channel stands
 * (pacing/channel-registry), and the loop that sends
 * (pacing/send-loop).
 */
export function createEditPacer(options: EditPacerOptions): EditPacer {
  const { clock, logger } = options;
  const perChannel = options.perChannel ?? { limit: 5, windowMs: 5_000 };
  const oldMessage = options.oldMessage ?? { limit: 3, windowMs: 6_000, ageMs: 3_600_000 };
  const maxProgressWaitMs = options.maxProgressWaitMs ?? 30_000;
  const global = createWindow(options.global ?? { limit: 45, windowMs: 1_000 });
  // Built once here so that a bad limit fails at startup, not on the first write.
  createWindow(perChannel);
  createWindow(oldMessage);

  const channels = createChannelRegistry(perChannel, oldMessage);
  const book = createWriteBook(channels);
  const rules = { maxProgressWaitMs, oldMessageAgeMs: oldMessage.ageMs };
  const idleWaiters: (() => void)[] = [];
  const loop = createSendLoop({ clock, logger, channels, book, global, rules, onWriteSettled: notifyIfIdle });
  const pending = () => book.queuedCount + loop.running.size;

  function notifyIfIdle(): void {
    if (pending() > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  return {
    submit(write) {
      if (loop.stopped) {
        logger.debug({ channelId: write.channelId, key: write.key }, 'edit pacer stopped: write dropped');
        drop(logger, write, 'stopped');
        return;
      }
      if (book.enqueue(write, clock.now(), (previous) => drop(logger, previous, 'replaced'))) loop.soon();
    },

    penalize(channelId, retryAfterMs) {
      if (loop.stopped) return;
      if (channels.block(channelId, clock.now() + Math.max(0, retryAfterMs)))
        logger.debug({ channelId, retryAfterMs }, 'channel writes paused after a rate limit');
    },

    pending,

    backlogMs: () => (book.queuedCount * global.windowMs) / global.limit,

    idle() {
      if (pending() === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    async stop(stopOptions = {}) {
      if (!loop.stopped) {
        loop.stop();
        const dropped = book.clear((write) => drop(logger, write, 'stopped'));
        if (dropped > 0) logger.info({ dropped }, 'edit pacer stopped: queued writes dropped');
      }
      if (loop.running.size > 0) {
        const timeout = new AbortController();
        const graceOver = clock.sleep(stopOptions.graceMs ?? 5_000, timeout.signal).catch(() => undefined);
        await Promise.race([Promise.allSettled([...loop.running]), graceOver]);
        timeout.abort();
      }
      for (const resolve of idleWaiters.splice(0)) resolve();
    },
  };
}

/** Tells a write's owner it was discarded unrun; a throwing callback is logged, never let out. */
function drop(logger: Logger, write: PacedWrite, reason: 'replaced' | 'stopped'): void {
  try {
    write.dropped?.(reason);
  } catch (error) {
    logger.warn({ err: error, channelId: write.channelId, key: write.key }, 'dropped-write callback failed');
  }
}
