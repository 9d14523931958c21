import type { Clock } from '../scheduling/clock.js';
import { VideoApiError } from './errors.js';

/**
 * The whole of one download, from its first request to its last byte, within `ms`: idle timeouts alone
 * let a host that sends a byte now and then hold a download slot for ever.
 */
export async function withDownloadDeadline<T>(
  clock: Clock,
  ms: number,
  callerSignal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = new AbortController();
  const expired = new VideoApiError({
    kind: 'transient',
    message: `The video download took longer than ${Math.round(ms / 1000)} s; it is tried again later.`,
  });
  const cancel = clock.setTimeout(() => deadline.abort(expired), ms);
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
  try {
    return await run(signal);
  } catch (error) {
    // The caller's own abort stays theirs; the deadline's is a transient failure like a cut connection.
    if (deadline.signal.aborted && !callerSignal?.aborted) throw expired;
    throw error;
  } finally {
    cancel();
  }
}
