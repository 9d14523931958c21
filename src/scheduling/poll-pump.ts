import type { Clock } from './clock.js';
import type { DueQueue, TrackedTask } from './due-queue.js';
import { spreadOverMinInterval, type PollTiming } from './poll-backoff.js';
import type { PollSlots } from './poll-slots.js';
import type { RateLimitPause } from './rate-limit-pause.js';
import { createWakeTimer } from './wake-timer.js';

/** The scheduler's loop: one timer, armed for the next due poll, that starts what the slots allow. */
export interface PollPump {
  readonly running: boolean;
  start(): void;
  /** Stops starting polls and disarms the timer; polls in flight run on. */
  stop(): void;
  /** Pumps from the one timer, at once: never inside the caller's stack, and visible to a manual clock. */
  soon(): void;
  /** Starts every due poll a free slot allows, then arms the one timer for whatever is next. */
  pump(): void;
}

export interface PollPumpDeps {
  clock: Clock;
  timing: PollTiming;
  random: () => number;
  queue: DueQueue;
  slots: PollSlots;
  pause: RateLimitPause;
  startPoll(task: TrackedTask): void;
}

export function createPollPump(deps: PollPumpDeps): PollPump {
  const { clock, queue, slots, pause } = deps;
  const wake = createWakeTimer(clock, pump);
  let running = false;

  function pump(): void {
    if (!running) return;
    const now = clock.now();
    if (now < pause.until) {
      wake.wakeAt(pause.until);
      return;
    }
    // A rate limit just lifted: the backlog it built up is spread rather than polled at once.
    if (pause.takeResume())
      queue.spreadOverdue(now, (at) => spreadOverMinInterval(deps.timing, at, deps.random));
    while (slots.hasFree()) {
      const task = queue.popDue(now);
      if (!task) break;
      deps.startPoll(task);
    }
    // A full house needs no timer: the next poll to settle (or release its slot) pumps again.
    if (slots.hasFree()) wake.wakeAt(queue.nextDueAt());
  }

  const soon = () => {
    if (running) wake.wakeAt(clock.now());
  };

  return {
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      soon();
    },
    stop() {
      running = false;
      wake.cancel();
    },
    soon,
    pump,
  };
}
