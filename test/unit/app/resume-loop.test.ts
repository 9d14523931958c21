import { describe, expect, it } from 'vitest';
import { resumeRetryDelayMs, resumeTracking } from '../../../src/app/resume-loop.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { createCaptureLogger, flush } from '../../../testkit/logging/capture-logger.js';

/** A scheduler and a tracker whose resume fails `failures` times (the store down), then succeeds. */
function stubs(failures: number) {
  const calls = { start: 0, resume: 0 };
  const queue = {
    start: () => void (calls.start += 1),
    schedule: () => {},
    unschedule: () => {},
    pollNow: () => Promise.resolve(undefined),
  };
  const tracker = {
    resume: () => {
      calls.resume += 1;
      return calls.resume <= failures
        ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'))
        : Promise.resolve({ resumed: 3, finished: 0 });
    },
  };
  return { calls, queue, tracker };
}

describe('resuming tracked tasks at start', () => {
  it('waits 1 s, then twice as long after each failure, never more than 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(resumeRetryDelayMs)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('keeps trying while the store is down, and stops once a resume went through', async () => {
    const clock = createManualClock();
    const { logger, lines } = createCaptureLogger();
    const { calls, queue, tracker } = stubs(3);
    let done = false;
    void resumeTracking({ scheduler: queue, tracker, clock, logger, keepTrying: () => true }).then(
      () => (done = true),
    );
    await flush();
    expect(calls.resume).toBe(1);
    await clock.advance(1_000);
    await clock.advance(2_000);
    expect(calls.resume).toBe(3);
    expect(done).toBe(false);
    await clock.advance(4_000);
    await flush();
    expect(done).toBe(true);
    expect(calls.resume).toBe(4);
    // Starting the scheduler again is harmless; it starts with the first attempt, before the store answers.
    expect(calls.start).toBe(4);
    expect(lines.filter((line) => line.msg === 'could not resume tracked tasks; retrying')).toHaveLength(3);
    expect(lines.map((line) => line.retryInMs).filter(Boolean)).toEqual([1_000, 2_000, 4_000]);
  });

  it('gives up once the shard stops', async () => {
    const clock = createManualClock();
    const { logger } = createCaptureLogger();
    const { calls, queue, tracker } = stubs(Infinity);
    let accepting = true;
    let done = false;
    void resumeTracking({ scheduler: queue, tracker, clock, logger, keepTrying: () => accepting }).then(
      () => (done = true),
    );
    await flush();
    await clock.advance(1_000);
    expect(calls.resume).toBe(2);
    accepting = false;
    await clock.advance(2_000);
    await flush();
    expect(done).toBe(true);
    expect(calls.resume).toBe(2);
  });

  it('does not start at all for a shard already stopped', async () => {
    const { logger } = createCaptureLogger();
    const { calls, queue, tracker } = stubs(0);
    await resumeTracking({
      scheduler: queue,
      tracker,
      clock: createManualClock(),
      logger,
      keepTrying: () => false,
    });
    expect(calls).toEqual({ start: 0, resume: 0 });
  });
});
