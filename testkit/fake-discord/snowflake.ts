/**
 * Discord ids: 64-bit snowflakes, milliseconds since the Discord epoch shifted left by 22 bits, plus a
 * counter. Ids made from 2015+ timestamps have 17–19 digits, which matters: @discordjs/rest only treats
 * 17–19 digit ids as a route's "major parameter", so shorter fake ids would merge rate-limit buckets.
 */
export const DISCORD_EPOCH_MS = 1_420_070_400_000;

export interface SnowflakeFactory {
  /** A new unique id stamped with `atMs` (default: the clock's now). */
  next(atMs?: number): string;
}

export function createSnowflakeFactory(now: () => number): SnowflakeFactory {
  // The low 22 bits (worker, process, increment on Discord) hold one running counter, so ids made in
  // the same millisecond stay unique and ordered: 4 million of them before it wraps.
  let counter = 0n;
  return {
    next(atMs = now()) {
      const stamp = BigInt(Math.max(0, Math.floor(atMs) - DISCORD_EPOCH_MS)) << 22n;
      counter = (counter + 1n) & 0x3f_ffffn;
      return (stamp | counter).toString();
    },
  };
}

/** The creation time encoded in an id. */
export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS;
}

/** Which shard receives a guild's events (events/gateway.mdx, "Sharding"). */
export function shardForGuild(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}
