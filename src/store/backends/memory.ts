import type { BackendOptions, KeyValueBackend } from './backend.js';
import { createKeyv, wrapKeyv } from './keyv.js';

/** `memory://`: a Map, gone with the process (tests, trying the bot out). */
export function openMemory(options: BackendOptions): KeyValueBackend {
  const keyv = createKeyv(new Map(), options, true);
  return wrapKeyv('memory', keyv, {
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  });
}
