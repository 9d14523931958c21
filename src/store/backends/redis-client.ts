import { createClient, type RedisClientType } from '@keyv/redis';

/**
 * A plain node-redis client (no modules: the type KeyvRedis expects) as the store and the shard leases
 * use it: commands fail fast while disconnected instead of hanging their callers for a whole outage,
 * and it reconnects forever, backing off to 2 s. Callers must listen for 'error' (without a listener
 * node-redis stops reconnecting) and call connect().
 */
export function createPlainRedisClient(url: string, connectTimeoutMs: number): RedisClientType {
  return createClient<Record<string, never>, Record<string, never>, Record<string, never>>({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2_000),
    },
  });
}
