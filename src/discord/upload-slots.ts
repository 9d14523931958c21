import { readFile } from 'node:fs/promises';
import type { RawFile } from 'discord.js';

/** Uploads at once: each holds its whole file in memory while Discord takes it. */
export const UPLOADS_AT_ONCE = 3;

/**
 * Runs an upload with its file read from disk only when its turn has come, at most `limit` at a time: a
 * burst of finished tasks waits as paths on disk, not as videos on the heap.
 */
export function createUploadSlots(limit = UPLOADS_AT_ONCE) {
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (active < limit) {
      active++;
      return;
    }
    // A finished upload hands its slot straight to the next one: `active` stays as it is.
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    /** `send` gets the file's bytes (none when `file` is undefined); without a file it runs at once. */
    async upload<T>(
      file: (Omit<RawFile, 'data'> & { path: string }) | undefined,
      send: (files: RawFile[]) => Promise<T>,
    ): Promise<T> {
      if (file === undefined) return send([]);
      await acquire();
      try {
        const { path, ...described } = file;
        return await send([{ ...described, data: await readFile(path) }]);
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
  };
}

export type UploadSlots = ReturnType<typeof createUploadSlots>;
