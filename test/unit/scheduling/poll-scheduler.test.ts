import { describe, expect, it } from 'vitest';
import {
  createPollScheduler,
  type PollOutcome,
  type PollScheduler,
  type PollSchedulerOptions,
} from '../../../src/scheduling/poll-scheduler.js';
import { VideoApiError } from '../../../src/video-api/errors.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import { createCaptureLogger, seededRandom, type LogLine } from '../../../testkit/logging/capture-logger.js';

type PollFn = PollSchedulerOptions['poll'];

interface Harness {
  clock: ManualClock;
  scheduler: PollScheduler;
  lines: LogLine[];
  /** Start times of every poll, per task. */
  starts: Map<string, number[]>;
  /** All poll start times in order, with their task. */
  log: { taskId: string; at: number }[];
  concurrency: { current: number; peak: number };
}

/** A scheduler around `poll`, recording when each poll starts and how many run at once. */
function harness(
  poll: PollFn,
  overrides: Partial<Omit<PollSchedulerOptions, 'poll' | 'clock'>> & { clock?: ManualClock } = {},
): Harness {
  const clock = overrides.clock ?? createManualClock();
  const { logger, lines } = createCaptureLogger();
  const starts = new Map<string, number[]>();
  const log: { taskId: string; at: number }[] = [];
  const concurrency = { current: 0, peak: 0 };
  const scheduler = createPollScheduler({
    clock,
    logger,
    minIntervalMs: 1_000,
    maxIntervalMs: 8_000,
    maxInFlight: 10,
    jitterRatio: 0,
    backoffFactor: 2,
    random: seededRandom(42),
    ...overrides,
    async poll(taskId, signal, release) {
      const at = clock.now();
      starts.set(taskId, [...(starts.get(taskId) ?? []), at]);
      log.push({ taskId, at });
      concurrency.current += 1;
      concurrency.peak = Math.max(concurrency.peak, concurrency.current);
      try {
        return await poll(taskId, signal, release);
      } finally {
        concurrency.current -= 1;
      }
    },
  });
  return { clock, scheduler, lines, starts, log, concurrency };
}

const gaps = (times: readonly number[]) => times.slice(1).map((time, index) => time - times[index]!);

/** A poll that plays back outcomes per call, then reports the task ended. */
function scripted(outcomes: readonly PollOutcome[]): PollFn {
  let call = 0;
  return () => Promise.resolve(outcomes[call++] ?? 'terminal');
}

