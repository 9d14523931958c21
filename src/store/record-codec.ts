import type { z } from 'zod';
import { UnreadableValue } from './backends/index.js';
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

export type RecordIssue = { path: string; message: string };

/** What a stored value turned out to be. */
export type Decoded<V> =
  | { kind: 'ok'; value: V }
  | { kind: 'absent' }
  | { kind: 'newer'; version: number }
  | { kind: 'invalid'; reason: string; issues: RecordIssue[] };

/**
 * Upgrades from older versions, keyed by the version they upgrade from. Empty while every stored
 * record is version 1; add `1: (old) => ({ ...old, v: 2, … })` together with RECORD_VERSION = 2.
 */
const MIGRATIONS: Readonly<Record<number, (old: Record<string, unknown>) => Record<string, unknown>>> = {};

/** Reads a raw stored value as a record of `codec`'s kind, migrating an older version first. */
export function decodeRecord<S, V>(raw: unknown, codec: Codec<S, V>): Decoded<V> {
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

/**
 * The stored form of a record: the parsed one, so unknown fields are dropped and only what reads back
 * is stored. Throws {@link InvalidRecordError} for a record that would not read back.
 */
export function encodeRecord<S, V>(value: V, codec: Codec<S, V>): S {
  const result = codec.schema.safeParse(codec.toStored(value));
  if (!result.success) {
    const where = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.map(String).join('.') || '(record)'}: ${issue.message}`)
      .join('; ');
    throw new InvalidRecordError(`Refusing to store an invalid ${codec.kind} record (${where})`);
  }
  return result.data;
}
