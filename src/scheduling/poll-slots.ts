/** The cap on polls running at once against the video API. */
export interface PollSlots {
  /** Slots taken and not given back. */
  readonly used: number;
  hasFree(): boolean;
  /** Takes a slot (check `hasFree` first: the cap is the caller's to keep). */
  take(): PollSlot;
}

export interface PollSlot {
  /** Gives the slot back; true only the first time. */
  release(): boolean;
}

export function createPollSlots(maxInFlight: number): PollSlots {
  if (!(maxInFlight >= 1)) throw new RangeError('poll scheduler: maxInFlight must be at least 1');
  let used = 0;
  return {
    get used() {
      return used;
    },
    hasFree: () => used < maxInFlight,
    take() {
      used += 1;
      let held = true;
      return {
        release() {
          if (!held) return false;
          held = false;
          used -= 1;
          return true;
        },
      };
    },
  };
}
