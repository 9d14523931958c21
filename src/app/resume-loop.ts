import type { Client } from 'discord.js';
import { registerCommandsGlobally } from '../discord/commands/register.js';
import { describeDiscordError } from '../discord/errors.js';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { PollScheduler } from '../scheduling/poll-scheduler.js';
import type { PollQueue, Tracker } from '../tracking/tracker.js';

/** Wait before resume attempt `attempt + 1`: 1 s, doubling, at most 30 s. */
export function resumeRetryDelayMs(attempt: number): number {
  return Math.min(30_000, 1_000 * 2 ** attempt);
}

export interface ResumeDeps {
  scheduler: PollQueue & Pick<PollScheduler, 'start'>;
  tracker: Pick<Tracker, 'resume'>;
  clock: Pick<Clock, 'sleep'>;
  logger: Logger;
  /** False once the shard stops: the loop gives up. */
  keepTrying: () => boolean;
}

/**
 * Starts polling and puts every tracked task back on the schedule. The store may be down at start
 * (Redis restarting): keep trying, nothing is polled until it answers.
 */
export async function resumeTracking(deps: ResumeDeps): Promise<void> {
  const { scheduler, tracker, clock, logger } = deps;
  for (let attempt = 0; deps.keepTrying(); attempt += 1) {
    try {
      // Polling starts at once: tasks resumed first are polled while the rest is still being resumed.
      scheduler.start();
      await tracker.resume(scheduler);
      return;
    } catch (error) {
      const retryInMs = resumeRetryDelayMs(attempt);
      logger.error({ err: error, retryInMs }, 'could not resume tracked tasks; retrying');
      await clock.sleep(retryInMs);
    }
  }
}

/**
 * Once the gateway is first ready (not again on later reconnects): register the slash commands when
 * asked, then resume tracking.
 */
export function resumeOnFirstReady(client: Client, deps: ResumeDeps & { registerCommands: boolean }): void {
  const { logger } = deps;
  let resumed = false;
  client.on('clientReady', () => {
    logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'connected to Discord');
    if (resumed) return;
    resumed = true;
    void (async () => {
      try {
        if (deps.registerCommands) await registerCommandsGlobally(client, logger);
      } catch (error) {
        logger.error({ ...describeDiscordError(error) }, 'could not register slash commands');
      }
      await resumeTracking(deps);
    })();
  });
}
