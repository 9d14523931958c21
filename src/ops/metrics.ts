import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one bot process (own registry: no global state shared between tests). Every
 * metric about the work of a shard carries a `shard` label; the process metrics do not.
 */
export interface Metrics {
  registry: Registry;
  /** The metrics of one shard, labelled `shard="<id>"`; `tasksTracked` is read when scraped. */
  forShard(shardId: number, sources: { tasksTracked: () => number }): ShardMetrics;
  /** Whether each shard runs here (1) or waits for its lease (0). */
  setShardRunning(shardId: number, running: boolean): void;
}

export interface ShardMetrics {
  polls: { inc(labels: { outcome: string }): void };
  pollSeconds: { observe(seconds: number): void };
  apiRequestSeconds: {
    startTimer(labels: { operation: string }): (labels: { outcome: string }) => void;
  };
  discordRequests: { inc(labels: { method: string; route: string; status: string }): void };
  rateLimitWaits: { inc(labels: { scope: string }): void };
  rateLimitWaitSeconds: { inc(labels: { scope: string }, seconds: number): void };
  /** Stops reporting `tasks_tracked` for this shard (it stopped here). */
  detach(): void;
}

/** Where `sora_tracker_tasks_tracked` reads each shard's count when scraped. */
type TrackedSources = Map<number, () => number>;

/** The process-wide gauges: tasks polled per shard (read when scraped), and which shards run here. */
function registerShardGauges(registry: Registry, trackedSources: TrackedSources) {
  new Gauge({
    name: 'sora_tracker_tasks_tracked',
    help: 'Tasks currently being polled, per shard',
    labelNames: ['shard'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [shard, source] of trackedSources) this.set({ shard: String(shard) }, source());
    },
  });
  return new Gauge({
    name: 'sora_tracker_shard_running',
    help: 'Whether this process runs the shard (1) or waits for its lease (0)',
    labelNames: ['shard'],
    registers: [registry],
  });
}

/** The counters and histograms of the work of shards, each with a `shard` label. */
function registerWorkMetrics(registry: Registry) {
  return {
    polls: new Counter({
      name: 'sora_tracker_polls_total',
      help: 'Polls of tracked tasks by outcome (changed, unchanged, terminal, error)',
      labelNames: ['shard', 'outcome'],
      registers: [registry],
    }),
    pollSeconds: new Histogram({
      name: 'sora_tracker_poll_duration_seconds',
      help: 'Time for one poll: API request, store update and fan-out',
      labelNames: ['shard'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    apiRequestSeconds: new Histogram({
      name: 'sora_tracker_api_request_duration_seconds',
      help: 'Video API latency by operation and outcome',
      labelNames: ['shard', 'operation', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    discordRequests: new Counter({
      name: 'sora_tracker_discord_requests_total',
      help: 'Discord REST requests by method, route and HTTP status',
      labelNames: ['shard', 'method', 'route', 'status'],
      registers: [registry],
    }),
    rateLimitWaits: new Counter({
      name: 'sora_tracker_discord_rate_limit_waits_total',
      help: 'Times a Discord request waited for a rate limit',
      labelNames: ['shard', 'scope'],
      registers: [registry],
    }),
    rateLimitWaitSeconds: new Counter({
      name: 'sora_tracker_discord_rate_limit_wait_seconds_total',
      help: 'Seconds spent waiting for Discord rate limits',
      labelNames: ['shard', 'scope'],
      registers: [registry],
    }),
  };
}

type WorkMetrics = ReturnType<typeof registerWorkMetrics>;

/** The work metrics as one shard records them: every observation labelled `shard="<id>"`. */
function labelledForShard(work: WorkMetrics, shard: string): Omit<ShardMetrics, 'detach'> {
  return {
    polls: { inc: (labels) => work.polls.inc({ shard, ...labels }) },
    pollSeconds: { observe: (seconds) => work.pollSeconds.observe({ shard }, seconds) },
    apiRequestSeconds: {
      startTimer(labels) {
        const end = work.apiRequestSeconds.startTimer({ shard, ...labels });
        return (more) => {
          end(more);
        };
      },
    },
    discordRequests: { inc: (labels) => work.discordRequests.inc({ shard, ...labels }) },
    rateLimitWaits: { inc: (labels) => work.rateLimitWaits.inc({ shard, ...labels }) },
    rateLimitWaitSeconds: {
      inc: (labels, seconds) => work.rateLimitWaitSeconds.inc({ shard, ...labels }, seconds),
    },
  };
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sora_tracker_' });
  const trackedSources: TrackedSources = new Map();
  const shardRunning = registerShardGauges(registry, trackedSources);
  const work = registerWorkMetrics(registry);
  return {
    registry,
    setShardRunning(shardId, running) {
      shardRunning.set({ shard: String(shardId) }, running ? 1 : 0);
    },
    forShard(shardId, sources) {
      trackedSources.set(shardId, sources.tasksTracked);
      return {
        ...labelledForShard(work, String(shardId)),
        detach() {
          if (trackedSources.get(shardId) === sources.tasksTracked) trackedSources.delete(shardId);
        },
      };
    },
  };
}
