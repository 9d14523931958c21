/** One message write (a create or an edit) waiting for its turn in a channel. */
export interface PacedWrite {
  channelId: string;
  /** Identity for coalescing, e.g. `channelId:messageId`: a newer write with the same key replaces this one. */
  key: string;
  /**
   * The order when the budget is short: `final` writes (results, DMs) first, then `ending` ones (the
   * last state of a progress message), then `progress` ticks; first come first served within each.
   */
  priority: WritePriority;
  /** When the target message was created, for Discord's stricter limit on messages older than an hour. */
  targetCreatedAt?: number;
  /** Performs the write. A throw is logged and not retried here: the caller decides. */
  run(): Promise<void>;
  /** Called when the pacer discards this write unrun: a newer one replaced it, or the pacer stopped. */
  dropped?(reason: 'replaced' | 'stopped'): void;
}

export type WritePriority = 'final' | 'ending' | 'progress';

export const PRIORITIES: readonly WritePriority[] = ['final', 'ending', 'progress'];

/** A write counts against the old-message limit: its message is at least `ageMs` old. */
export function isOld(write: PacedWrite, now: number, ageMs: number): boolean {
  return write.targetCreatedAt !== undefined && now - write.targetCreatedAt >= ageMs;
}

/**
 * Runs `write` when the pacer gives it its turn in `channelId`, ahead of progress ticks (`final`, or
 * `ending` for a message people wait on less); rejects when the pacer drops it at shutdown.
 */
export function pacedWrite<T>(
  pacer: { submit(write: PacedWrite): void },
  channelId: string,
  key: string,
  write: () => Promise<T>,
  priority: WritePriority = 'ending',
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    pacer.submit({
      channelId,
      key,
      priority,
      dropped: () => reject(new Error('shutting down')),
      run: () => write().then(resolve, reject),
    });
  });
}
