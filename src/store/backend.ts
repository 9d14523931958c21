import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Keyv, type DeserializedData } from 'keyv';
import KeyvRedis from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import type { Logger } from '../ops/logger.js';
import { createPlainRedisClient } from './backends/redis-client.js';

export type BackendKind = 'sqlite' | 'redis' | 'memory';

/**
 * The few key-value operations the tracking store needs, over Keyv. Values are plain JSON; a stored
 * value that is not readable JSON comes back as an {@link UnreadableValue} instead of throwing, so
 * the store can move it aside. Backend failures (Redis down, SQLite locked) reject.
 */
export interface KeyValueBackend {
  readonly kind: BackendKind;
  get(key: string): Promise<unknown>;
  getMany(keys: readonly string[]): Promise<unknown[]>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Rejects when the backend does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a stored value that could not be parsed looks like to the store. */
export class UnreadableValue {
  constructor(
    readonly raw: string,
    readonly reason: string,
  ) {}
}

/** Raised when the backend cannot be reached; its message is safe to show on /healthz. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

export interface BackendOptions {
  url: string;
  namespace: string;
  logger: Logger;
  /** How long to wait for Redis at start and for a ping answer. */
  connectTimeoutMs: number;
}

export async function openBackend(options: BackendOptions): Promise<KeyValueBackend> {
  const { url } = options;
  if (url.startsWith('sqlite://')) return openSqlite(options);
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return openRedis(options);
  if (url.startsWith('memory://')) return openMemory(options);
  throw new Error('Unsupported store URL: expected sqlite://<path>, redis://<host>:<port> or memory://');
}

// Keyv's default serializer rewrites strings starting with ':'; plain JSON keeps stored data obvious.
function serialize<Value>(data: DeserializedData<Value>): string {
  return JSON.stringify(data);
}

function deserialize<Value>(raw: string): DeserializedData<Value> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { value: new UnreadableValue(raw, 'not JSON') as Value };
  }
  if (typeof parsed === 'object' && parsed !== null && 'value' in parsed) {
    return parsed as DeserializedData<Value>;
  }
  return { value: new UnreadableValue(raw, 'not a Keyv entry') as Value };
}

function wrapKeyv(
  kind: BackendKind,
  keyv: Keyv,
  extra: Pick<KeyValueBackend, 'ping' | 'close'> & Partial<Pick<KeyValueBackend, 'set' | 'delete'>>,
) {
  const backend: KeyValueBackend = {
    kind,
    get: (key) => keyv.get<unknown>(key),
    async getMany(keys) {
      if (keys.length === 0) return [];
      return keyv.getMany<unknown>([...keys]);
    },
    async set(key, value) {
      await keyv.set(key, value);
    },
    async delete(key) {
      await keyv.delete(key);
    },
    ...extra,
  };
  return backend;
}

function createKeyv(store: unknown, options: BackendOptions, useKeyPrefix: boolean): Keyv {
  const keyv = new Keyv({
    store,
    namespace: options.namespace,
    useKeyPrefix,
    serialize,
    deserialize,
    // Without this Keyv turns a failed read into "absent", which would look like lost data.
    throwOnErrors: true,
  });
  // An 'error' event without a listener would kill the process; callers see the rejection anyway.
  keyv.on('error', (error: unknown) => {
    options.logger.debug({ err: error }, 'store backend reported an error');
  });
  return keyv;
}

function openMemory(options: BackendOptions): KeyValueBackend {
  const keyv = createKeyv(new Map(), options, true);
  return wrapKeyv('memory', keyv, {
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  });
}

async function openSqlite(options: BackendOptions): Promise<KeyValueBackend> {
  const file = resolve(options.url.slice('sqlite://'.length));
  await mkdir(dirname(file), { recursive: true });
  // busyTimeout: an operator CLI reading the same file must not make our writes fail at once.
  const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 5_000 });
  const keyv = createKeyv(adapter, options, true);
  try {
    // WAL: a process killed mid-write leaves the last committed state readable, and readers never
    // block the writer. synchronous=NORMAL is still safe against a process crash (not power loss).
    await adapter.query('PRAGMA journal_mode = WAL');
    await adapter.query('PRAGMA synchronous = NORMAL');
  } catch (error) {
    throw new StoreUnavailableError(`Cannot open the SQLite store at ${file}: ${messageOf(error)}`);
  }
  options.logger.info({ store: 'sqlite', file }, 'store opened');
  const writer = createBatchedSqliteWriter(adapter, (key) => keyv._getKeyPrefix(key));
  return wrapKeyv('sqlite', keyv, {
    set: (key, value) => writer.set(key, serialize({ value })),
    delete: (key) => writer.delete(key),
    async ping() {
      try {
        await adapter.query('SELECT 1');
      } catch (error) {
        throw new StoreUnavailableError(`SQLite store does not answer: ${messageOf(error)}`);
      }
    },
    async close() {
      await writer.idle();
      await adapter.disconnect();
    },
  });
}

