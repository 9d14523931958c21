import type { Logger } from '../ops/logger.js';
import { openBackend, type KeyValueBackend } from './backends/index.js';

/**
 * A namespace's records as raw keys, for moving a namespace (src/cluster/reshard.ts): which tasks it
 * holds, and deleting what it holds. Not for a namespace some process is running.
 */

/** The key kinds of the tracking store (keys.ts); quarantined records stay for the operator. */
const RECORD_PREFIXES = ['task:', 'sub:', 'idx:', 'meta:'] as const;

export interface NamespaceRecords {
  /** Ids of every task record, active or ended. */
  taskIds(): Promise<string[]>;
  /** Deletes every task, subscription and index record; resolves with how many keys went. */
  clear(): Promise<number>;
  close(): Promise<void>;
}

export async function openNamespaceRecords(options: {
  url: string;
  namespace: string;
  logger: Logger;
}): Promise<NamespaceRecords> {
  const backend = await openBackend({ ...options, connectTimeoutMs: 5_000 });
  return namespaceRecordsOver(backend);
}

export function namespaceRecordsOver(backend: KeyValueBackend): NamespaceRecords {
  return {
    async taskIds() {
      const keys = await backend.keys('task:');
      return keys.map((key) => decodeURIComponent(key.slice('task:'.length)));
    },
    async clear() {
      let deleted = 0;
      for (const prefix of RECORD_PREFIXES) {
        const keys = await backend.keys(prefix);
        for (let start = 0; start < keys.length; start += 200) {
          await Promise.all(keys.slice(start, start + 200).map((key) => backend.delete(key)));
        }
        deleted += keys.length;
      }
      return deleted;
    },
    close: () => backend.close(),
  };
}
