import type { Logger } from '../ops/logger.js';
import { messageOf, withTimeout } from '../store/backends/index.js';
import { createPlainRedisClient } from '../store/backends/redis-client.js';
import { countActiveForUserIn } from '../store/raw-redis-index.js';
import { DM_CLAIM_TTL_MS, dmClaimKey, layoutNamespaces, type ShardLedgers } from './shard-ledgers.js';
import { shardNamespace } from './shard-ref.js';

/**
 * The ledger of shards that share a Redis store, wherever they run. A DM claim is one key, set once
 * (`SET NX` semantics) to the claiming shard's namespace; the claimant finds it again after a retry or
 * a restart. A user's count adds up every shard's own active index, read straight from Redis.
 */

/**
 * Sets the claim to ARGV[1] if there is none, or if it is held by a shard of another SHARD_COUNT (not
 * among ARGV[3..], see layoutNamespaces); 1 when it is (now or already) ARGV[1]'s. Atomic.
 */
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return 1 end
if v ~= false then
  for i = 3, #ARGV do
    if v == ARGV[i] then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

export interface RedisLedgerOptions {
  url: string;
  /** STORE_NAMESPACE: the claims live in it, the shards' namespaces derive from it. */
  namespace: string;
  shardCount: number;
  logger: Logger;
  commandTimeoutMs?: number;
  claimTtlMs?: number;
}

/** Opens its own connection (the store's client is Keyv's): commands fail fast while Redis is down. */
export function createRedisLedgers(options: RedisLedgerOptions): ShardLedgers {
  const { namespace, shardCount } = options;
  const timeoutMs = options.commandTimeoutMs ?? 2_000;
  const ttlMs = options.claimTtlMs ?? DM_CLAIM_TTL_MS;
  const client = createPlainRedisClient(options.url, timeoutMs);
  // A failed command reaches its caller; without a listener node-redis would stop reconnecting.
  client.on('error', (error: unknown) => {
    options.logger.debug({ err: messageOf(error) }, 'ledger connection error');
  });
  client.connect().catch(() => undefined);

  async function run<T>(command: () => Promise<T>): Promise<T> {
    if (!client.isReady) throw new Error('Redis is not connected (cross-shard ledger)');
    return withTimeout(command(), timeoutMs, 'Redis did not answer in time (cross-shard ledger)');
  }
  const getMany = (keys: string[]) => run(() => client.mGet(keys));
  const namespaces = layoutNamespaces(namespace, shardCount);

  let closed = false;
  return {
    forShard(shard, store) {
      const own = shardNamespace(namespace, shard);
      const others = namespaces.filter((ns) => ns !== own);
      return {
        async claimDm(taskId, userId) {
          const key = `${namespace}:${dmClaimKey(taskId, userId)}`;
          const answer = await run(() =>
            client.eval(CLAIM, { keys: [key], arguments: [own, String(ttlMs), ...namespaces] }),
          );
          return answer === 1 ? 'ours' : 'elsewhere';
        },
        async countActiveForUser(userId) {
          // Its own shard through its store (which prunes leftovers), the others as Redis has them now.
          const [mine, theirs] = await Promise.all([
            store.countActiveForUser(userId),
            countActiveForUserIn(getMany, others, userId),
          ]);
          return mine + theirs;
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (client.isReady) await run(() => client.quit()).catch(() => undefined);
      if (client.isOpen) await client.disconnect().catch(() => undefined);
    },
  };
}
