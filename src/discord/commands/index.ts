import type { Logger } from '../../ops/logger.js';
import type { Clock } from '../../scheduling/clock.js';
import type { Tracker } from '../../tracking/tracker.js';
import type { InteractionHandlers } from '../interactions.js';
import { createButtonHandler } from './buttons.js';
import { createSoraHandlers } from './sora.js';

/** Every interaction the bot answers: `/sora` (and its autocomplete) and the progress message's buttons. */
export function createCommandHandlers(deps: {
  tracker: Tracker;
  clock: Clock;
  logger: Logger;
}): InteractionHandlers {
  return { ...createSoraHandlers(deps), button: createButtonHandler(deps) };
}
