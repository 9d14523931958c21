import { UnreadableValue, messageOf } from './backends/index.js';
import { storeKeys } from './keys.js';
import type { Decoded, RecordIssue } from './record-codec.js';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduling/clock.js';
import type { KeyValueBackend } from './backends/index.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { RECORD_VERSION } from './records.js';

/**
 * What becomes of a stored value once decoded: a good record is returned; an invalid one is moved to a
 * quarantine key and logged with its key and issues; one written by a newer version is left alone and
 * warned about once. Both of the latter read as absent, so one bad record never stops the bot.
 */
export interface UnusableRecords {
  /** `lockHeld`: the caller holds the key's lock, so a quarantine runs under it instead of waiting for it. */
  settle<V>(key: string, raw: unknown, decoded: Decoded<V>, lockHeld?: boolean): Promise<V | undefined>;
}

export function createUnusableRecords(deps: {
  backend: KeyValueBackend;
  logger: Logger;
  clock: Clock;
  /** The per-key lock of record writes: a quarantine must not remove a record written meanwhile. */
  lock: KeyedMutex;
  /** Drops a quarantined key from the record cache. */
  forget(key: string): void;
}): UnusableRecords {
  const { backend, logger, clock, lock } = deps;
  const warnedNewer = new Set<string>();

  async function quarantine(
    key: string,
    raw: unknown,
    reason: string,
    issues: RecordIssue[],
    lockHeld: boolean,
  ): Promise<void> {
    const locked = (work: () => Promise<void>) => (lockHeld ? work() : lock.run(key, work));
    try {
      await locked(async () => {
        // Replaced by a good write since we read it: nothing to move aside.
        if (!sameStoredValue(await backend.get(key), raw)) return;
        const at = clock.now();
        const quarantineKey = storeKeys.quarantine(key, at);
        const original = raw instanceof UnreadableValue ? raw.raw : raw;
        await backend.set(quarantineKey, { key, at, reason, issues, original });
        deps.forget(key);
        await backend.delete(key);
        logger.error(
          { key, quarantineKey, reason, issues },
          'store record failed validation; moved aside and treated as absent',
        );
      });
    } catch (error) {
      logger.error(
        { key, reason, issues, err: messageOf(error) },
        'invalid store record could not be moved aside',
      );
    }
  }

  return {
    async settle(key, raw, decoded, lockHeld = false) {
      switch (decoded.kind) {
        case 'ok':
          return decoded.value;
        case 'absent':
          return undefined;
        case 'newer':
          if (!warnedNewer.has(key)) {
            warnedNewer.add(key);
            logger.warn(
              { key, version: decoded.version, supported: RECORD_VERSION },
              'store record written by a newer version; ignored and left in place',
            );
          }
          return undefined;
        case 'invalid':
          await quarantine(key, raw, decoded.reason, decoded.issues, lockHeld);
          return undefined;
      }
    },
  };
}

function sameStoredValue(a: unknown, b: unknown): boolean {
  if (a instanceof UnreadableValue || b instanceof UnreadableValue) {
    return a instanceof UnreadableValue && b instanceof UnreadableValue && a.raw === b.raw;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}
