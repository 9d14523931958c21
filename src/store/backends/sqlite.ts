import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { StoreUnavailableError, messageOf, type BackendOptions, type KeyValueBackend } from './backend.js';
import { createKeyv, serialize, wrapKeyv } from './keyv.js';
import { createBatchedSqliteWriter } from './sqlite-batch-writer.js';

/** `sqlite://<path>`: one file, in WAL mode, written in batches. */
export async function openSqlite(options: BackendOptions): Promise<KeyValueBackend> {
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
    async keys(prefix) {
      await writer.idle();
      const full = keyv._getKeyPrefix(prefix);
      const table = adapter.opts.table ?? 'keyv';
      // substr, not LIKE: `_` in a namespace would be a wildcard there.
      const rows = (await adapter.query(
        `SELECT key FROM ${table} WHERE substr(key, 1, ?) = ?`,
        full.length,
        full,
      )) as { key: string }[];
      const namespaceLength = full.length - prefix.length;
      return rows.map((row) => row.key.slice(namespaceLength));
    },
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
