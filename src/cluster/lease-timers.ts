import type { Clock } from '../scheduling/clock.js';

/** The two timers of a shard lease: its next round, and the end of its term by its holder's clock. */

export interface Ticker {
  /** Runs the next tick after `ms`, in place of the one scheduled. */
  schedule(ms: number): void;
  cancel(): void;
  /** Resolves once the tick in flight (if any) has settled. */
  settled(): Promise<void>;
  /** Resolves once no tick is in flight, including those scheduled by the ticks it waited for. */
  idle(): Promise<void>;
}

/** One tick scheduled at a time, the one in flight remembered so that callers can wait for it. */
export function createTicker(clock: Clock, tick: () => Promise<void>): Ticker {
  let cancel: (() => void) | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  return {
    schedule(ms) {
      cancel?.();
      cancel = clock.setTimeout(() => {
        cancel = undefined;
        inFlight = tick();
      }, ms);
    },
    cancel() {
      cancel?.();
      cancel = undefined;
    },
    settled: () => inFlight.catch(() => undefined),
    async idle() {
      for (;;) {
        const current = inFlight;
        await current;
        if (current === inFlight) return;
      }
    },
  };
}

export interface HolderTerm {
  /** Starts the term again, counted from `sentAt`. */
  countFrom(sentAt: number): void;
  /** Ends it without calling `onEnd`. */
  end(): void;
}

/**
 * A held lease as its holder counts it: from the moment it sent the command that set it, never by
 * Redis's clock, so that its view ends before Redis's does. `onEnd` runs `lengthMs` later unless the
 * term is counted again or ended first.
 */
export function createHolderTerm(clock: Clock, lengthMs: number, onEnd: () => void): HolderTerm {
  let cancel: (() => void) | undefined;
  return {
    countFrom(sentAt) {
      cancel?.();
      cancel = clock.setTimeout(
        () => {
          cancel = undefined;
          onEnd();
        },
        Math.max(0, sentAt + lengthMs - clock.now()),
      );
    },
    end() {
      cancel?.();
      cancel = undefined;
    },
  };
}