describe('poll scheduler: adaptive intervals', () => {
  it('backs off while nothing changes, up to the max, and tightens to the min on a change', async () => {
    const h = harness(scripted(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'changed', 'unchanged']));
    h.scheduler.schedule('task-a', { dueAt: h.clock.now() });
    h.scheduler.start();
    await h.clock.advance(60_000);

    expect(gaps(h.starts.get('task-a')!)).toEqual([2_000, 4_000, 8_000, 8_000, 1_000, 2_000]);
    expect(h.scheduler.has('task-a')).toBe(false);
  });

  it('keeps every jittered delay within ±jitterRatio of the interval and spreads them', async () => {
    const h = harness(() => Promise.resolve('unchanged'), {
      minIntervalMs: 1_000,
      maxIntervalMs: 100_000,
      backoffFactor: 1,
      jitterRatio: 0.2,
    });
    for (let i = 0; i < 20; i++) h.scheduler.schedule(`task-${i}`, { intervalMs: 10_000 });
    h.scheduler.start();
    await h.clock.advance(120_000);

    const allGaps = [...h.starts.values()].flatMap((times) => gaps(times));
    expect(allGaps.length).toBeGreaterThan(150);
    for (const gap of allGaps) {
      expect(gap).toBeGreaterThanOrEqual(8_000);
      expect(gap).toBeLessThanOrEqual(12_000);
    }
    // Spread, not a fixed beat: both halves of the jitter range are used.
    expect(Math.min(...allGaps)).toBeLessThan(9_000);
    expect(Math.max(...allGaps)).toBeGreaterThan(11_000);
  });

  it('spreads newly scheduled tasks (a restart backlog) over one min interval instead of polling all at once', async () => {
    const h = harness(() => Promise.resolve('unchanged'), { minIntervalMs: 10_000, maxIntervalMs: 60_000 });
    const start = h.clock.now();
    for (let i = 0; i < 500; i++) h.scheduler.schedule(`task-${i}`);
    h.scheduler.start();
    await h.clock.advance(10_000);

    const firstPolls = [...h.starts.values()].map((times) => times[0]! - start);
    expect(firstPolls).toHaveLength(500);
    for (const offset of firstPolls) {
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(10_000);
    }
    const perSecond = new Array<number>(10).fill(0);
    for (const offset of firstPolls) perSecond[Math.floor(offset / 1_000)]! += 1;
    for (const count of perSecond) expect(count).toBeLessThan(100); // ~50 each, never a stampede
  });

  it('uses a custom delay strategy (the seam for "poll when a change is due"), clamped to [min, max]', async () => {
    const seen: { taskId: string; outcome: string; intervalMs: number }[] = [];
    const delays = [2_500, 50, undefined, 1_000_000];
    const h = harness(scripted(['changed', 'unchanged', 'unchanged', 'unchanged']), {
      nextDelay(taskId, outcome, history) {
        seen.push({ taskId, outcome, intervalMs: history.intervalMs });
        return delays[seen.length - 1];
      },
    });
    h.scheduler.schedule('task-a', { dueAt: h.clock.now() });
    h.scheduler.start();
    await h.clock.advance(60_000);

    // 2500 as asked; 50 raised to the min; undefined keeps the adaptive 4000 (1000 ×2 ×2); huge capped at max.
    expect(gaps(h.starts.get('task-a')!)).toEqual([2_500, 1_000, 4_000, 8_000]);
    expect(seen[0]).toEqual({ taskId: 'task-a', outcome: 'changed', intervalMs: 1_000 });
  });

  it('lets a strategy ask for up to maxStrategyDelayMs, and keeps its own backoff within maxIntervalMs', async () => {
    const delays = [12_000, 1_000_000, undefined, undefined];
    let asked = 0;
    const h = harness(scripted(['changed', 'changed', 'unchanged', 'unchanged', 'unchanged']), {
      maxStrategyDelayMs: 20_000,
      nextDelay: () => delays[asked++],
    });
    h.scheduler.schedule('task-a', { dueAt: h.clock.now() });
    h.scheduler.start();
    await h.clock.advance(60_000);

    // 12 s as asked (past the 8 s max); a huge one capped at 20 s; then the adaptive 2, 4 and 8 s (the max).
    expect(gaps(h.starts.get('task-a')!)).toEqual([12_000, 20_000, 2_000, 4_000, 8_000]);
  });

  it('honours an interval given to schedule() for the next due time and the backoff that follows', async () => {
    const h = harness(() => Promise.resolve('unchanged'), { maxIntervalMs: 30_000 });
    const start = h.clock.now();
    h.scheduler.schedule('task-a', { intervalMs: 5_000 });
    h.scheduler.start();
    await h.clock.advance(20_000);

    const times = h.starts.get('task-a')!;
    expect(times[0]! - start).toBe(5_000);
    expect(gaps(times)).toEqual([10_000]);
  });
});

describe('poll scheduler: concurrency', () => {
  it('never runs more than maxInFlight polls at once, and uses all of them', async () => {
    const clock = createManualClock();
    const h = harness(() => clock.sleep(300).then(() => 'unchanged' as const), { maxInFlight: 7, clock });
    const start = clock.now();
    for (let i = 0; i < 200; i++) h.scheduler.schedule(`task-${i}`, { dueAt: clock.now() });
    h.scheduler.start();
    await clock.advance(150);
    // Refreshes arriving while every slot is busy wait for a free one rather than exceeding the cap.
    const refreshes = [h.scheduler.pollNow('task-150'), h.scheduler.pollNow('task-151')];
    await clock.advance(Math.ceil(200 / 7) * 300 + 300);

    expect(h.concurrency.peak).toBe(7);
    expect(h.starts.size).toBe(200);
    expect(await Promise.all(refreshes)).toEqual(['unchanged', 'unchanged']);
    // The refreshed tasks jumped the queue: they started with the second wave, not the 22nd.
    expect(h.starts.get('task-150')![0]).toBe(start + 300);
    expect(h.starts.get('task-151')![0]).toBe(start + 300);
  });

  it('never polls one task twice at once, whatever schedule() and pollNow() ask meanwhile', async () => {
    const clock = createManualClock();
    const random = seededRandom(7);
    const running = new Set<string>();
    let overlaps = 0;
    const h = harness(
      async (taskId) => {
        if (running.has(taskId)) overlaps += 1;
        running.add(taskId);
        await clock.sleep(Math.floor(random() * 3_000)); // often longer than the min interval
        running.delete(taskId);
        return random() < 0.5 ? 'changed' : 'unchanged';
      },
      { clock, jitterRatio: 0.1, maxInFlight: 50 },
    );
    for (let i = 0; i < 20; i++) h.scheduler.schedule(`task-${i}`, { dueAt: clock.now() });
    h.scheduler.start();
    const refreshes: Promise<PollOutcome | undefined>[] = [];
    for (let step = 0; step < 120; step++) {
      const taskId = `task-${Math.floor(random() * 20)}`;
      if (step % 2 === 0) refreshes.push(h.scheduler.pollNow(taskId));
      else h.scheduler.schedule(taskId, { dueAt: clock.now() });
      await clock.advance(250);
    }
    await clock.advance(10_000);

    expect(overlaps).toBe(0);
    expect(h.log.length).toBeGreaterThan(100);
    expect(await Promise.all(refreshes)).not.toContain(undefined);
  });

  it('pollNow joins the poll in flight instead of starting another', async () => {
    const clock = createManualClock();
    const h = harness(() => clock.sleep(1_000).then(() => 'changed' as const), { clock });
    h.scheduler.schedule('task-a', { dueAt: clock.now() + 60_000 });
    h.scheduler.start();

    const first = h.scheduler.pollNow('task-a');
    const second = h.scheduler.pollNow('task-a'); // before the poll has even started
    await clock.advance(500);
    const third = h.scheduler.pollNow('task-a'); // while it runs
    await clock.advance(500);

    expect(await Promise.all([first, second, third])).toEqual(['changed', 'changed', 'changed']);
    expect(h.starts.get('task-a')).toEqual([clock.now() - 1_000]);
    expect(await h.scheduler.pollNow('unknown-task')).toBeUndefined();
  });
});

