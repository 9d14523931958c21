import type { InteractionHandlers } from '../interactions.js';
import { createTaskIdAutocomplete } from './sora/autocomplete.js';
import type { SoraDeps, SubcommandHandler } from './sora/guild-command.js';
import { createListHandler } from './sora/list.js';
import { createSoraRouter } from './sora/router.js';
import { createStatusHandler } from './sora/status.js';
import { createTrackHandler } from './sora/track.js';
import { createUntrackHandler } from './sora/untrack.js';

/**
 * Handlers of `/sora`: parse the options, call the tracker, render the answer. Every answer goes only
 * to the caller (ephemeral); the channel sees only the progress message.
 */
export function createSoraHandlers(deps: SoraDeps): InteractionHandlers {
  const subcommands = new Map<string, SubcommandHandler>([
    ['track', createTrackHandler(deps)],
    ['status', createStatusHandler(deps)],
    ['untrack', createUntrackHandler(deps)],
    ['list', createListHandler(deps)],
  ]);
  return {
    chatInput: createSoraRouter(subcommands),
    autocomplete: createTaskIdAutocomplete(deps),
  };
}