/** Rows per statement: two parameters each, far below SQLite's limit on parameters. */
const SQLITE_BATCH_ROWS = 200;

type PendingWrite = {
  key: string;
  /** The serialized entry; undefined deletes the key. */
  json: string | undefined;
  resolve(): void;
  reject(error: unknown): void;
};

/**
 * SQLite commits every statement on its own, and a commit costs far more than a row: at 10,000 tracked
 * tasks the bot writes about a thousand records a second. Writes and deletes made while the previous
 * statement runs (or in the same turn of the event loop) go out together, one statement per run of
 * writes or of deletes, in the order they were made; each caller's promise settles when its row is
 * committed. Entries are stored exactly as Keyv stores them, so Keyv reads them back.
 */
function createBatchedSqliteWriter(adapter: KeyvSqlite, prefixed: (key: string) => string) {
  const table = adapter.opts.table ?? 'keyv';
  let queue: PendingWrite[] = [];
  let running: Promise<void> | undefined;

  const enqueue = (key: string, json: string | undefined) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ key: prefixed(key), json, resolve, reject });
      running ??= new Promise<void>((started) => setImmediate(started)).then(drain);
    });

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      for (const run of runsOf(batch)) await execute(run);
    }
    running = undefined;
  }

  async function execute(run: PendingWrite[]): Promise<void> {
    for (let start = 0; start < run.length; start += SQLITE_BATCH_ROWS) {
      const chunk = run.slice(start, start + SQLITE_BATCH_ROWS);
      try {
        if (chunk[0]!.json === undefined) {
          await adapter.query(
            `DELETE FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`,
            JSON.stringify(chunk.map((write) => write.key)),
          );
        } else {
          // One row per key, the last write of it: an upsert may not touch a row twice.
          const latest = new Map(chunk.map((write) => [write.key, write.json!]));
          await adapter.query(
            `INSERT INTO ${table} (key, value) VALUES ${[...latest.keys()].map(() => '(?, ?)').join(', ')}
             ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
            ...[...latest].flat(),
          );
        }
        for (const write of chunk) write.resolve();
      } catch (error) {
        for (const write of chunk) write.reject(error);
      }
    }
  }

  return {
    set: (key: string, json: string) => enqueue(key, json),
    delete: (key: string) => enqueue(key, undefined),
    /** Resolves once every write made so far is settled. */
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}

/** Consecutive writes of one kind (upserts, or deletes), in order. */
function runsOf(batch: readonly PendingWrite[]): PendingWrite[][] {
  const runs: PendingWrite[][] = [];
  for (const write of batch) {
    const last = runs[runs.length - 1];
    if (last && (last[0]!.json === undefined) === (write.json === undefined)) last.push(write);
    else runs.push([write]);
  }
  return runs;
}

async function openRedis(options: BackendOptions): Promise<KeyValueBackend> {
  const { logger, connectTimeoutMs } = options;
  const client = createPlainRedisClient(options.url, connectTimeoutMs);

  let lastError: string | undefined;
  let down = false;
  let everReady = false;
  // node-redis emits 'error' on every failed (re)connect; without a listener it stops reconnecting,
  // and an error on a live connection would kill the process. Log each outage once.
  client.on('error', (error: unknown) => {
    lastError = messageOf(error);
    if (!down) {
      const what = everReady ? 'Redis connection lost; reconnecting' : 'Redis unreachable; retrying';
      logger.warn({ store: 'redis', err: lastError }, what);
    }
    down = true;
  });
  client.on('ready', () => {
    if (down && everReady) logger.info({ store: 'redis' }, 'Redis connection restored');
    everReady = true;
    down = false;
    lastError = undefined;
  });

  // Connects in the background and keeps retrying; never an unhandled rejection.
  client.connect().catch((error: unknown) => {
    lastError = messageOf(error);
  });
  const ready = await waitUntil(() => client.isReady, client, 'ready', connectTimeoutMs);
  if (ready) logger.info({ store: 'redis' }, 'store opened');
  else logger.warn({ store: 'redis', err: lastError }, 'Redis not reachable yet; retrying in the background');

  const adapter = new KeyvRedis(client, { keyPrefixSeparator: ':', throwErrors: true });
  // Keyv hands its namespace to KeyvRedis, which prefixes keys itself: Keyv must not add a second.
  const keyv = createKeyv(adapter, options, false);

  let closed = false;
  return wrapKeyv('redis', keyv, {
    async ping() {
      if (!client.isReady) {
        throw new StoreUnavailableError(`Redis is not connected${lastError ? `: ${lastError}` : ''}`);
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

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
