import KeyvRedis, { type RedisClientType } from '@keyv/redis';
import type { Logger } from '../../ops/logger.js';
import {
  StoreUnavailableError,
  answeringWithin,
  messageOf,
  withTimeout,
  type BackendOptions,
  type KeyValueBackend,
} from './backend.js';
import { createKeyv, wrapKeyv } from './keyv.js';
import { createPlainRedisClient } from './redis-client.js';
import { createFencedWrites } from './redis-fence.js';

/**
 * `redis://` or `rediss://`: opens even while Redis is down (operations reject until it is back) and
 * reconnects by itself.
 */
export async function openRedis(options: BackendOptions): Promise<KeyValueBackend> {
  const { logger, connectTimeoutMs } = options;
  const client = createPlainRedisClient(options.url, connectTimeoutMs);
  const connection = watchConnection(client, logger);

  // Connects in the background and keeps retrying; never an unhandled rejection.
  client.connect().catch((error: unknown) => {
    connection.lastError = messageOf(error);
  });
  const ready = await waitUntil(() => client.isReady, client, 'ready', connectTimeoutMs);
  if (ready) logger.info({ store: 'redis' }, 'store opened');
  else {
    logger.warn(
      { store: 'redis', err: connection.lastError },
      'Redis not reachable yet; retrying in the background',
    );
  }

  const adapter = new KeyvRedis(client, { keyPrefixSeparator: ':', throwErrors: true });
  // Keyv hands its namespace to KeyvRedis, which prefixes keys itself: Keyv must not add a second.
  const keyv = createKeyv(adapter, options, false);
  const fenced = options.fence
    ? createFencedWrites({
        client,
        fence: options.fence,
        prefixed: (key) => adapter.createKeyPrefix(key, adapter.namespace),
        logger,
      })
    : {};

  let closed = false;
  const backend = wrapKeyv('redis', keyv, {
    ...fenced,
    async keys(prefix) {
      // The namespace is letters, digits and `_.-:` (tracking-store.ts): nothing there is a glob character.
      const namespacePrefix = `${options.namespace}:`;
      const found: string[] = [];
      for await (const key of client.scanIterator({ MATCH: `${namespacePrefix}${prefix}*`, COUNT: 1_000 })) {
        found.push(key.slice(namespacePrefix.length));
      }
      return found;
    },
    async ping() {
      if (!client.isReady) {
        const why = connection.lastError ? `: ${connection.lastError}` : '';
        throw new StoreUnavailableError(`Redis is not connected${why}`);
      }
      try {
        await withTimeout(client.ping(), connectTimeoutMs, 'Redis did not answer PING in time');
      } catch (error) {
        throw new StoreUnavailableError(`Redis does not answer: ${messageOf(error)}`);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (client.isReady) {
        try {
          await withTimeout(client.quit(), connectTimeoutMs, 'Redis QUIT timed out');
          return;
        } catch {
          // Fall through to a hard disconnect.
        }
      }
      if (client.isOpen) await client.disconnect().catch(() => undefined);
    },
  });
  return answeringWithin(backend, options.commandTimeoutMs ?? connectTimeoutMs);
}

/**
 * Logs each outage once (and its end), and keeps the last connection error for ping's answer.
 * node-redis emits 'error' on every failed (re)connect; without a listener it stops reconnecting,
 * and an error on a live connection would kill the process.
 */
function watchConnection(client: RedisClientType, logger: Logger): { lastError: string | undefined } {
  const connection: { lastError: string | undefined } = { lastError: undefined };
  let down = false;
  let everReady = false;
  client.on('error', (error: unknown) => {
    connection.lastError = messageOf(error);
    if (!down) {
      const what = everReady ? 'Redis connection lost; reconnecting' : 'Redis unreachable; retrying';
      logger.warn({ store: 'redis', err: connection.lastError }, what);
    }
    down = true;
  });
  client.on('ready', () => {
    if (down && everReady) logger.info({ store: 'redis' }, 'Redis connection restored');
    everReady = true;
    down = false;
    connection.lastError = undefined;
  });
  return connection;
}

/** Resolves true once `condition` holds (checked on `event`), or false after `timeoutMs`. */
function waitUntil(
  condition: () => boolean,
  emitter: {
    once(event: string, listener: () => void): unknown;
    off(event: string, listener: () => void): unknown;
  },
  event: string,
  timeoutMs: number,
): Promise<boolean> {
  if (condition()) return Promise.resolve(true);
  return new Promise((resolveWait) => {
    const onEvent = () => {
      clearTimeout(timer);
      resolveWait(true);
    };
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      resolveWait(condition());
    }, timeoutMs);
    emitter.once(event, onEvent);
  });
}
