import { createApp, type App, type AppOptions } from '../app.js';
import type { BotConfig } from '../config.js';
import {
  startOpsServer,
  type HealthCheck,
  type OpsServer,
  type ShardHealth,
  type ShardState,
} from '../ops/http-server.js';
import type { Logger } from '../ops/logger.js';
import { createMetrics, type Metrics } from '../ops/metrics.js';
import { createSystemClock, type Clock } from '../scheduling/clock.js';
import {
  createLeaseRedis,
  createShardLease,
  leaseKey,
  type LeaseRedis,
  type ShardLease,
} from './shard-lease.js';
import { createVideoApiClient, type VideoApiClient } from '../video-api/client.js';

/**
 * One bot process: the shards it was given (`SHARD_IDS`, default all of `SHARD_COUNT`), each a full
 * app of its own (discord.js client with one gateway connection, tracker, scheduler, delivery, store
 * namespace), sharing the video API client, the metrics registry and one ops HTTP server.
 *
 * With a Redis store each shard first takes its lease: a shard someone else runs stays in standby here
 * (nothing connected, nothing polled) until the lease is free, and a shard whose lease is lost is
 * stopped at once and waits again. Without Redis (SQLite, memory) every shard starts at once.
 */
export interface ShardedBot {
  readonly opsPort: number | undefined;
  /** The app of a shard while it runs here. */
  app(shardId: number): App | undefined;
  state(shardId: number): ShardState;
  /** Stops every shard (in-flight work finishes within `graceMs`), then releases the leases. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export interface StartShardsOptions {
  config: BotConfig;
  logger: Logger;
  clock?: Clock;
  /** Called when a shard cannot start (bad token, …): the process should exit. */
  onFatal(error: unknown): void;
  /** Builds a shard's app; tests may wrap it. */
  createShardApp?: (options: AppOptions) => Promise<App>;
}

export function usesLeases(storeUrl: string): boolean {
  return storeUrl.startsWith('redis://') || storeUrl.startsWith('rediss://');
}

interface ShardRunner extends ShardHealth {
  start(): void;
  stop(graceMs: number): Promise<void>;
  readonly app: App | undefined;
}

export async function startShards(options: StartShardsOptions): Promise<ShardedBot> {
  const { config, logger } = options;
  const clock = options.clock ?? createSystemClock();
  const build = options.createShardApp ?? createApp;
  const metrics: Metrics = createMetrics();
  const videoApi: VideoApiClient = createVideoApiClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    logger: logger.child({ component: 'video-api' }),
    maxInFlight: config.maxInFlight,
    timeoutMs: config.timeoutMs,
    clock,
  });
  const leaseRedis: LeaseRedis | undefined = usesLeases(config.storeUrl)
    ? createLeaseRedis({ url: config.storeUrl, logger: logger.child({ component: 'lease' }) })
    : undefined;

  logger.info(
    {
      shards: config.shardIds,
      shardCount: config.shardCount,
      leases: leaseRedis !== undefined,
    },
    'starting shards',
  );

  const runners = config.shardIds.map((id) =>
    createShardRunner({
      id,
      config,
      logger: logger.child({ shard: id }),
      rootLogger: logger,
      clock,
      metrics,
      videoApi,
      leaseRedis,
      build,
      onFatal: (error) => options.onFatal(error),
    }),
  );

  let ops: OpsServer | undefined;
  if (config.httpPort !== 0) {
    ops = await startOpsServer({
      port: config.httpPort,
      registry: metrics.registry,
      logger,
      shards: () => runners,
    });
  }
  for (const runner of runners) runner.start();

  const byId = (shardId: number) => runners.find((runner) => runner.id === shardId);
  return {
    get opsPort() {
      return ops?.port;
    },
    app: (shardId) => byId(shardId)?.app,
    state: (shardId) => byId(shardId)?.state() ?? 'stopped',
    async stop({ graceMs = 10_000 } = {}) {
      await Promise.all(runners.map((runner) => runner.stop(graceMs)));
      await ops?.close();
      await videoApi.close();
      await leaseRedis?.close();
      logger.info('stopped');
    },
  };
}

function createShardRunner(deps: {
  id: number;
  config: BotConfig;
  logger: Logger;
  rootLogger: Logger;
  clock: Clock;
  metrics: Metrics;
  videoApi: VideoApiClient;
  leaseRedis: LeaseRedis | undefined;
  build: (options: AppOptions) => Promise<App>;
  onFatal: (error: unknown) => void;
}): ShardRunner {
  const { id, config, logger, clock, metrics } = deps;
  let state: ShardState = deps.leaseRedis ? 'standby' : 'starting';
  let app: App | undefined;
  let stopping = false;
  // Starting and stopping the app happen one after the other, never overlapping.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work, work);
    return chain;
  };
  metrics.setShardRunning(id, false);

  async function runApp(): Promise<void> {
    if (stopping || app) return;
    state = 'starting';
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

  const lease: ShardLease | undefined = deps.leaseRedis
    ? createShardLease({
        redis: deps.leaseRedis,
        key: leaseKey(config.storeNamespace, id, config.shardCount),
        ttlMs: config.shardLeaseMs,
        clock,
        logger,
        onAcquired: () => void enqueue(runApp),
        onLost: (reason) => {
          // Someone else may run the shard now (or soon): stop polling and delivering at once.
          state = 'standby';
          void enqueue(() => stopApp(1_000, reason === 'taken' ? 'lease taken' : 'lease not renewed'));
        },
      })
    : undefined;

  const startingCheck: HealthCheck = {
    name: 'gateway',
    check: () => Promise.resolve('not connected (starting)'),
  };
  const leaseCheck: HealthCheck = {
    name: 'store',
    check: () =>
      Promise.resolve(
        lease?.reachable === false ? 'Redis unreachable; waiting for the shard lease' : undefined,
      ),
  };

  return {
    id,
    get app() {
      return app;
    },
    state() {
      if (stopping) return 'stopped';
      if (!app) return state === 'starting' ? 'starting' : 'standby';
      const gateway = app.gatewayStatus();
      return gateway === 'Ready' ? 'running' : 'starting';
    },
    gateway: () => app?.gatewayStatus() ?? 'none',
    activeTasks: () => app?.activeTasks() ?? 0,
    leaseHolder: () => (app ? undefined : lease?.holder),
    checks: () => {
      if (app) return app.checks;
      if (stopping) return [];
      if (state === 'starting') return [startingCheck];
      // Waiting for its lease: healthy (alive, ready to take over) as long as it can reach Redis.
      return lease ? [leaseCheck] : [];
    },
    start() {
      if (lease) lease.start();
      else void enqueue(runApp);
    },
    async stop(graceMs) {
      stopping = true;
      // The lease is kept while the shard finishes its work, and released only then.
      await enqueue(() => stopApp(graceMs, 'shutdown'));
      await lease?.stop();
    },
  };
}
