import { Keyv, type DeserializedData } from 'keyv';
import { UnreadableValue, type BackendKind, type BackendOptions, type KeyValueBackend } from './backend.js';

/** How the three backends use Keyv: plain JSON entries, failures that reject, errors that never crash. */

// Keyv's default serializer rewrites strings starting with ':'; plain JSON keeps stored data obvious.
export function serialize<Value>(data: DeserializedData<Value>): string {
  return JSON.stringify(data);
}

function deserialize<Value>(raw: string): DeserializedData<Value> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { value: new UnreadableValue(raw, 'not JSON') as Value };
  }
  if (typeof parsed === 'object' && parsed !== null && 'value' in parsed) {
    return parsed as DeserializedData<Value>;
  }
  return { value: new UnreadableValue(raw, 'not a Keyv entry') as Value };
}

export function createKeyv(store: unknown, options: BackendOptions, useKeyPrefix: boolean): Keyv {
  const keyv = new Keyv({
    store,
    namespace: options.namespace,
    useKeyPrefix,
    serialize,
    deserialize,
    // Without this Keyv turns a failed read into "absent", which would look like lost data.
    throwOnErrors: true,
  });
  // An 'error' event without a listener would kill the process; callers see the rejection anyway.
  keyv.on('error', (error: unknown) => {
    options.logger.debug({ err: error }, 'store backend reported an error');
  });
  return keyv;
}

/** The backend over a Keyv instance; `extra` supplies what differs per backend. */
export function wrapKeyv(
  kind: BackendKind,
  keyv: Keyv,
  extra: Pick<KeyValueBackend, 'ping' | 'close' | 'keys'> & Partial<Pick<KeyValueBackend, 'set' | 'delete'>>,
): KeyValueBackend {
  return {
    kind,
    get: (key) => keyv.get<unknown>(key),
    async getMany(keys) {
      if (keys.length === 0) return [];
      return keyv.getMany<unknown>([...keys]);
    },
    async set(key, value) {
      await keyv.set(key, value);
    },
    async delete(key) {
      await keyv.delete(key);
    },
    ...extra,
  };
}
