import type { EditPacer } from './edit-pacer.js';
import { pacedWrite } from './pacing/paced-write.js';
import type { DiscordPort } from './port.js';

/** How many users' DM channels are remembered; the least recently used is opened again when needed. */
export const DM_CHANNELS_REMEMBERED = 5_000;

/**
 * The DM channel of each user, opened once and remembered for the users DMed most recently. The open is
 * a request like any other: it counts in the global budget, in a bucket of its own per user. Opening
 * again costs one request and returns the same channel, so a bound costs little and keeps a bot that
 * DMs thousands of people over months from growing.
 */
export function createDmChannels(
  port: DiscordPort,
  pacer: EditPacer,
  remembered = DM_CHANNELS_REMEMBERED,
): { channelOf(userId: string): Promise<string>; readonly size: number } {
  // The promise is kept, so that DMs to one user at once share one open; a failed open is tried again.
  const known = new Map<string, Promise<string>>();
  return {
    channelOf(userId) {
      let channelId = known.get(userId);
      if (channelId !== undefined) {
        // Most recently used last: Map keeps insertion order.
        known.delete(userId);
        known.set(userId, channelId);
        return channelId;
      }
      const key = `dm-open:${userId}`;
      channelId = pacedWrite(pacer, key, key, () => port.openDm(userId), 'final');
      known.set(userId, channelId);
      void channelId.catch(() => {
        if (known.get(userId) === channelId) known.delete(userId);
      });
      if (known.size > remembered) known.delete(known.keys().next().value!);
      return channelId;
    },
    get size() {
      return known.size;
    },
  };
}
