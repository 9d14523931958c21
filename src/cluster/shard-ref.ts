/** One shard of the bot: its id and the total number of shards. */
export interface ShardRef {
  id: number;
  count: number;
}

/** Store namespace of a shard: shard 0 of 1 keeps the unsharded namespace, so existing stores resume. */
export function shardNamespace(namespace: string, shard: ShardRef): string {
  return shard.count === 1 ? namespace : `${namespace}:shard-${shard.id}-of-${shard.count}`;
}

/**
 * The share of Discord's global limit (50 requests/s per bot token, all processes together) one shard
 * may use: 45/s in all, split evenly between the shards.
 */
export function discordBudgetPerShard(shardCount: number): { limit: number; windowMs: number } {
  const total = 45;
  if (total >= shardCount) return { limit: Math.floor(total / shardCount), windowMs: 1_000 };
  return { limit: 1, windowMs: Math.ceil((1_000 * shardCount) / total) };
}
