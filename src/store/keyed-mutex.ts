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
