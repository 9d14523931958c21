import type { VideoSnapshot } from '../domain/video.js';
import type { ShardMetrics } from '../ops/metrics.js';
import { measureVideoApi } from '../video-api/measured.js';
import type { BotConfig } from '../config.js';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { createVideoApiClient, type VideoApiClient } from '../video-api/client.js';

/**
 * The video API as one shard uses it: the process's shared client or one of its own, timed into the
 * shard's metrics, every snapshot it reads shown to `observe` (the poll cadence learns from them).
 */
export function shardVideoApi(deps: {
  /** Shared with the other shards of the process: its owner closes it, so the shard leaves it open. */
  shared: VideoApiClient | undefined;
  /** Builds the shard's own client when there is no shared one; closed with the shard. */
  createOwn: () => VideoApiClient;
  timer: ShardMetrics['apiRequestSeconds'];
  observe: (taskId: string, snapshot: VideoSnapshot) => void;
}): VideoApiClient {
  const { shared, observe } = deps;
  const measured = measureVideoApi(shared ?? deps.createOwn(), deps.timer);
  return {
    async getVideo(id, options) {
      const snapshot = await measured.getVideo(id, options);
      observe(id, snapshot);
      return snapshot;
    },
    downloadVideo: (id, options) => measured.downloadVideo(id, options),
    close: () => (shared ? Promise.resolve() : measured.close()),
  };
}

/** The video API client the configuration describes (one per process, or one per shard). */
export function videoApiFromConfig(
  config: Pick<
    BotConfig,
    | 'baseUrl'
    | 'apiKey'
    | 'maxInFlight'
    | 'timeoutMs'
    | 'allowPrivateVideoUrls'
    | 'maxDownloads'
    | 'downloadTimeoutMs'
  >,
  clock: Clock,
  logger: Logger,
  random?: () => number,
): VideoApiClient {
  return createVideoApiClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    logger: logger.child({ component: 'video-api' }),
    maxInFlight: config.maxInFlight,
    timeoutMs: config.timeoutMs,
    maxDownloads: config.maxDownloads,
    downloadDeadlineMs: config.downloadTimeoutMs,
    allowPrivateUrls: config.allowPrivateVideoUrls,
    clock,
    ...(random ? { random } : {}),
  });
}
