import { z } from 'zod';
import type { Logger } from '../ops/logger.js';
import { UnreadableValue, openBackend, type KeyValueBackend } from './backends/index.js';

/**
 * The layout record, `<namespace>:layout` in the base namespace: which SHARD_COUNT the tracked data is
 * laid out for. `cleaning`: the data was copied to `shardCount`'s namespaces and those of `previous`
 * are still to be deleted (docs/scaling.md#changing-shard_count).
 */
export interface ShardLayout {
  shardCount: number;
  state: 'ready' | 'cleaning';
  previous?: number | undefined;
}

const LAYOUT_KEY = 'layout';

const layoutSchema = z.object({
  v: z.literal(1),
  shardCount: z.number().int().positive(),
  state: z.enum(['ready', 'cleaning']),
  previous: z.number().int().positive().optional(),
});

export interface LayoutStore {
  /** Undefined when no layout was ever written. Rejects on a record it cannot read: never guess. */
  read(): Promise<ShardLayout | undefined>;
  write(layout: ShardLayout): Promise<void>;
  /** Every stored key of the base namespace with this prefix (the shard namespaces included). */
  keys(prefix: string): Promise<string[]>;
  /** Raw stored values of keys of the base namespace (undefined when absent). */
  getMany(keys: readonly string[]): Promise<unknown[]>;
  close(): Promise<void>;
}

export async function openLayoutStore(options: {
  url: string;
  namespace: string;
  logger: Logger;
}): Promise<LayoutStore> {
  const backend = await openBackend({ ...options, connectTimeoutMs: 5_000 });
  return layoutStoreOver(backend);
}

/** The layout record exists but cannot be read: stop rather than guess (waiting would not help). */
export class UnreadableLayoutError extends Error {
  override readonly name = 'UnreadableLayoutError';
}

export function layoutStoreOver(backend: KeyValueBackend): LayoutStore {
  return {
    async read() {
      const raw = await backend.get(LAYOUT_KEY);
      if (raw === undefined) return undefined;
      const parsed = raw instanceof UnreadableValue ? undefined : layoutSchema.safeParse(raw);
      if (!parsed?.success)
        throw new UnreadableLayoutError(`The store's layout record (${LAYOUT_KEY}) is unreadable`);
      const { shardCount, state, previous } = parsed.data;
      return { shardCount, state, ...(previous !== undefined ? { previous } : {}) };
    },
    async write(layout) {
      await backend.set(LAYOUT_KEY, { v: 1, ...layout });
    },
    keys: (prefix) => backend.keys(prefix),
    getMany: (keys) => backend.getMany(keys),
    close: () => backend.close(),
  };
}
