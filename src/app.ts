import { Client, GatewayIntentBits, Options, RESTEvents, Routes, Status } from 'discord.js';
import { soraCommandDefinitions } from './commands/definitions.js';
import { createButtonHandler } from './commands/buttons.js';
import { createSoraHandlers } from './commands/sora.js';
import type { BotConfig } from './config.js';
import { describeDiscordError, safeRoute } from './discord/errors.js';
import { createInteractionRouter } from './discord/interactions.js';
import { createDiscordPort } from './discord/port.js';
import { createProgressPublisher } from './discord/progress-publisher.js';
import { createResultPublisher } from './discord/result-publisher.js';
import { startOpsServer, type HealthCheck, type OpsServer, type ShardHealth } from './http-server.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics, type ShardMetrics } from './metrics.js';
import { createSystemClock, type Clock } from './services/clock.js';
import { createDelivery } from './services/delivery.js';
import { createEditPacer } from './services/edit-pacer.js';
import { createPollCadence } from './services/poll-cadence.js';
import { createPollScheduler, type PollScheduler } from './services/poll-scheduler.js';
import { createTrackingStore, type TrackingStore } from './services/store/index.js';
import { createTracker, type Tracker } from './services/tracker.js';
import { createVideoApiClient, type VideoApiClient } from './services/video-api/client.js';
import { NOT_READY_GIVE_UP_MS } from './services/video-api/content-readiness.js';
import { VideoApiError } from './services/video-api/errors.js';

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
}

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
 * Wires every part of the bot together explicitly; nothing here is global, so tests can build many.
 * Opens the store; `start()` then connects to Discord and resumes tracked tasks.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const shard: ShardRef = options.shard ?? { id: config.shardIds[0] ?? 0, count: config.shardCount };
  // Every line from this shard says which one it is.
  const logger = options.logger.child({ shard: shard.id });
  const clock = options.clock ?? createSystemClock();
  const random = options.random ?? Math.random;
  // The gauge reads the scheduler when scraped; the scheduler exists by the time anyone scrapes.
  let trackedNow = () => 0;
  const metrics = options.metrics ?? createMetrics();
  const shardMetrics: ShardMetrics = metrics.forShard(shard.id, { tasksTracked: () => trackedNow() });

  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // One gateway connection: this shard's guilds (and, on shard 0, DMs). Explicit, so the SHARDS and
    // SHARD_COUNT that discord.js's ShardingManager sets never disagree with the configuration.
    shards: [shard.id],
    shardCount: shard.count,
    rest: { api: config.discordApiUrl, timeout: 60_000 },
    // Nothing the bot sends may ping anyone unless a payload says so explicitly.
    allowedMentions: { parse: [] },
    enforceNonce: true,
    // The bot edits messages by id and never reads them back: caching messages only costs memory.
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      PresenceManager: 0,
      ReactionManager: 0,
      ThreadMemberManager: 0,
    }),
  });

  // Learns each task's refresh beat from what the API answers, to poll just after the next refresh.
  // While Discord is backlogged it may leave a task up to twice POLL_MAX_INTERVAL_MS between polls.
  const backloggedMaxIntervalMs = 2 * config.pollMaxIntervalMs;
  const cadence = createPollCadence({
    clock,
    backlogMs: () => pacer.backlogMs(),
    intervalMs: {
      min: config.pollIntervalMs,
      max: config.pollMaxIntervalMs,
      backloggedMax: backloggedMaxIntervalMs,
    },
  });

  const instrumentedApi = (api: VideoApiClient): VideoApiClient => ({
    async getVideo(id, opts) {
      const end = shardMetrics.apiRequestSeconds.startTimer({ operation: 'get_video' });
      try {
        const snapshot = await api.getVideo(id, opts);
        end({ outcome: 'ok' });
        cadence.observe(id, snapshot, clock.now());
        return snapshot;
      } catch (error) {
        end({ outcome: error instanceof VideoApiError ? error.kind : 'error' });
        throw error;
      }
    },
    async downloadVideo(id, opts) {
      const end = shardMetrics.apiRequestSeconds.startTimer({ operation: 'download' });
      try {
        const result = await api.downloadVideo(id, opts);
        end({ outcome: result.kind });
        return result;
      } catch (error) {
        end({ outcome: error instanceof VideoApiError ? error.kind : 'error' });
        throw error;
      }
    },
    // A client handed in is shared with other shards: its owner closes it.
    close: () => (options.videoApi ? Promise.resolve() : api.close()),
  });

  const videoApi = instrumentedApi(
    options.videoApi ??
      createVideoApiClient({
        baseUrl: config.baseUrl,
        apiKey: config.apiKey,
        logger: logger.child({ component: 'video-api' }),
        maxInFlight: config.maxInFlight,
        timeoutMs: config.timeoutMs,
        clock,
        random,
      }),
  );

  const port = createDiscordPort(client.rest);
  const pacer = createEditPacer({
    clock,
    logger: logger.child({ component: 'edit-pacer' }),
    global: discordBudgetPerShard(shard.count),
  });
  const publisher = createProgressPublisher({ port, pacer, clock, logger });

  const store =
    options.store ??
    (await createTrackingStore({
      url: config.storeUrl,
      namespace: shardNamespace(config.storeNamespace, shard),
      logger: logger.child({ component: 'store' }),
    }));

  const delivery = createDelivery({
    store,
    videoApi,
    clock,
    logger: logger.child({ component: 'delivery' }),
    // A file the API does not have yet is asked for again as often as a task is polled.
    notReadyBackoff: {
      firstDelayMs: config.pollIntervalMs,
      maxDelayMs: config.pollMaxIntervalMs,
      giveUpAfterMs: NOT_READY_GIVE_UP_MS,
    },
    publisher: createResultPublisher({
      port,
      pacer,
      logger,
      guildPremiumTier: (guildId) => client.guilds.cache.get(guildId)?.premiumTier,
    }),
  });

  const tracker = createTracker({
    delivery,
    store,
    videoApi,
    publisher,
    clock,
    logger,
    random,
    limits: {
      maxTasksPerUser: config.maxTasksPerUser,
      maxTasksPerGuild: config.maxTasksPerGuild,
      idleTimeoutMs: config.taskIdleTimeoutMs,
      maxAgeMs: config.taskMaxAgeMs,
      resumeSpreadMs: config.pollIntervalMs,
      refreshCooldownMs: 5_000,
      deliveryGiveUpMs: 60 * 60_000,
    },
    firstPollAt: (task, now) => cadence.firstPollAt(task.id, task.snapshot, now),
    metrics: {
      pollFinished(outcome, seconds) {
        shardMetrics.polls.inc({ outcome });
        shardMetrics.pollSeconds.observe(seconds);
      },
    },
  });

  const scheduler: PollScheduler = createPollScheduler({
    clock,
    logger: logger.child({ component: 'poll-scheduler' }),
    minIntervalMs: config.pollIntervalMs,
    maxIntervalMs: config.pollMaxIntervalMs,
    maxStrategyDelayMs: backloggedMaxIntervalMs,
    maxInFlight: config.maxInFlight,
    jitterRatio: 0.1,
    random,
    nextDelay: cadence.nextDelay,
    forget: (taskId) => cadence.forget(taskId),
    poll: (taskId, signal, release) => tracker.poll(taskId, signal, release),
  });
  tracker.attach(scheduler);
  trackedNow = () => scheduler.size;

  let accepting = true;
  const handlers = {
    ...createSoraHandlers({ tracker, clock, logger }),
    button: createButtonHandler({ tracker, clock, logger }),
  };
  const route = createInteractionRouter({ handlers, logger });
  client.on('interactionCreate', (interaction) => {
    if (!accepting) return;
    void route(interaction);
  });

  client.rest.on(RESTEvents.Response, (request, response) => {
    shardMetrics.discordRequests.inc({
      method: request.method,
      route: request.route,
      status: String(response.status),
    });
  });
  client.rest.on(RESTEvents.RateLimited, (info) => {
    shardMetrics.rateLimitWaits.inc({ scope: info.scope });
    shardMetrics.rateLimitWaitSeconds.inc({ scope: info.scope }, info.timeToReset / 1000);
    logger.debug(
      { route: safeRoute(info.route), scope: info.scope, waitMs: info.timeToReset },
      'discord rate limit',
    );
  });
  client.on('error', (error) => logger.error({ err: error }, 'discord client error'));
  client.on('warn', (message) => logger.warn({ message }, 'discord client warning'));
  client.on('shardDisconnect', (event, shardId) =>
    logger.warn({ shardId, code: event.code }, 'gateway disconnected'),
  );
  client.on('shardResume', (shardId) => logger.info({ shardId }, 'gateway resumed'));

  let ops: OpsServer | undefined;
  let resumed = false;

  async function registerCommands(): Promise<void> {
    const applicationId = client.application?.id;
    if (!applicationId) return;
    await client.rest.put(Routes.applicationCommands(applicationId), { body: soraCommandDefinitions });
    logger.info({ commands: soraCommandDefinitions.length }, 'slash commands registered globally');
  }

  client.on('clientReady', () => {
    logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'connected to Discord');
    if (resumed) return;
    resumed = true;
    void (async () => {
      try {
        // Commands are global to the application: one shard registers them for all.
        if (config.registerCommands && shard.id === 0) await registerCommands();
      } catch (error) {
        logger.error({ ...describeDiscordError(error) }, 'could not register slash commands');
      }
      // The store may be down at start (Redis restarting): keep trying, nothing is polled until it answers.
      for (let attempt = 0; accepting; attempt += 1) {
        try {
          // Polling starts at once: tasks resumed first are polled while the rest is still being resumed.
          scheduler.start();
          await tracker.resume(scheduler);
          return;
        } catch (error) {
          const retryInMs = Math.min(30_000, 1_000 * 2 ** attempt);
          logger.error({ err: error, retryInMs }, 'could not resume tracked tasks; retrying');
          await clock.sleep(retryInMs);
        }
      }
    })();
  });

  const checks: HealthCheck[] = [
    {
      name: 'gateway',
      check: () =>
        Promise.resolve(
          client.ws.status === Status.Ready ? undefined : `not connected (${Status[client.ws.status]})`,
        ),
    },
    {
      name: 'store',
      check: async () => {
        await store.ping();
        return undefined;
      },
    },
  ];
  let started = false;
  const gatewayStatus = () => Status[client.ws.status] ?? String(client.ws.status);
  const health: ShardHealth = {
    id: shard.id,
    state: () => (!started ? 'stopped' : client.ws.status === Status.Ready ? 'running' : 'starting'),
    gateway: gatewayStatus,
    activeTasks: () => scheduler.size,
    leaseHolder: () => undefined,
    checks: () => checks,
  };

  return {
    client,
    tracker,
    shard,
    metrics,
    checks,
    gatewayStatus,
    activeTasks: () => scheduler.size,
    get opsPort() {
      return ops?.port;
    },
    async start() {
      started = true;
      if (config.httpPort !== 0 && options.serveOps !== false) {
        ops = await startOpsServer({
          port: config.httpPort,
          registry: metrics.registry,
          logger,
          shards: () => [health],
        });
      }
      await client.login(config.discordToken);
    },
    async stop({ graceMs = 10_000 } = {}) {
      accepting = false;
      const deadline = clock.now() + graceMs;
      await scheduler.stop({ graceMs: Math.max(0, graceMs - 2_000) });
      // Let message writes already started land and be recorded, within what is left of the grace.
      await Promise.race([tracker.settled(), clock.sleep(Math.max(0, deadline - clock.now()))]);
      await pacer.stop();
      await client.destroy();
      await ops?.close();
      await videoApi.close();
      await store.close();
      shardMetrics.detach();
      logger.info('stopped');
    },
  };
}
