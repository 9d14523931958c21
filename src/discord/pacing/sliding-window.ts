/** Writes allowed per window of time: Discord's per-channel, old-message and global limits. */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

/**
 * A sliding-window counter. A write holds a slot from the moment it starts until a window after it
 * finished: Discord counts its arrival, which lies somewhere in between, so however late requests
 * arrive no window of Discord's can hold more than `limit` of them.
 */
export interface SlidingWindow {
  readonly limit: number;
  readonly windowMs: number;
  /** Writes started and not finished. */
  active: number;
  /** Ascending times at which counted writes finished. */
  readonly times: number[];
}

export function createWindow({ limit, windowMs }: RateWindow): SlidingWindow {
  if (!(limit >= 1) || !(windowMs > 0))
    throw new RangeError('edit pacer: a rate window needs limit >= 1 and windowMs > 0');
  return { limit, windowMs, active: 0, times: [] };
}

/** The earliest time a new write fits; Infinity while every slot is held by a running write. */
export function freeAt(window: SlidingWindow, now: number): number {
  const { times, windowMs, limit } = window;
  while (times.length > 0 && times[0]! <= now - windowMs) times.shift();
  const used = window.active + times.length;
  if (used < limit) return now;
  if (window.active >= limit) return Infinity;
  return times[used - limit]! + windowMs;
}

/** When the window holds nothing that could still block a write. */
export function quietAt(window: SlidingWindow): number {
  if (window.active > 0) return Infinity;
  const last = window.times[window.times.length - 1];
  return last === undefined ? -Infinity : last + window.windowMs;
}

/** Most of the window is in use, counting one more write: at least 80 % of the limit. */
export function nearlyFull(window: SlidingWindow, now: number): boolean {
  freeAt(window, now);
  return window.active + window.times.length + 1 >= window.limit * 0.8;
}

/** A write started: it holds a slot while it runs. */
export function countStart(window: SlidingWindow): void {
  window.active += 1;
}

/** A write finished at `at`: its slot is held a window longer. */
export function countFinish(window: SlidingWindow, at: number): void {
  window.active -= 1;
  window.times.push(at);
}
