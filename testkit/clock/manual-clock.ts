import type { Clock } from '../../src/scheduling/clock.js';

/** A clock that moves only when told to: `advance(ms)` fires every timer that falls due, in order. */
export interface ManualClock extends Clock {
  advance(ms: number): Promise<void>;
  /** Timers still waiting. */
  pending(): number;
}

export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let current = startMs;
  let nextId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();

  const clock: ManualClock = {
    now: () => current,
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { at: current + Math.max(0, ms), callback });
      return () => timers.delete(id);
    },
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason as Error);
          return;
        }
        const cancel = clock.setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        const onAbort = () => {
          cancel();
          reject(signal?.reason as Error);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async advance(ms) {
      const target = current + ms;
      for (;;) {
        let dueId: number | undefined;
        let dueAt = Infinity;
        for (const [id, timer] of timers) {
          if (timer.at <= target && timer.at < dueAt) {
            dueAt = timer.at;
            dueId = id;
          }
        }
        if (dueId === undefined) break;
        const timer = timers.get(dueId)!;
        timers.delete(dueId);
        current = Math.max(current, timer.at);
        timer.callback();
        // Let promise chains started by the callback run before the next timer fires.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      current = target;
    },
    pending: () => timers.size,
  };
  return clock;
}
