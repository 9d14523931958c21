import { soleDmClaims } from '../delivery/dm-claims.js';
import type { TrackingStore } from '../store/index.js';
import type { CrossShardLedger } from '../tracking/tracker.js';
import { shardNamespace, type ShardRef } from './shard-ref.js';

/**
 * The cross-shard ledger of each shard a process runs (docs/scaling.md#what-is-shared-and-what-is-not):
 * one DM per person and task whichever shards deliver it, and MAX_TASKS_PER_USER over every shard.
 * Three kinds: one shard alone (below), shards sharing Redis (redis-ledger.ts), and the shards of one
 * process without Redis (in-process-ledger.ts).
 */
export interface ShardLedgers {
  /** The ledger of one shard running here; its own tasks are counted through its store. */
  forShard(shard: ShardRef, store: TrackingStore): CrossShardLedger;
  close(): Promise<void>;
}

/** How long a DM claim is kept: far beyond any task's delivery, even one tracked again days later. */
export const DM_CLAIM_TTL_MS = 30 * 24 * 60 * 60_000;

/** The claim's key in the bot's base namespace (ids URI-encoded, as store keys are). */
export const dmClaimKey = (taskId: string, userId: string): string =>
  `dm-claim:${encodeURIComponent(taskId)}:${encodeURIComponent(userId)}`;

/**
 * The namespaces of every shard of the current SHARD_COUNT. A claim held by any other namespace was made
 * by a shard of an earlier count, whose tasks a reshard moved here with their delivery state: it is no
 * one's any more, and the shard that has the task now takes it over.
 */
export function layoutNamespaces(namespace: string, shardCount: number): string[] {
  return Array.from({ length: shardCount }, (_, id) => shardNamespace(namespace, { id, count: shardCount }));
}

/** SHARD_COUNT=1: every DM is this shard's and its store counts everything; no extra round trip. */
export const soleShardLedgers: ShardLedgers = {
  forShard: (_shard, store) => ({
    ...soleDmClaims,
    countActiveForUser: (userId) => store.countActiveForUser(userId),
  }),
  close: () => Promise.resolve(),
};
