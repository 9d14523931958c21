import type { Client } from 'discord.js';
import { wireShardClient } from './app/client-wiring.js';
import { createShardLifecycle } from './app/lifecycle.js';
import { createRetentionSweep, endedBucketMs } from './app/retention-sweep.js';
import { assembleTracking } from './app/tracking.js';
import { soleShardLedgers, type ShardLedgers } from './cluster/shard-ledgers.js';
import { shardNamespace, type ShardRef } from './cluster/shard-ref.js';
import type { BotConfig } from './config.js';
import { cachedBotPermissions } from './discord/channel-permissions.js';
import { createDiscordClient, gatewayStatus, isGatewayReady } from './discord/client.js';
import { createDiscordPort } from './discord/port.js';
import { shardChecks, type GatewayView } from './ops/health.js';
import type { HealthCheck } from './ops/http-server.js';
import type { Logger } from './ops/logger.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { createSystemClock, type Clock } from './scheduling/clock.js';
import { createTrackingStore, type TrackingStore, type WriteFence } from './store/index.js';
import type { Tracker } from './tracking/tracker.js';
import type { VideoApiClient } from './video-api/client.js';

export { discordBudgetPerShard, shardNamespace, type ShardRef } from './cluster/shard-ref.js';

export interface AppOptions {
  config: BotConfig;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
  /** Injected in tests; built from the config otherwise. An injected store is closed by stop(). */
  store?: TrackingStore;
  /** Shared between the shards of a process; an injected client is left open by stop(). */
  videoApi?: VideoApiClient;
  /** The one shard this app runs; default the first of `config.shardIds`, of `config.shardCount`. */
  shard?: ShardRef;
  /** The process's metrics (shared by its shards); default a registry of this app's own. */
  metrics?: Metrics;
  /** Serve /healthz and /metrics on `config.httpPort` (default true); a process running shards serves them once. */
  serveOps?: boolean;
  /** The process's cross-shard ledger (startShards); default this shard alone (cluster/shard-ledgers.ts). */
  ledgers?: ShardLedgers;
  /** The shard lease term this app runs for: its Redis store refuses writes once the term is over. */
  fence?: WriteFence | undefined;
}

export interface App {
  readonly client: Client;
  readonly tracker: Tracker;
  readonly shard: ShardRef;
  readonly metrics: Metrics;
  /** What must hold while the shard runs (gateway connected, store answering), for /healthz. */
  readonly checks: readonly HealthCheck[];
  /** The gateway connection's status name, e.g. `Ready`. */
  gatewayStatus(): string;
  /** Tasks being polled now. */
  activeTasks(): number;
  /** The port of /healthz and /metrics once started (undefined when HTTP_PORT=0). */
  readonly opsPort: number | undefined;
  start(): Promise<void>;
  /** Stops taking work, lets in-flight work finish within `graceMs`, then closes everything. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Wires every part of one shard together explicitly; nothing here is global, so tests can build many.
 * Opens the store; `start()` then connects to Discord and resumes tracked tasks.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const shard: ShardRef = options.shard ?? { id: config.shardIds[0] ?? 0, count: config.shardCount };
  // Every line from this shard says which one it is.
  const logger = options.logger.child({ shard: shard.id });
  const clock = options.clock ?? createSystemClock();
  // The gauge reads the scheduler when scraped; the scheduler exists by the time anyone scrapes.
  let trackedNow = () => 0;
  const metrics = options.metrics ?? createMetrics();
  const shardMetrics = metrics.forShard(shard.id, { tasksTracked: () => trackedNow() });

  const client = createDiscordClient({ shard, apiUrl: config.discordApiUrl });
  const store = options.store ?? (await openShardStore(options, shard, logger));
  const tracking = assembleTracking({
    config,
    shard,
    store,
    shardMetrics,
    clock,
    logger,
    port: createDiscordPort(client.rest, () => client.user?.id),
    guildPremiumTier: (guildId) => client.guilds.cache.get(guildId)?.premiumTier,
    channelPermissions: cachedBotPermissions(client),
    sharedVideoApi: options.videoApi,
    ledger: (options.ledgers ?? soleShardLedgers).forShard(shard, store),
    random: options.random ?? Math.random,
  });
  const { tracker, scheduler } = tracking;
  trackedNow = () => scheduler.size;

  const gateway: GatewayView = { ready: () => isGatewayReady(client), status: () => gatewayStatus(client) };
  const checks = shardChecks({ gateway, store });
  const serveOps = config.httpPort !== 0 && options.serveOps !== false;
  const lifecycle = createShardLifecycle({
    parts: {
      ...tracking,
      client,
      store,
      retention: createRetentionSweep({ ...config, tracker, clock, logger }),
    },
    discordToken: config.discordToken,
    health: { id: shard.id, gateway, checks, activeTasks: () => scheduler.size },
    ops: serveOps ? { port: config.httpPort, host: config.httpHost, registry: metrics.registry } : undefined,
    detachMetrics: () => shardMetrics.detach(),
    clock,
    logger,
  });
  wireShardClient(client, {
    tracker,
    scheduler,
    shardMetrics,
    // Commands are global to the application: one shard registers them for all.
    registerCommands: config.registerCommands && shard.id === 0,
    accepting: () => lifecycle.accepting(),
    clock,
    logger,
  });

  return {
    client,
    tracker,
    shard,
    metrics,
    checks,
    gatewayStatus: () => gatewayStatus(client),
    activeTasks: () => scheduler.size,
    get opsPort() {
      return lifecycle.opsPort;
    },
    start: () => lifecycle.start(),
    stop: (stopOptions) => lifecycle.stop(stopOptions),
  };
}

/** The shard's own store, in its namespace, fenced by its lease term (if any). */
function openShardStore(options: AppOptions, shard: ShardRef, logger: Logger): Promise<TrackingStore> {
  const { config } = options;
  return createTrackingStore({
    url: config.storeUrl,
    namespace: shardNamespace(config.storeNamespace, shard),
    logger: logger.child({ component: 'store' }),
    commandTimeoutMs: config.storeCommandTimeoutMs,
    fence: options.fence,
    endedBucketMs: endedBucketMs(config.retentionMs),
  });
}
