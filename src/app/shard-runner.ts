import type { App, AppOptions } from '../app.js';
import type { BotConfig } from '../config.js';
import type { HealthCheck, ShardHealth, ShardState } from '../ops/http-server.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Clock } from '../scheduling/clock.js';
import type { VideoApiClient } from '../video-api/client.js';
import {
  createShardLease,
  leaseKey,
  type LeaseFence,
  type LeaseRedis,
  type ShardLease,
} from '../cluster/shard-lease.js';
import type { ShardLedgers } from '../cluster/shard-ledgers.js';

/** One shard of this process: its app while it runs here, its lease, and what /healthz says of it. */
export interface ShardRunner extends ShardHealth {
  start(): void;
  stop(graceMs: number): Promise<void>;
  readonly app: App | undefined;
}

export interface ShardRunnerDeps {
  id: number;
  config: BotConfig;
  logger: Logger;
  rootLogger: Logger;
  clock: Clock;
  metrics: Metrics;
  videoApi: VideoApiClient;
  /** Without it (SQLite, memory) the shard starts at once, with no lease. */
  leaseRedis: LeaseRedis | undefined;
  /** The process's cross-shard ledger, handed to the shard's app. */
  ledgers: ShardLedgers;
  build: (options: AppOptions) => Promise<App>;
  onFatal: (error: unknown) => void;
}

export function createShardRunner(deps: ShardRunnerDeps): ShardRunner {
  const { id, config, clock } = deps;
  const life = createShardLifecycle(deps, deps.leaseRedis ? 'standby' : 'starting');
  const lease: ShardLease | undefined = deps.leaseRedis
    ? createShardLease({
        redis: deps.leaseRedis,
        key: leaseKey(config.storeNamespace, id, config.shardCount),
        ttlMs: config.shardLeaseMs,
        clock,
        logger: deps.logger,
        // The app is built for this term only: its writes are refused once the term is over.
        onAcquired: (fence) => life.run(fence),
        // Someone else may run the shard now (or soon): stop polling and delivering at once.
        onLost: (reason) => life.standBy(reason === 'taken' ? 'lease taken' : 'lease not renewed'),
      })
    : undefined;

  return {
    id,
    get app() {
      return life.app;
    },
    state: () => shardState(life),
    gateway: () => life.app?.gatewayStatus() ?? 'none',
    activeTasks: () => life.app?.activeTasks() ?? 0,
    leaseHolder: () => (life.app ? undefined : lease?.holder),
    checks: () => shardChecks(life, lease),
    start() {
      if (lease) lease.start();
      else life.run();
    },
    async stop(graceMs) {
      // The lease is kept while the shard finishes its work, and released only then.
      await life.shutDown(graceMs);
      await lease?.stop();
    },
  };
}

/** Where a shard's app is: not here (standby), being built and started, or shutting down for good. */
interface ShardLifecycle {
  readonly app: App | undefined;
  readonly phase: 'standby' | 'starting';
  readonly stopping: boolean;
  /** Builds and starts the app (unless it runs already, or the shard is shutting down). */
  run(fence?: LeaseFence): void;
  /** Stops the app quickly and waits for the lease again. */
  standBy(why: string): void;
  /** Stops the app within `graceMs`, for good. */
  shutDown(graceMs: number): Promise<void>;
}

/** The shard's app, started and stopped one after the other, never overlapping. */
function createShardLifecycle(deps: ShardRunnerDeps, initial: ShardLifecycle['phase']): ShardLifecycle {
  const { id, config, logger, clock, metrics } = deps;
  let phase = initial;
  let app: App | undefined;
  let stopping = false;
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work, work);
    return chain;
  };
  metrics.setShardRunning(id, false);

  async function runApp(fence: LeaseFence | undefined): Promise<void> {
    if (stopping || app) return;
    phase = 'starting';
    let starting: App | undefined;
    try {
      // createApp adds the `shard` field to every log line itself.
      starting = await deps.build({
        config,
        logger: deps.rootLogger,
        clock,
        shard: { id, count: config.shardCount },
        videoApi: deps.videoApi,
        metrics,
        serveOps: false,
        ledgers: deps.ledgers,
        fence,
      });
      app = starting;
      await starting.start();
      metrics.setShardRunning(id, true);
      logger.info('shard started');
    } catch (error) {
      logger.fatal({ err: error }, 'shard could not start');
      deps.onFatal(error);
    }
  }

  async function stopApp(graceMs: number, why: string): Promise<void> {
    const running = app;
    app = undefined;
    metrics.setShardRunning(id, false);
    if (!running) return;
    logger.info({ why }, 'stopping shard');
    try {
      await running.stop({ graceMs });
    } catch (error) {
      logger.error({ err: error }, 'shard did not stop cleanly');
    }
  }

  return {
    get app() {
      return app;
    },
    get phase() {
      return phase;
    },
    get stopping() {
      return stopping;
    },
    run: (fence) => void enqueue(() => runApp(fence)),
    standBy(why) {
      phase = 'standby';
      void enqueue(() => stopApp(1_000, why));
    },
    async shutDown(graceMs) {
      stopping = true;
      await enqueue(() => stopApp(graceMs, 'shutdown'));
    },
  };
}

function shardState(life: ShardLifecycle): ShardState {
  if (life.stopping) return 'stopped';
  if (!life.app) return life.phase === 'starting' ? 'starting' : 'standby';
  return life.app.gatewayStatus() === 'Ready' ? 'running' : 'starting';
}

const startingCheck: HealthCheck = {
  name: 'gateway',
  check: () => Promise.resolve('not connected (starting)'),
};

function shardChecks(life: ShardLifecycle, lease: ShardLease | undefined): readonly HealthCheck[] {
  if (life.app) return life.app.checks;
  if (life.stopping) return [];
  if (life.phase === 'starting') return [startingCheck];
  // Waiting for its lease: healthy (alive, ready to take over) as long as it can reach Redis.
  if (!lease) return [];
  return [
    {
      name: 'store',
      check: () =>
        Promise.resolve(lease.reachable ? undefined : 'Redis unreachable; waiting for the shard lease'),
    },
  ];
}