describe('poll scheduler: endings and errors', () => {
  it('drops a task whose poll reports it terminal', async () => {
    const h = harness(scripted(['unchanged', 'terminal']));
    h.scheduler.schedule('task-a', { dueAt: h.clock.now() });
    h.scheduler.schedule('task-b', { dueAt: h.clock.now() + 100_000 });
    h.scheduler.start();
    await h.clock.advance(5_000);

    expect(h.starts.get('task-a')).toHaveLength(2);
    expect(h.scheduler.has('task-a')).toBe(false);
    expect(h.scheduler.size).toBe(1);
    await h.clock.advance(60_000);
    expect(h.starts.get('task-a')).toHaveLength(2);
    expect(await h.scheduler.pollNow('task-a')).toBeUndefined();
  });

  it('does not reschedule a task unscheduled while its poll was in flight', async () => {
    const clock = createManualClock();
    const h = harness(() => clock.sleep(500).then(() => 'changed' as const), { clock });
    h.scheduler.schedule('task-a', { dueAt: clock.now() });
    h.scheduler.start();
    await clock.advance(100);
    h.scheduler.unschedule('task-a');
    await clock.advance(30_000);

    expect(h.starts.get('task-a')).toHaveLength(1);
    expect(h.scheduler.size).toBe(0);
  });

  it('pauses every task, not only the one that met it, until Retry-After, then resumes spread out', async () => {
    const clock = createManualClock();
    let rateLimitedAt: number | undefined;
    let polls = 0;
    const h = harness(
      async (taskId) => {
        polls += 1;
        await clock.sleep(50);
        if (taskId === 'task-7' && rateLimitedAt === undefined && polls > 40) {
          rateLimitedAt = clock.now();
          throw new VideoApiError({
            kind: 'rate_limited',
            message: 'slow down',
            status: 429,
            retryAfterMs: 30_000,
          });
        }
        return 'unchanged';
      },
      { clock, minIntervalMs: 1_000, maxIntervalMs: 1_000, maxInFlight: 5, jitterRatio: 0.1 },
    );
    for (let i = 0; i < 30; i++) h.scheduler.schedule(`task-${i}`, { dueAt: clock.now() + i * 33 });
    h.scheduler.start();
    await clock.advance(10_000);
    expect(rateLimitedAt).toBeDefined();
    const resumeAt = rateLimitedAt! + 30_000;
    expect(h.scheduler.pausedUntil).toBe(resumeAt);
    await clock.advance(resumeAt - clock.now() + 2_000);

    const startsDuringPause = h.log.filter(({ at }) => at > rateLimitedAt! && at < resumeAt);
    expect(startsDuringPause).toEqual([]);
    const afterPause = h.log.filter(({ at }) => at >= resumeAt && at < resumeAt + 1_000);
    // Every task comes back within one interval of the pause lifting...
    expect(new Set(afterPause.map(({ taskId }) => taskId)).size).toBe(30);
    // ...spread over it, not all in the first instant, and never over the in-flight cap.
    expect(afterPause.filter(({ at }) => at < resumeAt + 100).length).toBeLessThanOrEqual(5);
    expect(h.concurrency.peak).toBeLessThanOrEqual(5);
    expect(h.lines.some((line) => line.msg.includes('rate limited'))).toBe(true);
  });

  it('backs off the whole key exponentially on rate limits without Retry-After', async () => {
    const h = harness(
      () => Promise.reject(new VideoApiError({ kind: 'rate_limited', message: 'slow down', status: 429 })),
      { random: () => 0 },
    );
    h.scheduler.schedule('task-a', { dueAt: h.clock.now() });
    h.scheduler.start();
    await h.clock.advance(40_000);

    expect(gaps(h.starts.get('task-a')!).slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
  });

  it('pauses every task once the key is refused, says so once, and resumes all when it works again', async () => {
    const clock = createManualClock();
    let keyWorksFrom = clock.now() + 5 * 60_000;
    const h = harness(
      (taskId) => {
        if (h.clock.now() < keyWorksFrom) {
          return Promise.reject(
            new VideoApiError({
              kind: 'unauthorized',
              status: 401,
              message: 'The video API rejected the API key',
            }),
          );
        }
        return Promise.resolve(taskId === 'task-0' ? 'changed' : 'unchanged');
      },
      { clock, minIntervalMs: 1_000, maxIntervalMs: 8_000 },
    );
    for (let i = 0; i < 20; i++) h.scheduler.schedule(`task-${i}`, { dueAt: h.clock.now() + i * 10 });
    h.scheduler.start();
    await h.clock.advance(keyWorksFrom - h.clock.now() - 1);

    // Without the pause, 20 tasks backing off to 8 s would have made hundreds of refused requests.
    const refused = h.log.filter(({ at }) => at < keyWorksFrom);
    expect(refused.length).toBeLessThanOrEqual(20 + 4);
    expect(h.lines.filter((line) => line.msg.includes('refused the API key'))).toHaveLength(1);
    expect(h.lines.filter((line) => line.msg.includes('poll failed'))).toHaveLength(0);
    expect(h.scheduler.pausedUntil).toBeGreaterThan(h.clock.now());

    // The key works again: the next probe goes through and every task is polled within the max interval.
    keyWorksFrom = h.clock.now();
    await h.clock.advance(16 * 60_000);
    const after = h.log.filter(({ at }) => at >= keyWorksFrom);
    expect(new Set(after.map(({ taskId }) => taskId)).size).toBe(20);
    expect(h.lines.filter((line) => line.msg.includes('accepts the API key again'))).toHaveLength(1);
  });

  it('retries a single failing task at 2×, 4×, 8× the min, capped at the max', async () => {
    let call = 0;
    const h = harness(() => {
      call += 1;
      if (call <= 4) return Promise.reject(new VideoApiError({ kind: 'transient', message: 'upstream 502' }));
      return Promise.resolve('changed');
    });
    h.scheduler.schedule('task-a', { dueAt: h.clock.now() });
    h.scheduler.start();
    await h.clock.advance(25_000);

    expect(gaps(h.starts.get('task-a')!).slice(0, 5)).toEqual([2_000, 4_000, 8_000, 8_000, 1_000]);
  });

  it('logs unexpected errors with the task id, never lets them escape, and keeps polling', async () => {
    const clock = createManualClock();
    const { logger, lines } = createCaptureLogger();
    let calls = 0;
    const scheduler = createPollScheduler({
      clock,
      logger,
      minIntervalMs: 1_000,
      maxIntervalMs: 8_000,
      maxInFlight: 10,
      // Not an async function: the first call throws before any promise exists.
      poll(taskId) {
        calls += 1;
        if (calls === 1) throw new Error(`synchronous failure for ${taskId}`);
        if (calls === 2) return Promise.reject(new TypeError('bug in the tracker'));
        return Promise.resolve('unchanged');
      },
    });
    scheduler.schedule('task-a', { dueAt: clock.now() });
    scheduler.start();
    await clock.advance(30_000);

    const errors = lines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(2);
    for (const line of errors) expect(line.taskId).toBe('task-a');
    expect(calls).toBeGreaterThan(3);
    expect(scheduler.has('task-a')).toBe(true);
  });
});

describe('poll scheduler: stop', () => {
  it('waits for polls in flight to finish within the grace period without aborting them', async () => {
    const clock = createManualClock();
    let aborted = false;
    const h = harness(
      async (_taskId, signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        await clock.sleep(2_000);
        return 'unchanged';
      },
      { clock },
    );
    h.scheduler.schedule('task-a', { dueAt: clock.now() });
    h.scheduler.schedule('task-b', { dueAt: clock.now() + 500 });
    h.scheduler.start();
    await clock.advance(100);

    let stopped = false;
    const stopping = h.scheduler.stop({ graceMs: 5_000 }).then(() => (stopped = true));
    await clock.advance(1_899);
    expect(stopped).toBe(false);
    await clock.advance(1);
    await stopping;
    expect(aborted).toBe(false);
    expect(h.starts.has('task-b')).toBe(false); // stopped taking work
    await clock.advance(60_000);
    expect(h.log).toHaveLength(1);
  });

  it('aborts polls still running when the grace period ends', async () => {
    const clock = createManualClock();
    const h = harness(
      (_taskId, signal) =>
        new Promise<PollOutcome>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason as Error));
        }),
      { clock },
    );
    h.scheduler.schedule('task-a', { dueAt: clock.now() });
    h.scheduler.start();
    await clock.advance(0);
    expect(h.scheduler.inFlight).toBe(1);

    let stopped = false;
    const stopping = h.scheduler.stop({ graceMs: 3_000 }).then(() => (stopped = true));
    await clock.advance(2_999);
    expect(stopped).toBe(false);
    expect(h.scheduler.inFlight).toBe(1);
    await clock.advance(1);
    await stopping;
    expect(h.scheduler.inFlight).toBe(0);
    // An aborted task is kept, ready for the next start.
    expect(h.scheduler.has('task-a')).toBe(true);
  });
});

