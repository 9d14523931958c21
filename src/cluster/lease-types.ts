/** The types the lease's state machine (shard-lease.ts) and its rounds (lease-rounds.ts) share. */

/** The few Redis operations a lease needs; `createLeaseRedis` (redis-lease.ts) implements them. */
export interface LeaseRedis {
  /**
   * Takes the lease if it is free (or already ours): 'acquired', or 'taken' when another value is
   * there. Atomic.
   */
  acquire(key: string, value: string, ttlMs: number): Promise<'acquired' | 'taken'>;
  /**
   * Extends the lease if it is still ours ('renewed'), takes it again if it is gone ('reacquired':
   * Redis lost it, or it expired during an outage), or leaves it alone ('taken'). Atomic.
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
