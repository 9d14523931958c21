/**
 * Who sends a user's DM about a task that several shards deliver, each to its own channels
 * (docs/scaling.md#what-is-shared-and-what-is-not): the first shard to claim it, once.
 */
export interface DmClaims {
  /**
   * Claims the DM for this shard before it is sent: 'ours' when this shard claimed it now or before (a
   * retry or a restart keeps its claim), 'elsewhere' when another shard did. Rejects when it cannot
   * tell (Redis down): the DM then waits for delivery's next try and is never sent unclaimed.
   */
  claimDm(taskId: string, userId: string): Promise<'ours' | 'elsewhere'>;
}

/** One shard alone: every DM is its own. */
export const soleDmClaims: DmClaims = { claimDm: () => Promise.resolve('ours') };
