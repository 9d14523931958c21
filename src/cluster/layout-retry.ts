import { messageOf } from '../store/backends/index.js';
import { UnreadableLayoutError } from '../store/shard-layout.js';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';

/**
 * Runs a step of the shard layout (the check at start, a move) again while the store cannot be reached,
 * as the rest of the bot waits out a Redis outage: a process started during one waits, with one log line,
 * instead of exiting. An unreadable layout record stops at once; `giveUpAfterMs` bounds the wait.
 */
export async function retryWhileUnreachable<T>(
  deps: { clock: Clock; logger: Logger; what: string; giveUpAfterMs?: number },
  step: () => Promise<T>,
): Promise<T> {
  const startedAt = deps.clock.now();
  let delayMs = 500;
  let logged = false;
  for (;;) {
    try {
      const result = await step();
      if (logged) deps.logger.info(`${deps.what}: the store answers again`);
      return result;
    } catch (error) {
      if (error instanceof UnreadableLayoutError) throw error;
      if (deps.giveUpAfterMs !== undefined && deps.clock.now() - startedAt >= deps.giveUpAfterMs) throw error;
      if (!logged) {
        deps.logger.warn({ err: messageOf(error) }, `${deps.what}: the store does not answer; trying again`);
        logged = true;
      }
      await deps.clock.sleep(delayMs);
      delayMs = Math.min(5_000, delayMs * 2);
    }
  }
}
