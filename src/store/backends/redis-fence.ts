import { createHash } from 'node:crypto';
import type { RedisClientType } from '@keyv/redis';
import type { Logger } from '../../ops/logger.js';
import { FencedOutError, messageOf, type KeyValueBackend, type WriteFence } from './backend.js';
import { serialize } from './keyv.js';

/**
 * Fenced writes (docs/scaling.md#fencing): each set or delete is one script that first checks the shard
 * lease still holds the term this app was built for, so a write that reaches Redis late (queued in a
 * stalled socket, made while the app stops) cannot overwrite what the lease's next holder wrote.
 * Entries are the bytes Keyv writes (same prefixed key, same JSON), so Keyv reads them back.
 */
const FENCED_WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'set' then
  redis.call('SET', KEYS[2], ARGV[3])
else
  redis.call('UNLINK', KEYS[2])
end
return 1`;
const FENCED_WRITE_SHA = createHash('sha1').update(FENCED_WRITE).digest('hex');

export function createFencedWrites(deps: {
  client: RedisClientType;
  fence: WriteFence;
  /** The key as KeyvRedis stores it (namespace, ':', key). */
  prefixed: (key: string) => string;
  logger: Logger;
}): Pick<KeyValueBackend, 'set' | 'delete'> {
  const { client, fence, logger } = deps;
  let warned = false;

  async function write(key: string, args: string[]): Promise<void> {
    const options = { keys: [fence.key, deps.prefixed(key)], arguments: [fence.value, ...args] };
    let answer: unknown;
    try {
      answer = await client.evalSha(FENCED_WRITE_SHA, options);
    } catch (error) {
      // Not in Redis's script cache yet (first write, or Redis restarted): EVAL loads it.
      if (!messageOf(error).startsWith('NOSCRIPT')) throw error;
      answer = await client.eval(FENCED_WRITE, options);
    }
    if (answer === 1) return;
    // One line per stale app, not one per write: it is being stopped anyway.
    if (!warned) {
      warned = true;
      logger.warn(
        { lease: fence.key },
        'the shard lease term this app was started for has ended; its store writes are refused',
      );
    }
    throw new FencedOutError();
  }

  return {
    set: (key, value) => write(key, ['set', serialize({ value })]),
    delete: (key) => write(key, ['delete']),
  };
}
