import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { describeHolder } from './holder-id.js';
import { createShardLease, leaseKey, leaseTimings, type LeaseRedis, type ShardLease } from './shard-lease.js';

/** The leases a SHARD_COUNT change takes in Redis (docs/scaling.md#changing-shard_count). */

export interface LeaseDeps {
  redis: LeaseRedis;
  ttlMs: number;
  clock: Clock;
  logger: Logger;
}

/** Leases held together: `check` throws once any of them was lost. */
export interface HeldLeases {
  check(): void;
  release(): Promise<void>;
}

export const reshardLeaseKey = (namespace: string) => `${namespace}:lease:reshard`;

/** Starts taking `keys`; `acquired` resolves when every one is held at the same time. */
export function takeLeases(
  deps: LeaseDeps,
  keys: readonly string[],
): HeldLeases & { acquired: Promise<void> } {
  const lost = new Set<string>();
  const held = new Set<string>();
  let allHeld: () => void = () => undefined;
  const acquired = new Promise<void>((resolve) => (allHeld = resolve));
  const leases: ShardLease[] = keys.map((key) =>
    createShardLease({
      redis: deps.redis,
      key,
      ttlMs: deps.ttlMs,
      clock: deps.clock,
      logger: deps.logger,
      onAcquired: () => {
        held.add(key);
        if (held.size === keys.length) allHeld();
      },
      onLost: () => {
        held.delete(key);
        lost.add(key);
      },
    }),
  );
  for (const lease of leases) lease.start();
  return {
    acquired,
    check() {
      if (lost.size > 0)
        throw new Error(`Lost the lease ${[...lost].join(', ')} while moving the tracked tasks`);
    },
    async release() {
      await Promise.all(leases.map((lease) => lease.stop()));
    },
  };
}

/**
 * Every shard lease of `shardCount`, so that no process runs one of its shards while its tasks move.
 * All or none: it waits until every one is free at once (saying who holds them), so a process started
 * with a stale SHARD_COUNT never takes single leases from the shards that run.
 */
export async function holdShardLeases(
  deps: LeaseDeps,
  namespace: string,
  shardCount: number,
): Promise<HeldLeases> {
  const keys = Array.from({ length: shardCount }, (_, id) => leaseKey(namespace, id, shardCount));
  const { retryMs } = leaseTimings(deps.ttlMs);
  let logged = '';
  for (;;) {
    const values = await Promise.all(keys.map((key) => deps.redis.get(key).catch(() => 'unreachable')));
    const holders = values.flatMap((value, id) =>
      value === undefined ? [] : [`${id}: ${describeHolder(value)}`],
    );
    if (holders.length === 0) {
      const leases = takeLeases(deps, keys);
      const won = await Promise.race([
        leases.acquired.then(() => true),
        deps.clock.sleep(2 * retryMs + deps.ttlMs / 3).then(() => false),
      ]);
      if (won) return leases;
      await leases.release();
    } else if (holders.join() !== logged) {
      logged = holders.join();
      deps.logger.info(
        { shardCount, holders },
        'shards of the old SHARD_COUNT still run; waiting until every one has stopped to move their tasks',
      );
    }
    await deps.clock.sleep(retryMs);
  }
}
