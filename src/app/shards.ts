import { createApp, type App, type AppOptions } from '../app.js';
import type { BotConfig } from '../config.js';
import { startOpsServer, type OpsServer, type ShardState } from '../ops/http-server.js';
import type { Logger } from '../ops/logger.js';
import { createMetrics, type Metrics } from '../ops/metrics.js';
import { createSystemClock, type Clock } from '../scheduling/clock.js';
import { createLeaseRedis } from '../cluster/redis-lease.js';
import type { LeaseRedis } from '../cluster/lease-types.js';
import { retryWhileUnreachable } from '../cluster/layout-retry.js';
import { createShardRunner } from './shard-runner.js';
import { checkShardLayout, ensureShardLayout } from '../cluster/reshard.js';
import type { VideoApiClient } from '../video-api/client.js';
import { videoApiFromConfig } from './video-api.js';
import { shardLedgersFor } from './ledger.js';

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

export async function startShards(options: StartShardsOptions): Promise<ShardedBot> {
  const { config, logger } = options;
  const clock = options.clock ?? createSystemClock();
  const buildApp = options.createShardApp ?? createApp;
  const metrics: Metrics = createMetrics();
  const videoApi: VideoApiClient = videoApiFromConfig(config, clock, logger);
  const leaseRedis: LeaseRedis | undefined = usesLeases(config.storeUrl)
    ? createLeaseRedis({ url: config.storeUrl, logger: logger.child({ component: 'lease' }) })
    : undefined;
  // One DM per person and task, and MAX_TASKS_PER_USER, across every shard (app/ledger.ts).
  const ledgers = await shardLedgersFor(config, logger.child({ component: 'ledger' }));

  logger.info(
    {
      shards: config.shardIds,
      shardCount: config.shardCount,
      leases: leaseRedis !== undefined,
    },
    'starting shards',
  );

  let build: typeof buildApp;
  try {
    build = await followShardLayout(config, logger, clock, leaseRedis, buildApp);
  } catch (error) {
    await Promise.all([videoApi.close(), leaseRedis?.close()]);
    throw error;
  }

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
      ledgers,
      build,
      onFatal: (error) => options.onFatal(error),
    }),
  );

  let ops: OpsServer | undefined;
  if (config.httpPort !== 0) {
    ops = await startOpsServer({
      port: config.httpPort,
      host: config.httpHost,
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
      await ledgers.close();
      logger.info('stopped');
    },
  };
}

/**
 * The tracked tasks follow a SHARD_COUNT change before any shard runs (docs/scaling.md); with leases,
 * a shard whose lease came free because another process moved its tasks away must not start.
 */
async function followShardLayout(
  config: BotConfig,
  logger: Logger,
  clock: Clock,
  leaseRedis: LeaseRedis | undefined,
  buildApp: (options: AppOptions) => Promise<App>,
): Promise<(options: AppOptions) => Promise<App>> {
  const layout = {
    url: config.storeUrl,
    namespace: config.storeNamespace,
    shardCount: config.shardCount,
    logger,
  };
  const leases = leaseRedis && { redis: leaseRedis, ttlMs: config.shardLeaseMs };
  await retryWhileUnreachable({ clock, logger, what: 'checking the shard layout' }, () =>
    ensureShardLayout({ ...layout, clock, leases }),
  );
  if (!leaseRedis) return buildApp;
  return async (appOptions) => {
    // The lease was just taken through Redis: a brief outage is waited out, a long one fails the start.
    await retryWhileUnreachable(
      { clock, logger, what: 'checking the shard layout', giveUpAfterMs: 60_000 },
      () => checkShardLayout(layout),
    );
    return buildApp(appOptions);
  };
}
