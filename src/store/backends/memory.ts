import type { BackendOptions, KeyValueBackend } from './backend.js';
import { createKeyv, wrapKeyv } from './keyv.js';

/** `memory://`: a Map, gone with the process (tests, trying the bot out). */
export function openMemory(options: BackendOptions): KeyValueBackend {
  const entries = new Map<string, unknown>();
  const keyv = createKeyv(entries, options, true);
  const namespacePrefix = `${options.namespace}:`;
  return wrapKeyv('memory', keyv, {
    keys: (prefix) =>
      Promise.resolve(
        [...entries.keys()]
          .filter((key) => key.startsWith(namespacePrefix + prefix))
          .map((key) => key.slice(namespacePrefix.length)),
      ),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  });
}
