import type { ChannelState, QueuedWrite } from './channel-state.js';
import type { ChannelRegistry } from './channel-registry.js';
import { PRIORITIES, type PacedWrite, type WritePriority } from './paced-write.js';

/**
 * What is queued: each write in its channel's queue for its priority, found by key for coalescing, and
 * the counts the loop needs. It decides nothing about order or limits.
 */
export interface WriteBook {
  /** Writes queued across channels. */
  readonly queuedCount: number;
  /** Queued writes of a priority across channels: a pass with none to serve is skipped. */
  queuedOf(priority: WritePriority): number;
  /**
   * Queues a write and makes its channel ready. A queued one with the same key is handed to
   * `dropReplaced`, and the new one keeps its place (and age); false when it simply took the old one's
   * place in the same queue.
   */
  enqueue(write: PacedWrite, now: number, dropReplaced: (write: PacedWrite) => void): boolean;
  /** Takes a write out of its queue to run it now. */
  take(state: ChannelState, queued: QueuedWrite, now: number): void;
  /** Empties every queue, handing each write to `dropQueued`; returns how many were dropped. */
  clear(dropQueued: (write: PacedWrite) => void): number;
}

export function createWriteBook(channels: ChannelRegistry): WriteBook {
  /** Where each queued key is, for coalescing. */
  const queuedKeys = new Map<string, ChannelState>();
  const queuedByPriority: Record<WritePriority, number> = { final: 0, ending: 0, progress: 0 };
  let queuedCount = 0;

  /** Takes the write queued under `key` out of the counts (its queue entry is the caller's to remove). */
  function uncount(key: string, priority: WritePriority): void {
    queuedKeys.delete(key);
    queuedCount -= 1;
    queuedByPriority[priority] -= 1;
  }

  return {
    get queuedCount() {
      return queuedCount;
    },
    queuedOf: (priority) => queuedByPriority[priority],
    enqueue(write, now, dropReplaced) {
      let queuedAt = now;
      const previousChannel = queuedKeys.get(write.key);
      if (previousChannel) {
        const priority = PRIORITIES.find((p) => previousChannel.queues[p].has(write.key))!;
        const queue = previousChannel.queues[priority];
        const previous = queue.get(write.key)!;
        dropReplaced(previous.write);
        if (previousChannel.id === write.channelId && priority === write.priority) {
          previous.write = write; // latest wins, in the place the key already had
          return false;
        }
        queue.delete(write.key);
        uncount(write.key, priority);
        queuedAt = previous.queuedAt;
      }
      const state = channels.channel(write.channelId);
      state.queues[write.priority].set(write.key, { write, queuedAt });
      queuedKeys.set(write.key, state);
      queuedCount += 1;
      queuedByPriority[write.priority] += 1;
      channels.makeReady(state);
      return true;
    },
    take(state, { write }, now) {
      state.queues[write.priority].delete(write.key);
      if (write.priority === 'progress') state.progressWrittenAt = now;
      uncount(write.key, write.priority);
    },
    clear(dropQueued) {
      let dropped = 0;
      for (const state of channels.all()) {
        for (const queue of Object.values(state.queues)) {
          for (const queued of queue.values()) dropQueued(queued.write);
          dropped += queue.size;
          queue.clear();
        }
      }
      queuedKeys.clear();
      channels.ready.clear();
      queuedCount = 0;
      for (const priority of PRIORITIES) queuedByPriority[priority] = 0;
      return dropped;
    },
  };
}
