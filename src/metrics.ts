import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (own registry: no global state shared between tests). */
export interface Metrics {
  registry: Registry;
  tasksTracked: Gauge;
  polls: Counter<'outcome'>;
  pollSeconds: Histogram;
  apiRequestSeconds: Histogram<'operation' | 'outcome'>;
  discordRequests: Counter<'method' | 'route' | 'status'>;
  rateLimitWaits: Counter<'scope'>;
  rateLimitWaitSeconds: Counter<'scope'>;
}

export function createMetrics(sources: { tasksTracked: () => number }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sora_tracker_' });
  return {
    registry,
    tasksTracked: new Gauge({
      name: 'sora_tracker_tasks_tracked',
      help: 'Tasks currently being polled',
      registers: [registry],
      collect() {
        this.set(sources.tasksTracked());
      },
    }),
    polls: new Counter({
      name: 'sora_tracker_polls_total',
      help: 'Polls of tracked tasks by outcome (changed, unchanged, terminal, error)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    pollSeconds: new Histogram({
      name: 'sora_tracker_poll_duration_seconds',
      help: 'Time for one poll: API request, store update and fan-out',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    apiRequestSeconds: new Histogram({
      name: 'sora_tracker_api_request_duration_seconds',
      help: 'Video API latency by operation and outcome',
      labelNames: ['operation', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    discordRequests: new Counter({
      name: 'sora_tracker_discord_requests_total',
      help: 'Discord REST requests by method, route and HTTP status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    rateLimitWaits: new Counter({
      name: 'sora_tracker_discord_rate_limit_waits_total',
      help: 'Times a Discord request waited for a rate limit',
      labelNames: ['scope'],
      registers: [registry],
    }),
    rateLimitWaitSeconds: new Counter({
      name: 'sora_tracker_discord_rate_limit_wait_seconds_total',
      help: 'Seconds spent waiting for Discord rate limits',
      labelNames: ['scope'],
      registers: [registry],
    }),
  };
}
