import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { KeyValueBackend } from './backends/index.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { createRecordCache } from './record-cache.js';
import { decodeRecord, encodeRecord, type Codec } from './record-codec.js';
import { createUnusableRecords } from './unusable-records.js';

export { InvalidRecordError, type Codec } from './record-codec.js';

/**
 * Reads and writes validated records. A stored value that is not JSON or fails its schema is moved
 * to a quarantine key, logged with its key and issues, and reads as absent: one bad record never
 * stops the bot. A record written by a newer version is left alone and reads as absent.
 */
export interface RecordIo {
  /** `lockHeld`: the caller holds the key's lock, so an invalid record is moved aside under it. */
  read<S, V>(key: string, codec: Codec<S, V>, lockHeld?: boolean): Promise<V | undefined>;
  readMany<S, V>(keys: readonly string[], codec: Codec<S, V>): Promise<(V | undefined)[]>;
  write<S, V>(key: string, value: V, codec: Codec<S, V>): Promise<void>;
  /** Deletes a record. */
  remove(key: string): Promise<void>;
}

const READ_BATCH = 200;

export interface RecordIoDeps {
  backend: KeyValueBackend;
  logger: Logger;
  clock: Clock;
  /** The per-key lock of record writes: a quarantine must not remove a record written meanwhile. */
  lock: KeyedMutex;
  /** Decoded records of cached codecs kept in memory, at most this many. 0: none. */
  maxCachedRecords?: number;
}

export function createRecordIo(deps: RecordIoDeps): RecordIo {
  const { backend, logger, clock, lock } = deps;
  const cache = createRecordCache(deps.maxCachedRecords ?? 0);
  const unusable = createUnusableRecords({
    backend,
    logger,
    clock,
    lock,
    forget: (key) => cache.forget(key),
  });

  /** Reads and decodes keys from the backend; fills the cache for cached codecs. */
  async function load<S, V>(keys: readonly string[], codec: Codec<S, V>, lockHeld = false) {
    const tickets = codec.cached ? keys.map((key) => cache.beginRead(key)) : [];
    const values: (V | undefined)[] = [];
    try {
      const raws = keys.length === 1 ? [await backend.get(keys[0]!)] : await backend.getMany(keys);
      for (const [i, key] of keys.entries()) {
        values.push(await unusable.settle(key, raws[i], decodeRecord(raws[i], codec), lockHeld));
      }
    } finally {
      // Every ticket is settled, found or not, so a failed read leaves no key marked as being read.
      keys.forEach((key, i) => {
        if (codec.cached) cache.fill(key, tickets[i]!, values[i]);
      });
    }
    return values;
  }

  return {
    async read<S, V>(key: string, codec: Codec<S, V>, lockHeld = false) {
      if (codec.cached) {
        const hit = cache.get(key);
        if (hit !== undefined) return hit as V;
      }
      return (await load([key], codec, lockHeld))[0];
    },

    async readMany<S, V>(keys: readonly string[], codec: Codec<S, V>) {
      const found = new Map<string, V | undefined>();
      const missing: string[] = [];
      for (const key of keys) {
        const hit = codec.cached ? (cache.get(key) as V | undefined) : undefined;
        if (hit !== undefined) found.set(key, hit);
        else missing.push(key);
      }
      for (let start = 0; start < missing.length; start += READ_BATCH) {
        const batch = missing.slice(start, start + READ_BATCH);
        const loaded = await load(batch, codec);
        batch.forEach((key, i) => found.set(key, loaded[i]));
      }
      return keys.map((key) => found.get(key));
    },

    async write(key, value, codec) {
      const stored = encodeRecord(value, codec);
      try {
        await backend.set(key, stored);
      } catch (error) {
        // Written or not: the next read asks the backend.
        cache.forget(key);
        throw error;
      }
      // The record itself, frozen: records are replaced, never changed, and a copy per write would be
      // garbage that outlives the young generation (thousands of polls a minute).
      if (codec.cached) cache.set(key, value);
    },

    async remove(key) {
      cache.forget(key);
      try {
        await backend.delete(key);
      } finally {
        cache.forget(key);
      }
    },
  };
}
