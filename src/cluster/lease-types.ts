/** The types the lease's state machine (shard-lease.ts) and its rounds (lease-rounds.ts) share. */

/** The few Redis operations a lease needs; `createLeaseRedis` (redis-lease.ts) implements them. */
export interface LeaseRedis {
  /**
   * Sets `value` if the lease is free or holds one of our own terms (a value starting with `mine`):
   * 'acquired', or 'taken' when someone else's value is there. Atomic.
   */
  acquire(key: string, value: string, ttlMs: number, mine: string): Promise<'acquired' | 'taken'>;
  /**
   * Extends the lease if it still holds exactly `value` ('renewed'), sets `value` again if it is gone
   * ('reacquired': Redis lost it, or it expired during an outage; the term and its fence stay the same),
   * or leaves it alone ('taken'). Atomic.
   */
  renew(key: string, value: string, ttlMs: number): Promise<'renewed' | 'reacquired' | 'taken'>;
  /** Deletes the lease if it is still ours. Atomic. */
  release(key: string, value: string): Promise<boolean>;
  /** The current value, to say who holds it. */
  get(key: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export type LeaseState = 'waiting' | 'held' | 'stopped';
export type LeaseLoss = 'taken' | 'expired';

/** The lease term a shard's app is built for: its store refuses writes once the key holds another value. */
export interface LeaseFence {
  key: string;
  value: string;
}
