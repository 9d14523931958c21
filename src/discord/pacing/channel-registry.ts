import { createKeyedMinHeap } from '../../scheduling/heap.js';
import { newChannelState, queuedIn, type ChannelState } from './channel-state.js';
import { quietAt, type RateWindow } from './sliding-window.js';

/**
 * Where each channel stands: ready (it has work that may be writable now), waiting (for a window, a
 * penalty, or with nothing queued for its history to expire), writing, or forgotten once idle and its
 * history expired.
 */
export interface ChannelRegistry {
  /** Channels with work that may be writable now, in round-robin order. */
  readonly ready: Set<ChannelState>;
  /** Every channel known, queued work or not. */
  all(): IterableIterator<ChannelState>;
  /** The channel's state, created on first use. */
  channel(channelId: string): ChannelState;
  /** Marks the channel ready, unless a write of it runs (it is made ready when that one finishes). */
  makeReady(state: ChannelState): void;
  /** Moves the channels whose wait is over to `ready`. */
  wakeDue(now: number): void;
  /** When the next waiting channel's wait is over; Infinity when none waits. */
  nextWakeAt(): number;
  /** Puts a channel aside until it can write again, or forgets it once idle and its history expired. */
  park(state: ChannelState, retryAt: number, now: number): void;
  /** Holds the channel back until `until` (after a 429); false when it was already held as long. */
  block(channelId: string, until: number): boolean;
}

export function createChannelRegistry(perChannel: RateWindow, oldMessage: RateWindow): ChannelRegistry {
  const channels = new Map<string, ChannelState>();
  const ready = new Set<ChannelState>();
  const waiting = createKeyedMinHeap<string>();

  function channel(channelId: string): ChannelState {
    let state = channels.get(channelId);
    if (!state) {
      state = newChannelState(channelId, perChannel, oldMessage);
      channels.set(channelId, state);
    }
    return state;
  }

  function makeReady(state: ChannelState): void {
    if (state.writing) return;
    waiting.delete(state.id);
    ready.add(state);
  }

  return {
    ready,
    all: () => channels.values(),
    channel,
    makeReady,
    wakeDue(now) {
      while (waiting.peekPriority() <= now) {
        const state = channels.get(waiting.pop()!);
        if (state) makeReady(state);
      }
    },
    nextWakeAt: () => waiting.peekPriority(),
    park(state, retryAt, now) {
      if (queuedIn(state) > 0) {
        if (Number.isFinite(retryAt)) waiting.set(state.id, retryAt);
        return;
      }
      const forgetAt = Math.max(state.blockedUntil, quietAt(state.recent), quietAt(state.recentOld));
      if (forgetAt <= now) channels.delete(state.id);
      else if (Number.isFinite(forgetAt)) waiting.set(state.id, forgetAt);
    },
    block(channelId, until) {
      const state = channel(channelId);
      if (until <= state.blockedUntil) return false;
      state.blockedUntil = until;
      if (waiting.has(channelId)) waiting.set(channelId, Math.max(until, waiting.priorityOf(channelId)!));
      else if (!state.writing && !ready.has(state)) waiting.set(channelId, until);
      return true;
    },
  };
}
