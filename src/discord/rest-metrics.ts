import { RESTEvents, type REST } from 'discord.js';
import { safeRoute } from './errors.js';
import type { Logger } from '../ops/logger.js';
import type { ShardMetrics } from '../ops/metrics.js';

/** Counts every Discord REST answer by route and status, and every wait for a rate limit. */
export function countDiscordRest(
  rest: REST,
  metrics: Pick<ShardMetrics, 'discordRequests' | 'rateLimitWaits' | 'rateLimitWaitSeconds'>,
  logger: Logger,
): void {
  rest.on(RESTEvents.Response, (request, response) => {
    metrics.discordRequests.inc({
      method: request.method,
      route: request.route,
      status: String(response.status),
    });
  });
  rest.on(RESTEvents.RateLimited, (info) => {
    metrics.rateLimitWaits.inc({ scope: info.scope });
    metrics.rateLimitWaitSeconds.inc({ scope: info.scope }, info.timeToReset / 1000);
    logger.debug(
      { route: safeRoute(info.route), scope: info.scope, waitMs: info.timeToReset },
      'discord rate limit',
    );
  });
}
