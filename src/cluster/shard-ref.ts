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

/**
 * The shard of a guild, as Discord routes it (`(guild_id >> 22) % count`, docs/scaling.md#shards);
 * direct messages (no guild) go to shard 0.
 */
export function shardOfGuild(guildId: string | undefined, shardCount: number): number {
  if (guildId === undefined || !/^\d+$/.test(guildId)) return 0;
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** The store namespaces of every shard of `shardCount`, by shard id. */
export function shardNamespaces(namespace: string, shardCount: number): string[] {
  return Array.from({ length: shardCount }, (_, id) => shardNamespace(namespace, { id, count: shardCount }));
}
