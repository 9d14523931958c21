import type { VideoSnapshot } from '../domain/video.js';
import type { ShardMetrics } from '../ops/metrics.js';
import { measureVideoApi } from '../ops/video-api-metrics.js';
import type { VideoApiClient } from '../video-api/client.js';

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