describe('poll scheduler: 10,000 tasks', () => {
  it('runs 10,000 tasks through three polls each with one timer and the cap respected', async () => {
    const clock = createManualClock();
    const pollsPerTask = new Map<string, number>();
    const h = harness(
      async (taskId) => {
        const count = (pollsPerTask.get(taskId) ?? 0) + 1;
        pollsPerTask.set(taskId, count);
        await clock.sleep(50);
        return count >= 3 ? 'terminal' : count === 1 ? 'changed' : 'unchanged';
      },
      { clock, minIntervalMs: 10_000, maxIntervalMs: 60_000, maxInFlight: 100, jitterRatio: 0.1 },
    );
    for (let i = 0; i < 10_000; i++) h.scheduler.schedule(`task-${i}`);
    h.scheduler.start();
    await clock.advance(0);
    expect(h.scheduler.size).toBe(10_000);
    expect(clock.pending()).toBe(1); // one timer for all of them, not one per task

    await clock.advance(11_000);
    expect(pollsPerTask.size).toBe(10_000); // everyone polled once within about the first interval

    await clock.advance(60_000);
    expect(h.log).toHaveLength(30_000);
    expect([...pollsPerTask.values()].every((count) => count === 3)).toBe(true);
    expect(h.scheduler.size).toBe(0);
    expect(h.concurrency.peak).toBeLessThanOrEqual(100);
    expect(clock.pending()).toBe(0);
  });
});

