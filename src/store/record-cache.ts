/**
 * A bounded, write-through copy of decoded records, so that the reads of every poll (the task, its
 * subscriptions) cost no round trip, no JSON parse and no validation. Correct only while this process
 * is the one writer of its namespace: one bot process per store, or per shard with its lease.
 *
 * Values are frozen: a caller that changed a record it read would otherwise change what later reads see.
 * A read that was in flight while its key was written or deleted does not fill the cache, so a slow read
 * never brings back an older value.
 */
export interface RecordCache {
  get(key: string): unknown;
  /** Call before reading `key` from the backend; returns the ticket for `fill`. */
  beginRead(key: string): number;
  /** Stores what a read found, unless the key changed since `beginRead`. Always call once per ticket. */
  fill(key: string, ticket: number, value: unknown): void;
  /** After a successful write. */
  set(key: string, value: unknown): void;
  /** After a delete, or a write whose outcome is unknown (the backend failed). */
  forget(key: string): void;
  readonly size: number;
}

export function createRecordCache(maxRecords: number): RecordCache {
  const values = new Map<string, unknown>();
  /** Reads in flight per key, and the last change to the key made while they were. */
  const reading = new Map<string, { count: number; changedAt: number }>();
  let sequence = 0;

  const changed = (key: string) => {
    const inFlight = reading.get(key);
    if (inFlight) inFlight.changedAt = ++sequence;
  };

  const remember = (key: string, value: unknown) => {
    if (maxRecords <= 0) return;
    values.delete(key);
    values.set(key, deepFreeze(value));
    // Least recently used first: Map keeps insertion order and hits move a key to the end.
    while (values.size > maxRecords) {
      const oldest = values.keys().next();
      if (oldest.done) break;
      values.delete(oldest.value);
    }
  };

  return {
    get(key) {
      const value = values.get(key);
      if (value !== undefined) {
        values.delete(key);
        values.set(key, value);
      }
      return value;
    },
    beginRead(key) {
      const inFlight = reading.get(key);
      if (inFlight) inFlight.count += 1;
      else reading.set(key, { count: 1, changedAt: 0 });
      return ++sequence;
    },
    fill(key, ticket, value) {
      const inFlight = reading.get(key);
      if (!inFlight) return;
      const untouched = inFlight.changedAt < ticket;
      inFlight.count -= 1;
      if (inFlight.count === 0) reading.delete(key);
      if (untouched && value !== undefined) remember(key, value);
    },
    set(key, value) {
      changed(key);
      remember(key, value);
    },
    forget(key) {
      changed(key);
      values.delete(key);
    },
    get size() {
      return values.size;
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
