/**
 * The soak row's store figures. Retention bounds the live data (pages in use), not the file: SQLite keeps
 * freed pages for reuse unless the database runs with auto_vacuum (docs/performance.md#soak).
 */
import { stat } from 'node:fs/promises';
import sqlite3 from 'sqlite3';

export interface StoreSize {
  /** Pages in use × page size: what retention controls. */
  liveBytes: number;
  /** The file and its WAL on disk, free pages included. */
  fileBytes: number;
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

export async function measureStore(file: string): Promise<StoreSize> {
  // SQLite in WAL mode keeps recent pages in the -wal file.
  const fileBytes = (await sizeOf(file)) + (await sizeOf(`${file}-wal`));
  const liveBytes = await livePages(file).catch(() => 0);
  return { liveBytes, fileBytes };
}

/** (page_count − freelist_count) × page_size, read on a read-only connection of its own (WAL included). */
function livePages(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
      if (error) return reject(error);
      const query =
        'SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS pages, (SELECT page_size FROM pragma_page_size()) AS size';
      db.get(query, (queryError, row: { pages: number; size: number } | undefined) => {
        db.close();
        if (queryError || !row) return reject(queryError ?? new Error('no row'));
        resolve(row.pages * row.size);
      });
    });
  });
}

/** Task records still active or with delivery unfinished, for naming the tasks a stalled soak waits on. */
export function unfinishedTasks(file: string, limit: number): Promise<string[]> {
  const query = `SELECT value FROM keyv WHERE substr(key, 1, 18) = 'sora-tracker:task:' AND (json_extract(value, '$.value.state') = 'active' OR (json_extract(value, '$.value.delivery') IS NOT NULL AND json_extract(value, '$.value.delivery.finishedAt') IS NULL)) LIMIT ${limit}`;
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
      if (error) return reject(error);
      db.all(query, (queryError, rows: { value: string }[] | undefined) => {
        db.close();
        if (queryError) return reject(queryError);
        resolve((rows ?? []).map((row) => row.value));
      });
    });
  });
}
