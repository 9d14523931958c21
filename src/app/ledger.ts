import type { BotConfig } from '../config.js';
import { createInProcessLedgers } from '../cluster/in-process-ledger.js';
import { createRedisLedgers } from '../cluster/redis-ledger.js';
import { soleShardLedgers, type ShardLedgers } from '../cluster/shard-ledgers.js';
import type { Logger } from '../ops/logger.js';

/**
 * The cross-shard ledger a process gives its shards: none needed for one shard, Redis when the shards
 * share it (they may run in other processes), else the shards of this one process (SQLite, memory).
 */
export async function shardLedgersFor(
  config: Pick<BotConfig, 'shardCount' | 'storeUrl' | 'storeNamespace'>,
  logger: Logger,
): Promise<ShardLedgers> {
  if (config.shardCount === 1) return soleShardLedgers;
  const options = { url: config.storeUrl, namespace: config.storeNamespace, logger };
  if (config.storeUrl.startsWith('redis://') || config.storeUrl.startsWith('rediss://'))
    return createRedisLedgers({ ...options, shardCount: config.shardCount });
  return createInProcessLedgers(options);
}
