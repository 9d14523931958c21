import type { Client } from 'discord.js';
import { logClientEvents } from '../discord/client.js';
import { createCommandHandlers } from '../discord/commands/index.js';
import { listenForInteractions } from '../discord/interactions.js';
import { countDiscordRest } from '../discord/rest-metrics.js';
import type { Logger } from '../ops/logger.js';
import type { ShardMetrics } from '../ops/metrics.js';
import type { Clock } from '../scheduling/clock.js';
import type { PollScheduler } from '../scheduling/poll-scheduler.js';
import type { Tracker } from '../tracking/tracker.js';
import { resumeOnFirstReady } from './resume-loop.js';

/**
 * What a shard's discord.js client sets off: interactions go to the command handlers while the shard
 * accepts work, REST traffic is counted, the client's own events are logged, and its first ready
 * resumes tracking.
 */
export function wireShardClient(
  client: Client,
  deps: {
    tracker: Tracker;
    scheduler: PollScheduler;
    shardMetrics: ShardMetrics;
    /** Register the slash commands once connected. */
    registerCommands: boolean;
    /** False once the shard stops. */
    accepting: () => boolean;
    clock: Clock;
    logger: Logger;
  },
): void {
  const { tracker, scheduler, clock, logger, accepting } = deps;
  const handlers = createCommandHandlers({ tracker, clock, logger });
  listenForInteractions(client, { handlers, logger, accepting });
  countDiscordRest(client.rest, deps.shardMetrics, logger);
  logClientEvents(client, logger);
  resumeOnFirstReady(client, {
    registerCommands: deps.registerCommands,
    scheduler,
    tracker,
    clock,
    logger,
    keepTrying: accepting,
  });
}
