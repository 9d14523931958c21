import type { BackendOptions, KeyValueBackend } from './backend.js';
import { openMemory } from './memory.js';
import { openRedis } from './redis.js';
import { openSqlite } from './sqlite.js';

export {
  FencedOutError,
  isFencedOut,
  StoreUnavailableError,
  UnreadableValue,
  messageOf,
  withTimeout,
  type BackendKind,
  type BackendOptions,
  type KeyValueBackend,
  type WriteFence,
} from './backend.js';

/** Opens the backend the store URL names. */
export async function openBackend(options: BackendOptions): Promise<KeyValueBackend> {
  const { url } = options;
  if (url.startsWith('sqlite://')) return openSqlite(options);
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return openRedis(options);
  if (url.startsWith('memory://')) return openMemory(options);
  throw new Error('Unsupported store URL: expected sqlite://<path>, redis://<host>:<port> or memory://');
}