describe('poll scheduler: slots and strategies', () => {
  it('lets the next poll start while a poll that released its slot finishes (showing an end waits for Discord)', async () => {
    const clock = createManualClock();
    let finishDelivery: () => void = () => {};
    const h = harness(
      async (taskId, _signal, release) => {
        if (taskId !== 'ending') return 'unchanged';
        release(); // done with the API; what is left waits for Discord
        await new Promise<void>((resolve) => (finishDelivery = resolve));
        return 'terminal';
      },
      { clock, maxInFlight: 1 },
    );
    h.scheduler.schedule('ending', { dueAt: clock.now() });
    h.scheduler.schedule('other', { dueAt: clock.now() + 100 });
    h.scheduler.start();
    await clock.advance(200);

    expect(h.starts.get('other')).toEqual([clock.now() - 100]);
    expect(h.scheduler.inFlight).toBe(1); // still running, no longer holding the slot
    // Never a second poll of the task whose first is still running.
    await clock.advance(30_000);
    expect(h.starts.get('ending')).toHaveLength(1);
    finishDelivery();
    for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(h.scheduler.has('ending')).toBe(false);
  });

  it('tells the strategy to forget a task that ended or was unscheduled', async () => {
    const forgotten: string[] = [];
    const h = harness(scripted(['unchanged', 'terminal']), { forget: (taskId) => forgotten.push(taskId) });
    h.scheduler.schedule('ends', { dueAt: h.clock.now() });
    h.scheduler.schedule('removed', { dueAt: h.clock.now() + 60_000 });
    h.scheduler.start();
    await h.clock.advance(10_000);
    h.scheduler.unschedule('removed');

    expect(forgotten.sort()).toEqual(['ends', 'removed']);
  });
});
