/**
 * Runs async work one at a time per key, in call order, so that a read-modify-write of one record
 * never interleaves with another write of the same record. Keys with nothing queued are forgotten,
 * so the map only holds keys that are busy right now.
 */
export interface KeyedMutex {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<void>>();
  return {
    run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(work);
      // The chain continues whatever this work's outcome; its error belongs to its caller alone.
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}

/**
 * A caller's turn on one key, for work it starts but may stop waiting for (a final edit that outlasts
 * its grace). Until `release`, work run through it runs at once, inside the caller's turn, and
 * `release` waits for it; after, work takes the key like any other writer, so it never runs unlocked.
 */
export interface HeldKey {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** The caller is about to let go of the key: resolves once the work run inside its turn has settled. */
  release(): Promise<void>;
}

/** The turn of a caller that is running under `mutex.run(key, …)` right now. */
export function heldKey(mutex: KeyedMutex, key: string): HeldKey {
  let held = true;
  const inside = new Set<Promise<unknown>>();
  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      if (!held) return mutex.run(key, work);
      const running = work();
      inside.add(running);
      const forget = () => void inside.delete(running);
      void running.then(forget, forget);
      return running;
    },
    async release() {
      held = false;
      await Promise.allSettled([...inside]);
    },
  };
}
