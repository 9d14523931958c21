import type { z } from 'zod';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import { UnreadableValue, messageOf, type KeyValueBackend } from './backend.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { createRecordCache } from './record-cache.js';
import { storeKeys } from './keys.js';
import { RECORD_VERSION } from './records.js';

/** How one kind of record is checked and converted between its stored and its public shape. */
export interface Codec<Stored, Value> {
  kind: string;
  schema: z.ZodType<Stored>;
  fromStored(stored: Stored): Value;
  toStored(value: Value): unknown;
  /** Kept in the record cache (records read on every poll); indexes have a cache of their own. */
  cached?: boolean;
}

/** Raised when a caller tries to write a record that would not read back. */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError';
}

/**
 * Reads and writes validated records. A stored value that is not JSON or fails its schema is moved
 * to a quarantine key, logged with its key and issues, and reads as absent: one bad record never
 * stops the bot. A record written by a newer version is left alone and reads as absent.
 */
export interface RecordIo {
  read<S, V>(key: string, codec: Codec<S, V>): Promise<V | undefined>;
  readMany<S, V>(keys: readonly string[], codec: Codec<S, V>): Promise<(V | undefined)[]>;
  write<S, V>(key: string, value: V, codec: Codec<S, V>): Promise<void>;
  /** Deletes a record. */
  remove(key: string): Promise<void>;
}

/**
 * Upgrades from older versions, keyed by the version they upgrade from. Empty while every stored
 * record is version 1; add `1: (old) => ({ ...old, v: 2, … })` together with RECORD_VERSION = 2.
 */
const MIGRATIONS: Readonly<Record<number, (old: Record<string, unknown>) => Record<string, unknown>>> = {};

const READ_BATCH = 200;

type Decoded<V> =
  | { kind: 'ok'; value: V }
  | { kind: 'absent' }
  | { kind: 'newer'; version: number }
  | { kind: 'invalid'; reason: string; issues: { path: string; message: string }[] };

export function createRecordIo(deps: {
  backend: KeyValueBackend;
  logger: Logger;
  clock: Clock;
  /** The per-key lock of record writes: a quarantine must not remove a record written meanwhile. */
  lock: KeyedMutex;
  /** Decoded records of cached codecs kept in memory, at most this many. 0: none. */
  maxCachedRecords?: number;
}): RecordIo {
  const { backend, logger, clock, lock } = deps;
  const cache = createRecordCache(deps.maxCachedRecords ?? 0);
  const warnedNewer = new Set<string>();

  function decode<S, V>(raw: unknown, codec: Codec<S, V>): Decoded<V> {
    if (raw === undefined || raw === null) return { kind: 'absent' };
    if (raw instanceof UnreadableValue) return { kind: 'invalid', reason: raw.reason, issues: [] };
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      return { kind: 'invalid', reason: 'not an object', issues: [] };
    }
    let record = raw as Record<string, unknown>;
    const version = record.v;
    if (typeof version === 'number' && version > RECORD_VERSION) return { kind: 'newer', version };
    for (let v = version; typeof v === 'number' && v < RECORD_VERSION; v = record.v) {
      const migrate = MIGRATIONS[v];
      if (!migrate) break;
      record = migrate(record);
    }
    const result = codec.schema.safeParse(record);
    if (!result.success) {
      return {
        kind: 'invalid',
        reason: `not a valid ${codec.kind} record`,
        issues: result.error.issues.slice(0, 10).map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
        })),
      };
    }
    return { kind: 'ok', value: codec.fromStored(result.data) };
  }

  async function settle<V>(key: string, raw: unknown, decoded: Decoded<V>): Promise<V | undefined> {
    switch (decoded.kind) {
      case 'ok':
        return decoded.value;
      case 'absent':
        return undefined;
      case 'newer':
        if (!warnedNewer.has(key)) {
          warnedNewer.add(key);
          logger.warn(
            { key, version: decoded.version, supported: RECORD_VERSION },
            'store record written by a newer version; ignored and left in place',
          );
        }
        return undefined;
      case 'invalid':
        await quarantine(key, raw, decoded.reason, decoded.issues);
        return undefined;
    }
  }

  async function quarantine(
    key: string,
    raw: unknown,
    reason: string,
    issues: { path: string; message: string }[],
  ): Promise<void> {
    try {
      await lock.run(key, async () => {
        // Replaced by a good write since we read it: nothing to move aside.
        if (!sameStoredValue(await backend.get(key), raw)) return;
        const at = clock.now();
        const quarantineKey = storeKeys.quarantine(key, at);
        const original = raw instanceof UnreadableValue ? raw.raw : raw;
        await backend.set(quarantineKey, { key, at, reason, issues, original });
        cache.forget(key);
        await backend.delete(key);
        logger.error(
          { key, quarantineKey, reason, issues },
          'store record failed validation; moved aside and treated as absent',
        );
      });
    } catch (error) {
      logger.error(
        { key, reason, issues, err: messageOf(error) },
        'invalid store record could not be moved aside',
      );
    }
  }

  /** Reads and decodes keys from the backend; fills the cache for cached codecs. */
  async function load<S, V>(keys: readonly string[], codec: Codec<S, V>): Promise<(V | undefined)[]> {
    const tickets = codec.cached ? keys.map((key) => cache.beginRead(key)) : [];
    const values: (V | undefined)[] = [];
    try {
      const raws = keys.length === 1 ? [await backend.get(keys[0]!)] : await backend.getMany(keys);
      for (const [i, key] of keys.entries()) values.push(await settle(key, raws[i], decode(raws[i], codec)));
    } finally {
      // Every ticket is settled, found or not, so a failed read leaves no key marked as being read.
      keys.forEach((key, i) => {
        if (codec.cached) cache.fill(key, tickets[i]!, values[i]);
      });
    }
    return values;
  }

  async function read<S, V>(key: string, codec: Codec<S, V>): Promise<V | undefined> {
    if (codec.cached) {
      const hit = cache.get(key);
      if (hit !== undefined) return hit as V;
    }
    return (await load([key], codec))[0];
  }

  async function readMany<S, V>(keys: readonly string[], codec: Codec<S, V>): Promise<(V | undefined)[]> {
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
  }

  return {
    read,
    readMany,

    async write(key, value, codec) {
      const result = codec.schema.safeParse(codec.toStored(value));
      if (!result.success) {
        const where = result.error.issues
          .slice(0, 5)
          .map((issue) => `${issue.path.map(String).join('.') || '(record)'}: ${issue.message}`)
          .join('; ');
        throw new InvalidRecordError(`Refusing to store an invalid ${codec.kind} record (${where})`);
      }
      // The parsed form: unknown fields dropped, so only what reads back is stored.
      try {
        await backend.set(key, result.data);
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

function sameStoredValue(a: unknown, b: unknown): boolean {
  if (a instanceof UnreadableValue || b instanceof UnreadableValue) {
    return a instanceof UnreadableValue && b instanceof UnreadableValue && a.raw === b.raw;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}
