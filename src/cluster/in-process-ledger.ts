import type { Logger } from '../ops/logger.js';
import { openBackend, type KeyValueBackend } from '../store/backends/index.js';
import { createKeyedMutex, type TrackingStore } from '../store/index.js';
import { DM_CLAIM_TTL_MS, dmClaimKey, layoutNamespaces, type ShardLedgers } from './shard-ledgers.js';
import { shardNamespace } from './shard-ref.js';

/**
 * The ledger of several shards in one process without Redis (SQLite or memory: one process per store,
 * docs/scaling.md#leases). Every shard runs here, so a user's count adds up the shards' own stores, as
 * exact as each. A DM claim is a record in the bot's base namespace of the same store, so a restart
 * remembers who claimed what; one process writes it, so a lock per claim makes it atomic.
 */

interface StoredClaim {
  v: 1;
  /** The claiming shard's namespace. */
  owner: string;
  expiresAt: number;
}

export interface InProcessLedgerOptions {
  url: string;
  /** STORE_NAMESPACE: the claims live in it. */
  namespace: string;
  logger: Logger;
  now?: () => number;
  claimTtlMs?: number;
}

export async function createInProcessLedgers(options: InProcessLedgerOptions): Promise<ShardLedgers> {
  const now = options.now ?? Date.now;
  const ttlMs = options.claimTtlMs ?? DM_CLAIM_TTL_MS;
  const backend: KeyValueBackend = await openBackend({
    url: options.url,
    namespace: options.namespace,
    logger: options.logger,
    connectTimeoutMs: 5_000,
  });
  const lock = createKeyedMutex();
  const stores = new Map<number, TrackingStore>();
  let closing: Promise<void> | undefined;

  async function claim(key: string, owner: string, layout: readonly string[]): Promise<'ours' | 'elsewhere'> {
    return lock.run(key, async () => {
      const held = readClaim(await backend.get(key), now());
      if (held === owner) return 'ours';
      // A claim of a shard of another SHARD_COUNT is written over (see layoutNamespaces).
      if (held !== undefined && layout.includes(held)) return 'elsewhere';
      const record: StoredClaim = { v: 1, owner, expiresAt: now() + ttlMs };
      await backend.set(key, record);
      return 'ours';
    });
  }

  return {
    forShard(shard, store) {
      // A shard built again (after a failed start) replaces its earlier store.
      stores.set(shard.id, store);
      const own = shardNamespace(options.namespace, shard);
      const layout = layoutNamespaces(options.namespace, shard.count);
      return {
        claimDm: (taskId, userId) => claim(dmClaimKey(taskId, userId), own, layout),
        async countActiveForUser(userId) {
          const counts = await Promise.all([...stores.values()].map((s) => s.countActiveForUser(userId)));
          return counts.reduce((sum, count) => sum + count, 0);
        },
      };
    },
    close: () => (closing ??= backend.close()),
  };
}

/** The owner of a live claim; an expired or unreadable one is no claim (it is written over). */
function readClaim(value: unknown, now: number): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { owner, expiresAt } = value as Partial<StoredClaim>;
  if (typeof owner !== 'string' || typeof expiresAt !== 'number' || expiresAt <= now) return undefined;
  return owner;
}
