import type { Logger } from '../../ops/logger.js';

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
  /**
   * Every stored key of this namespace that starts with `prefix` (without the namespace), in no order.
   * A scan of the namespace: for moving a namespace at start (src/cluster/reshard.ts), not for hot paths.
   */
  keys(prefix: string): Promise<string[]>;
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
  override readonly name: string = 'StoreUnavailableError';
}

/**
 * A write refused by the lease fence: the shard's lease now holds another term, so this app is stale
 * and another may already run the shard. Callers treat it as any store failure (retry later); the app
 * is being stopped anyway.
 */
export class FencedOutError extends StoreUnavailableError {
  override readonly name: string = 'FencedOutError';
  constructor() {
    super('this process no longer holds the shard lease; write refused');
  }
}

/** Whether a store operation failed because the app's lease term is over (logged once by the store). */
export function isFencedOut(error: unknown): boolean {
  return error instanceof FencedOutError;
}

/** Writes land only while the Redis key `key` holds exactly `value`: the shard lease's term. */
export interface WriteFence {
  key: string;
  value: string;
}

export interface BackendOptions {
  url: string;
  namespace: string;
  logger: Logger;
  /** How long to wait for Redis at start and for a ping answer. */
  connectTimeoutMs: number;
  /** Redis only: how long one operation may wait for its answer; default `connectTimeoutMs`. */
  commandTimeoutMs?: number | undefined;
  /** Redis only: refuse every write unless the lease still holds this term (docs/scaling.md#fencing). */
  fence?: WriteFence | undefined;
}

/** Rejects with `message` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The backend with every read and write given up after `ms` (StoreUnavailableError): a connection that
 * accepts but never answers must not hold a poll, and the task lock it holds, for ever. The command
 * stays queued on its connection, so later commands still reach Redis after it, in order.
 */
export function answeringWithin(backend: KeyValueBackend, ms: number): KeyValueBackend {
  const bounded =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await withTimeout(operation(...args), ms, TIMED_OUT);
      } catch (error) {
        if (error instanceof Error && error.message === TIMED_OUT) {
          throw new StoreUnavailableError(`Redis did not answer within ${ms} ms`);
        }
        throw error;
      }
    };
  return {
    ...backend,
    get: bounded((key: string) => backend.get(key)),
    getMany: bounded((keys: readonly string[]) => backend.getMany(keys)),
    set: bounded((key: string, value: unknown) => backend.set(key, value)),
    delete: bounded((key: string) => backend.delete(key)),
    keys: bounded((prefix: string) => backend.keys(prefix)),
  };
}
const TIMED_OUT = 'store operation timed out';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
