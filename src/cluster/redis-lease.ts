import type { Logger } from '../ops/logger.js';
import { messageOf, withTimeout } from '../store/backends/index.js';
import { createPlainRedisClient } from '../store/backends/redis-client.js';
import type { LeaseRedis } from './lease-types.js';

/** The lease operations as Lua scripts: each reads and changes the key atomically. */

// ARGV[3] is the holder's prefix: a key left by one of its own earlier terms is taken over at once.
const ACQUIRE = `
local v = redis.call('GET', KEYS[1])
if v == false or string.sub(v, 1, string.len(ARGV[3])) == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RENEW = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Lease operations on their own node-redis connection (the store's client is Keyv's). Commands fail
 * fast while disconnected, and never hang longer than `commandTimeoutMs`.
 */
export function createLeaseRedis(options: {
  url: string;
  logger: Logger;
  commandTimeoutMs?: number;
}): LeaseRedis {
  const timeoutMs = options.commandTimeoutMs ?? 2_000;
  const client = createPlainRedisClient(options.url, timeoutMs);
  // Reported by the lease (once per outage); without a listener node-redis would stop reconnecting.
  client.on('error', (error: unknown) => {
    options.logger.debug({ err: messageOf(error) }, 'lease connection error');
  });
  client.connect().catch(() => undefined);

  async function run<T>(command: () => Promise<T>): Promise<T> {
    if (!client.isReady) throw new Error('Redis is not connected');
    return withTimeout(command(), timeoutMs, 'Redis did not answer in time');
  }

  let closed = false;
  return {
    async acquire(key, value, ttlMs, mine) {
      const answer = await run(() =>
        client.eval(ACQUIRE, { keys: [key], arguments: [value, String(ttlMs), mine] }),
      );
      return answer === 1 ? 'acquired' : 'taken';
    },
    async renew(key, value, ttlMs) {
      const answer = await run(() => client.eval(RENEW, { keys: [key], arguments: [value, String(ttlMs)] }));
      return answer === 1 ? 'renewed' : answer === 2 ? 'reacquired' : 'taken';
    },
    async release(key, value) {
      return (await run(() => client.eval(RELEASE, { keys: [key], arguments: [value] }))) === 1;
    },
    async get(key) {
      return (await run(() => client.get(key))) ?? undefined;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (client.isReady) {
        await run(() => client.quit()).catch(() => undefined);
      }
      if (client.isOpen) await client.disconnect().catch(() => undefined);
    },
  };
}
