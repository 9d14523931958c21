import { discordBudgetPerShard, shardNamespace, type ShardRef } from '../cluster/shard-ref.js';
import type { BotConfig } from '../config.js';
import { createDelivery, type Delivery } from '../delivery/delivery.js';
import { shardDownloadDirectory, sweepDownloadDirectory } from '../delivery/download-dir.js';
import { createEditPacer, type EditPacer } from '../discord/edit-pacer.js';
import type { ChannelPermissionsLookup } from '../discord/channel-permissions.js';
import type { DiscordPort } from '../discord/port.js';
import { createProgressPublisher } from '../discord/progress-publisher.js';
import { createResultPublisher } from '../discord/result-publisher.js';
import type { Logger } from '../ops/logger.js';
import type { ShardMetrics } from '../ops/metrics.js';
import type { Clock } from '../scheduling/clock.js';
import { createPollCadence, type PollCadenceOptions } from '../scheduling/poll-cadence.js';
import { createPollScheduler, type PollScheduler } from '../scheduling/poll-scheduler.js';
import { isFencedOut, type TrackingStore } from '../store/index.js';
import type { CrossShardLedger } from '../tracking/tracker.js';
import { NOT_READY_GIVE_UP_MS } from '../video-api/content-readiness.js';
import {
  createTracker,
  type Tracker,
  type TrackerMetrics,
  type TrackerOptions,
} from '../tracking/tracker.js';
import type { VideoApiClient } from '../video-api/client.js';
import { shardVideoApi, videoApiFromConfig } from './video-api.js';

/** The tracking side of one shard, wired together: what polls, what writes to Discord, what delivers. */
export interface ShardTracking {
  tracker: Tracker;
  scheduler: PollScheduler;
  pacer: EditPacer;
  videoApi: VideoApiClient;
  /** Removes the downloads a dead process left in the shard's folder; run once at start. */
  sweepDownloads(): Promise<void>;
}

export interface ShardTrackingDeps {
  config: BotConfig;
  shard: ShardRef;
  store: TrackingStore;
  port: DiscordPort;
  /** The boost tier of a guild, from the gateway's cache: it sets the upload limit of a result. */
  guildPremiumTier: (guildId: string) => number | undefined;
  /** The bot's permissions in a channel, from the gateway's cache: what a post there may carry. */
  channelPermissions: ChannelPermissionsLookup;
  /** The process's video API client, shared by its shards; default one of the shard's own. */
  sharedVideoApi: VideoApiClient | undefined;
  /** Who sends a DM and how many tasks a user tracks, across shards. */
  ledger: CrossShardLedger;
  shardMetrics: ShardMetrics;
  clock: Clock;
  random: () => number;
  logger: Logger;
}

type PollIntervals = NonNullable<PollCadenceOptions['intervalMs']>;

/** Gaps between polls; while Discord is backlogged a task may wait up to twice POLL_MAX_INTERVAL_MS. */
export function pollIntervals(
  config: Pick<BotConfig, 'pollIntervalMs' | 'pollMaxIntervalMs'>,
): PollIntervals {
  return {
    min: config.pollIntervalMs,
    max: config.pollMaxIntervalMs,
    backloggedMax: 2 * config.pollMaxIntervalMs,
  };
}

export function trackerLimits(config: BotConfig): TrackerOptions['limits'] {
  return {
    maxTasksPerUser: config.maxTasksPerUser,
    maxTasksPerGuild: config.maxTasksPerGuild,
    idleTimeoutMs: config.taskIdleTimeoutMs,
    maxAgeMs: config.taskMaxAgeMs,
    resumeSpreadMs: config.pollIntervalMs,
    refreshCooldownMs: 5_000,
    deliveryGiveUpMs: 60 * 60_000,
  };
}

function pollMetrics(shardMetrics: ShardMetrics): TrackerMetrics {
  return {
    pollFinished(outcome, seconds) {
      shardMetrics.polls.inc({ outcome });
      shardMetrics.pollSeconds.observe(seconds);
    },
  };
}

