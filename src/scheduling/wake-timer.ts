import type { Clock } from './clock.js';

/**
 * The one timer a scheduler keeps: armed for the earliest moment anything becomes due. Asking for a later
 * wake-up while an earlier one is armed changes nothing; the early wake-up simply re-arms for what is next.
 */
export interface WakeTimer {
  wakeAt(time: number): void;
  cancel(): void;
}

export function createWakeTimer(clock: Clock, onWake: () => void): WakeTimer {
  let armedFor = Infinity;
  let cancelTimer: (() => void) | undefined;

  return {
    wakeAt(time) {
      if (!Number.isFinite(time) || time >= armedFor) return;
      cancelTimer?.();
      armedFor = time;
      cancelTimer = clock.setTimeout(
        () => {
          armedFor = Infinity;
          cancelTimer = undefined;
          onWake();
        },
        Math.max(0, time - clock.now()),
      );
    },
    cancel() {
      cancelTimer?.();
      cancelTimer = undefined;
      armedFor = Infinity;
    },
  };
}
