import type { HealthCheck, ShardHealth, ShardState } from './http-server.js';

/** What /healthz needs to know of a shard's gateway connection. */
export interface GatewayView {
  ready(): boolean;
  /** The status name, e.g. `Ready` or `Connecting`. */
  status(): string;
}

/** What must hold while a shard runs here: its gateway connected, its store answering. */
export function shardChecks(deps: { gateway: GatewayView; store: { ping(): Promise<void> } }): HealthCheck[] {
  const { gateway, store } = deps;
  return [
    {
      name: 'gateway',
      check: () => Promise.resolve(gateway.ready() ? undefined : `not connected (${gateway.status()})`),
    },
    {
      name: 'store',
      check: async () => {
        await store.ping();
        return undefined;
      },
    },
  ];
}

/** A shard started here runs once its gateway is ready; before start() it is stopped. */
export function runningShardState(started: boolean, gatewayReady: boolean): ShardState {
  if (!started) return 'stopped';
  return gatewayReady ? 'running' : 'starting';
}

export interface ShardHealthDeps {
  id: number;
  /** Whether the shard was started. */
  started: () => boolean;
  gateway: GatewayView;
  activeTasks: () => number;
  checks: readonly HealthCheck[];
}

/** A shard that runs here (no lease to wait for), as /healthz lists it. */
export function shardHealth(deps: ShardHealthDeps): ShardHealth {
  const { id, started, gateway, activeTasks, checks } = deps;
  return {
    id,
    state: () => runningShardState(started(), gateway.ready()),
    gateway: () => gateway.status(),
    activeTasks,
    leaseHolder: () => undefined,
    checks: () => checks,
  };
}
