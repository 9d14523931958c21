import type KeyvSqlite from '@keyv/sqlite';

/** Rows per statement: two parameters each, far below SQLite's limit on parameters. */
const SQLITE_BATCH_ROWS = 200;

type PendingWrite = {
  key: string;
  /** The serialized entry; undefined deletes the key. */
  json: string | undefined;
  resolve(): void;
  reject(error: unknown): void;
};

export interface BatchedSqliteWriter {
  set(key: string, json: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Resolves once every write made so far is settled. */
  idle(): Promise<void>;
}

/**
 * SQLite commits every statement on its own, and a commit costs far more than a row: at 10,000 tracked
 * tasks the bot writes about a thousand records a second. Writes and deletes made while the previous
 * statement runs (or in the same turn of the event loop) go out together, one statement per run of
 * writes or of deletes, in the order they were made; each caller's promise settles when its row is
 * committed. Entries are stored exactly as Keyv stores them, so Keyv reads them back.
 */
export function createBatchedSqliteWriter(
  adapter: KeyvSqlite,
  prefixed: (key: string) => string,
): BatchedSqliteWriter {
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
      for (const run of runsOf(batch)) await execute(adapter, table, run);
    }
    running = undefined;
  }

  return {
    set: (key, json) => enqueue(key, json),
    delete: (key) => enqueue(key, undefined),
    async idle() {
      while (running) await running;
    },
  };
}

/** Writes one run in statements of at most SQLITE_BATCH_ROWS rows, settling each row's caller. */
async function execute(adapter: KeyvSqlite, table: string, run: PendingWrite[]): Promise<void> {
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
