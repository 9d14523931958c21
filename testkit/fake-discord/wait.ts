/**
 * Lets tests await a condition instead of sleeping: the fake calls `notify()` after every request and
 * event, and each waiter re-checks its probe then, and also every few milliseconds for probes that look
 * at state outside the fake (a discord.js cache, the bot's own store).
 */
export interface WaitOptions {
  /** Real milliseconds before giving up, so a broken test fails with a message instead of hanging. */
  timeoutMs?: number;
  /** What is being waited for, for the timeout message. */
  description?: string;
}

const POLL_MS = 20;

export type ChangeFeed = ReturnType<typeof createChangeFeed>;

export function createChangeFeed() {
  const waiters = new Set<() => void>();
  return {
    notify() {
      for (const waiter of [...waiters]) waiter();
    },
    /** Resolves with the probe's first truthy result. */
    waitFor: <T>(probe: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> => {
      const timeoutMs = options.timeoutMs ?? 10_000;
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          let value: T | undefined | null | false;
          try {
            value = probe();
          } catch (error) {
            finish();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (value !== undefined && value !== null && value !== false) {
            finish();
            resolve(value);
          }
        };
        const finish = () => {
          waiters.delete(check);
          clearTimeout(timer);
          clearInterval(poll);
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(`Timed out after ${timeoutMs} ms waiting for ${options.description ?? 'a condition'}`),
          );
        }, timeoutMs);
        const poll = setInterval(check, POLL_MS);
        waiters.add(check);
        check();
      });
    },
  };
}
