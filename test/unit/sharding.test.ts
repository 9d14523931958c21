import { describe, expect, it } from 'vitest';
import { discordBudgetPerShard, shardNamespace } from '../../src/app.js';
import { leaseKey, leaseTimings } from '../../src/cluster/shard-lease.js';

describe('sharding arithmetic', () => {
  it('keeps the unsharded namespace for shard 0 of 1 and gives every other shard its own', () => {
    expect(shardNamespace('sora-tracker', { id: 0, count: 1 })).toBe('sora-tracker');
    expect(shardNamespace('sora-tracker', { id: 0, count: 2 })).toBe('sora-tracker:shard-0-of-2');
    expect(shardNamespace('bot', { id: 3, count: 4 })).toBe('bot:shard-3-of-4');
    expect(leaseKey('sora-tracker', 1, 2)).toBe('sora-tracker:lease:shard:1:2');
  });

  it("splits Discord's global budget so that all shards together stay at 45 requests/s", () => {
    for (const count of [1, 2, 3, 7, 45, 46, 64, 1000]) {
      const { limit, windowMs } = discordBudgetPerShard(count);
      expect(limit).toBeGreaterThanOrEqual(1);
      expect((count * limit * 1_000) / windowMs).toBeLessThanOrEqual(45);
    }
    expect(discordBudgetPerShard(1)).toEqual({ limit: 45, windowMs: 1_000 });
    expect(discordBudgetPerShard(2)).toEqual({ limit: 22, windowMs: 1_000 });
  });

  it('renews a lease at a third of its life and steps down before it ends', () => {
    expect(leaseTimings(30_000)).toEqual({ renewMs: 10_000, retryMs: 2_000, stepDownMs: 5_000 });
    expect(leaseTimings(3_000)).toEqual({ renewMs: 1_000, retryMs: 1_000, stepDownMs: 500 });
  });
});
