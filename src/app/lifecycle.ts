import type { Client } from 'discord.js';
import type { EditPacer } from '../discord/edit-pacer.js';
import { shardHealth, type ShardHealthDeps } from '../ops/health.js';
import { startOpsServer, type OpsServer } from '../ops/http-server.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { Clock } from '../scheduling/clock.js';
import type { PollScheduler } from '../scheduling/poll-scheduler.js';
import type { TrackingStore } from '../store/index.js';
import type { Tracker } from '../tracking/tracker.js';
import type { VideoApiClient } from '../video-api/client.js';
import type { RetentionSweep } from './retention-sweep.js';

/** Everything a shard opens, in the order it is closed. */
export interface ShardParts {
  scheduler: PollScheduler;
  tracker: Tracker;
  pacer: EditPacer;
  client: Client;
  videoApi: VideoApiClient;
  store: TrackingStore;
  /** Removes the downloads a dead process left behind (delivery/download-dir.ts). */
  sweepDownloads(): Promise<void>;
  /** Deletes what ended before the retention period, on a schedule. */
  retention: RetentionSweep;
}

export interface ShardLifecycle {
  /** True until stop() is called: new interactions are answered, the resume loop keeps trying. */
  accepting(): boolean;
  readonly opsPort: number | undefined;
  start(): Promise<void>;
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Starting a shard: serve /healthz and /metrics (when it serves them), sweep the download folder, then
 * log in to the gateway.
 * Stopping it: stop taking work, let work in flight finish within the grace, close everything.
 */
export function createShardLifecycle(deps: {
  parts: ShardParts;
  discordToken: string;
  /** How the shard looks on /healthz; its state follows start(). */
  health: Omit<ShardHealthDeps, 'started'>;
  /** Where to serve /healthz and /metrics; undefined when the shard serves none (HTTP_PORT=0, or its process does). */
  ops: { port: number; host: string; registry: Metrics['registry'] } | undefined;
  /** Called once everything is closed: the shard's metrics stop reporting it. */
  detachMetrics: () => void;
  clock: Clock;
  logger: Logger;
}): ShardLifecycle {
  const { parts, clock, logger } = deps;
  let accepting = true;
  let started = false;
  let ops: OpsServer | undefined;
  const health = shardHealth({ ...deps.health, started: () => started });
  return {
    accepting: () => accepting,
    get opsPort() {
      return ops?.port;
    },
    async start() {
      started = true;
      if (deps.ops) ops = await startOpsServer({ ...deps.ops, logger, shards: () => [health] });
      // Before any delivery resumes; a folder that cannot be swept only costs disk, so start anyway.
      await parts.sweepDownloads().catch((error: unknown) => {
        logger.warn({ err: error }, 'could not sweep the download folder');
      });
      await parts.client.login(deps.discordToken);
      parts.retention.start();
    },
    async stop({ graceMs = 10_000 } = {}) {
      accepting = false;
      await closeShard(parts, ops, graceMs, clock);
      deps.detachMetrics();
      logger.info('stopped');
    },
  };
}

async function closeShard(
  parts: ShardParts,
  ops: OpsServer | undefined,
  graceMs: number,
  clock: Clock,
): Promise<void> {
  const deadline = clock.now() + graceMs;
  // Stops at once between two batches; a batch in flight ends with the store at the latest.
  const retentionStopped = parts.retention.stop();
  await parts.scheduler.stop({ graceMs: Math.max(0, graceMs - 2_000) });
  // Let message writes already started land and be recorded, within what is left of the grace.
  await Promise.race([parts.tracker.settled(), clock.sleep(Math.max(0, deadline - clock.now()))]);
  await parts.pacer.stop();
  await parts.client.destroy();
  await ops?.close();
  await parts.videoApi.close();
  await parts.store.close();
  await retentionStopped;
}
