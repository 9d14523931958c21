/**
 * Every public operation of the store goes through a gate, so that closing it can refuse new
 * operations and wait for those in flight before the backend goes away.
 */
export interface OperationGate {
  /** `work`, refused once the gate is closed and tracked while it runs. */
  wrap<A extends unknown[], R>(work: (...args: A) => Promise<R>): (...args: A) => Promise<R>;
  /**
   * Refuses new operations and resolves once those in flight have settled, or after `waitMs` when
   * given (a stalled backend never answers them); true the first time only.
   */
  close(waitMs?: number): Promise<boolean>;
}

export function createOperationGate(closedMessage: string): OperationGate {
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();
  return {
    wrap(work) {
      return (...args) => {
        if (closed) return Promise.reject(new Error(closedMessage));
        const running = work(...args);
        inFlight.add(running);
        void running.then(
          () => inFlight.delete(running),
          () => inFlight.delete(running),
        );
        return running;
      };
    },
    async close(waitMs) {
      if (closed) return false;
      closed = true;
      const settled = Promise.allSettled([...inFlight]);
      if (waitMs === undefined) {
        await settled;
        return true;
      }
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      });
      await Promise.race([settled, waited]).finally(() => clearTimeout(timer));
      return true;
    },
  };
}