/**
 * Builds the tracking side of a shard: the edit pacer (its share of Discord's global budget), the poll
 * cadence, the video API, delivery, the tracker and its poll scheduler, attached to each other.
 */
export function assembleTracking(deps: ShardTrackingDeps): ShardTracking {
  const { config, store, port, clock, random, logger } = deps;
  const intervals = pollIntervals(config);
  const pacer = createEditPacer({
    clock,
    logger: logger.child({ component: 'edit-pacer' }),
    global: discordBudgetPerShard(deps.shard.count),
  });
  // Learns each task's refresh beat from what the API answers, to poll just after the next refresh.
  let isScheduled: (taskId: string) => boolean = () => false;
  const cadence = createPollCadence({
    clock,
    backlogMs: () => pacer.backlogMs(),
    intervalMs: intervals,
    isTracked: (taskId) => isScheduled(taskId),
  });
  const videoApi = shardVideoApi({
    shared: deps.sharedVideoApi,
    createOwn: () => videoApiFromConfig(config, clock, logger, random),
    timer: deps.shardMetrics.apiRequestSeconds,
    observe: (taskId, snapshot) => cadence.observe(taskId, snapshot, clock.now()),
  });
  const { delivery, sweepDownloads } = shardDelivery(deps, pacer, videoApi);
  const tracker = createTracker({
    delivery,
    store,
    videoApi,
    publisher: createProgressPublisher({
      port,
      pacer,
      clock,
      logger,
      channelPermissions: deps.channelPermissions,
    }),
    clock,
    logger,
    random,
    limits: trackerLimits(config),
    ledger: deps.ledger,
    firstPollAt: (task, now) => cadence.firstPollAt(task.id, task.snapshot, now),
    metrics: pollMetrics(deps.shardMetrics),
  });
  const scheduler = createPollScheduler({
    clock,
    logger: logger.child({ component: 'poll-scheduler' }),
    minIntervalMs: intervals.min,
    maxIntervalMs: intervals.max,
    maxStrategyDelayMs: intervals.backloggedMax,
    maxInFlight: config.maxInFlight,
    jitterRatio: 0.1,
    random,
    nextDelay: cadence.nextDelay,
    forget: (taskId) => {
      cadence.forget(taskId);
      tracker.forget(taskId);
    },
    poll: (taskId, signal, release) => tracker.poll(taskId, signal, release),
    isQuietError: isFencedOut,
  });
  isScheduled = (taskId) => scheduler.has(taskId);
  tracker.attach(scheduler);
  return { tracker, scheduler, pacer, videoApi, sweepDownloads };
}

/**
 * Delivery of a shard's results: its own download folder (bounded, swept at start of files a dead
 * process left), the back-off for a file the API does not have yet, and the result publisher.
 */
function shardDelivery(
  deps: ShardTrackingDeps,
  pacer: EditPacer,
  videoApi: VideoApiClient,
): { delivery: Delivery; sweepDownloads: () => Promise<void> } {
  const { config, store, port, clock, logger } = deps;
  const downloadDirectory = shardDownloadDirectory(
    config.downloadDir,
    shardNamespace(config.storeNamespace, deps.shard),
  );
  const delivery = createDelivery({
    store,
    videoApi,
    clock,
    logger: logger.child({ component: 'delivery' }),
    downloadDirectory,
    keepDownloadsMaxBytes: config.downloadDirMaxBytes,
    dmClaims: deps.ledger,
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
      guildPremiumTier: deps.guildPremiumTier,
      channelPermissions: deps.channelPermissions,
    }),
  });
  const sweepDownloads = async () => {
    // Files older than this process: its own downloads are never swept (performance.timeOrigin is its start).
    await sweepDownloadDirectory({
      directory: downloadDirectory,
      store,
      startedAt: performance.timeOrigin,
      logger,
    });
  };
  return { delivery, sweepDownloads };
}
