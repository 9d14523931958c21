import { describe, expect, it } from 'vitest';
import { runningShardState, shardChecks, shardHealth } from '../../../src/ops/health.js';

describe("a running shard's health", () => {
  it('is stopped before start, starting until the gateway is ready, then running', () => {
    expect(runningShardState(false, false)).toBe('stopped');
    expect(runningShardState(false, true)).toBe('stopped');
    expect(runningShardState(true, false)).toBe('starting');
    expect(runningShardState(true, true)).toBe('running');
  });

  it('checks the gateway by its status and the store by a ping', async () => {
    const pinged: string[] = [];
    const [gateway, store] = shardChecks({
      gateway: { ready: () => false, status: () => 'Reconnecting' },
      store: { ping: () => Promise.resolve(void pinged.push('ping')) },
    });
    expect(gateway?.name).toBe('gateway');
    expect(await gateway?.check()).toBe('not connected (Reconnecting)');
    expect(store?.name).toBe('store');
    expect(await store?.check()).toBeUndefined();
    expect(pinged).toEqual(['ping']);
  });

  it('never names a lease holder: it runs here', () => {
    let started = false;
    const health = shardHealth({
      id: 4,
      started: () => started,
      gateway: { ready: () => true, status: () => 'Ready' },
      activeTasks: () => 12,
      checks: [],
    });
    expect(health.state()).toBe('stopped');
    started = true;
    expect([health.id, health.state(), health.gateway(), health.activeTasks(), health.leaseHolder()]).toEqual(
      [4, 'running', 'Ready', 12, undefined],
    );
  });
});
