import { describe, expect, it } from 'vitest';
import { createPollCadence, type PollCadenceOptions } from '../../../src/scheduling/poll-cadence.js';
import { createPollScheduler } from '../../../src/scheduling/poll-scheduler.js';
import type { VideoSnapshot } from '../../../src/domain/video.js';
import { snapshot as baseSnapshot } from '../render/fixtures.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import { createCaptureLogger, seededRandom } from '../../../testkit/logging/capture-logger.js';

/**
 * "Poll when a change is due": a relay refreshes each task on its own beat and stamps the refresh in
 * `status_update_time`; the cadence aims each poll just after the next refresh.
 */

interface Relay {
  /** When the relay refreshed the task, in order. */
  refreshes: number[];
  /** The reading a poll at `at` gets. */
  read(at: number): VideoSnapshot;
}

/**
 * A relay that refreshes every `periodMs` (up to `jitterMs` late), with progress rising linearly (or by
 * `shape`, from the share of the time gone to the share of the work done). A refresh shows
 * `visibleAfterMs` after the moment it is stamped with (a relay stamping the start of its round rather
 * than the write).
 */
function relay(
  start: number,
  periodMs: number,
  jitterMs: number,
  endAfterMs: number,
  { seed = 1, visibleAfterMs = 0, shape = (share: number) => share } = {},
): Relay {
  const random = seededRandom(seed);
  const refreshes: number[] = [];
  for (let at = start; at <= start + endAfterMs; at += periodMs)
    refreshes.push(at + Math.floor(random() * jitterMs));
  return {
    refreshes,
    read(at) {
      const seen = refreshes.filter((refresh) => refresh + visibleAfterMs <= at);
      const last = seen.at(-1) ?? start - periodMs;
      const done = seen.length === refreshes.length;
      return baseSnapshot({
        id: 'task',
        status: done ? 'completed' : 'in_progress',
        rawStatus: done ? 'completed' : 'in_progress',
        progress: done ? 100 : Math.max(0, Math.floor(shape((last - start) / endAfterMs) * 100)),
        statusUpdatedAt: new Date(last),
      });
    },
  };
}

/** Runs the scheduler with the cadence against a relay; returns the time of every poll. */
async function pollAgainst(
  clock: ManualClock,
  source: Relay,
  options: Partial<PollCadenceOptions> & { minIntervalMs?: number; maxIntervalMs?: number } = {},
): Promise<number[]> {
  const minIntervalMs = options.minIntervalMs ?? 10_000;
  const maxIntervalMs = options.maxIntervalMs ?? 60_000;
  const cadence = createPollCadence({
    clock,
    intervalMs: { min: minIntervalMs, max: maxIntervalMs, backloggedMax: 2 * maxIntervalMs },
    ...options,
  });
  const polls: number[] = [];
  const scheduler = createPollScheduler({
    clock,
    logger: createCaptureLogger().logger,
    minIntervalMs,
    maxIntervalMs,
    maxStrategyDelayMs: 2 * maxIntervalMs,
    maxInFlight: 4,
    random: seededRandom(3),
    nextDelay: cadence.nextDelay,
    forget: (taskId) => cadence.forget(taskId),
    poll(taskId) {
      const at = clock.now();
      polls.push(at);
      const reading = source.read(at);
      cadence.observe(taskId, reading, at);
      return Promise.resolve(reading.status === 'completed' ? 'terminal' : 'changed');
    },
  });
  scheduler.schedule('task', { dueAt: clock.now() });
  scheduler.start();
  await clock.advance(source.refreshes.at(-1)! - clock.now() + 120_000);
  await scheduler.stop();
  expect(cadence.size).toBe(0); // forgotten once the task ended
  return polls;
}

/**
 * All but one in ten (rounded up) within `limitMs`: a refresh late past the learnt margin costs one
 * early poll.
 */
function expectMostlyJustAfter(lags: readonly number[], limitMs: number): void {
  const late = lags.filter((lag) => lag > limitMs);
  expect(late.length, `lags ${lags.map(Math.round).join(', ')}`).toBeLessThanOrEqual(
    Math.ceil(lags.length / 10),
  );
}

/** For each poll, how long after the latest refresh (stamp) before it. */
function lagAfterRefresh(source: Relay, polls: readonly number[]): number[] {
  return polls.map((poll) => poll - Math.max(...source.refreshes.filter((refresh) => refresh <= poll)));
}

describe('poll cadence', () => {
  it('polls just after every other refresh while the bar moves, and after each one near the end', async () => {
    const clock = createManualClock();
    const source = relay(clock.now() + 3_000, 15_000, 1_000, 5 * 60_000);
    const polls = await pollAgainst(clock, source);

    const refreshesSeen = source.refreshes.filter((refresh) => refresh > polls[0]!).length;
    // Each of the first refreshes (to learn the beat), then one in two, then each around the end: about
    // 12 polls for five minutes, where a fixed 5 s clock takes 60.
    expect(polls.length).toBeLessThanOrEqual(refreshesSeen / 2 + 6);
    // Polls (once the beat is known) land just after a refresh: within 2.5 s, all but one in ten.
    expectMostlyJustAfter(lagAfterRefresh(source, polls).slice(2), 2_500);
    // The end is seen at the refresh that shows it.
    expect(polls.at(-1)! - source.refreshes.at(-1)!).toBeLessThanOrEqual(2_500);
  });

  it('learns a beat other than new-api’s 15 s from the stamps, and follows each of a slow beat', async () => {
    const clock = createManualClock();
    const source = relay(clock.now() + 1_000, 40_000, 500, 10 * 60_000);
    const polls = await pollAgainst(clock, source);

    // A 40 s beat is slow enough to follow every refresh; the first polls (at 15 s) learn it.
    expectMostlyJustAfter(lagAfterRefresh(source, polls).slice(7), 2_500);
    expect(polls.length).toBeLessThanOrEqual(source.refreshes.length + 4);
    expect(polls.at(-1)! - source.refreshes.at(-1)!).toBeLessThanOrEqual(2_500);
  });

  it('aims later for a relay whose refreshes show up a while after their stamp', async () => {
    const clock = createManualClock();
    const source = relay(clock.now() + 1_000, 15_000, 0, 5 * 60_000, { visibleAfterMs: 3_000 });
    const polls = await pollAgainst(clock, source);

    // Aimed by the stamps alone, every poll would come early and see only the refresh before, a whole
    // beat old. After a few early polls it aims past the 3 s, and each poll sees a fresh refresh.
    const settled = polls.slice(6).map((poll) => poll - source.read(poll).statusUpdatedAt!.getTime());
    expectMostlyJustAfter(settled, 3_000 + 3_000);
    expect(polls.length).toBeLessThanOrEqual(source.refreshes.length / 2 + 8);
  });

  it('skips every other refresh while nothing people see changes, and follows each again after a change', () => {
    const clock = createManualClock();
    const cadence = createPollCadence({ clock });
    const now = clock.now();
    const queued = { status: 'queued', rawStatus: 'queued', progress: undefined } as const;
    cadence.observe('task', baseSnapshot({ ...queued, statusUpdatedAt: new Date(now - 500) }), now);
    const changing = cadence.nextDelay('task', 'changed', history())!;
    const quiet = cadence.nextDelay('task', 'unchanged', { ...history(), consecutiveUnchanged: 2 })!;
    expect(quiet - changing).toBe(15_000);
    expect(cadence.nextDelay('task', 'unchanged', { ...history(), consecutiveUnchanged: 1 })).toBe(changing);
  });

  it('honours the API’s poll-after hint as the earliest next poll', () => {
    const clock = createManualClock();
    const cadence = createPollCadence({ clock });
    const now = clock.now();
    cadence.observe(
      'task',
      baseSnapshot({ statusUpdatedAt: new Date(now - 1_000), pollAfterMs: 45_000 }),
      now,
    );
    expect(cadence.nextDelay('task', 'changed', history())).toBe(45_000);
  });

  it('has no opinion about a relay that stamps each answer with the moment it was asked', () => {
    const clock = createManualClock();
    const cadence = createPollCadence({ clock });
    for (let i = 0; i < 3; i++) {
      const now = clock.now() + i * 10_000;
      cadence.observe('task', baseSnapshot({ statusUpdatedAt: new Date(now - 20) }), now);
    }
    expect(cadence.nextDelay('task', 'changed', history())).toBeUndefined();
    expect(cadence.nextDelay('unknown-task', 'changed', history())).toBeUndefined();
  });

  it('places a task restored after a restart just after its next refresh', () => {
    const clock = createManualClock();
    const cadence = createPollCadence({ clock });
    const now = clock.now();
    const stored = baseSnapshot({ statusUpdatedAt: new Date(now - 20_000) });
    // Refreshed 20 s ago, so again 10 s from now (and 5 s ago, which is past); then a margin for a relay
    // that runs a little late (1.5 s until its beat is learned).
    expect(cadence.firstPollAt('task', stored, now)).toBe(now + 10_000 + 1_500);
    expect(cadence.firstPollAt('other', baseSnapshot({ statusUpdatedAt: undefined }), now)).toBeUndefined();
  });

  it('polls about as often as Discord can show when it is backlogged, but every refresh near the end', async () => {
    const clock = createManualClock();
    const source = relay(clock.now() + 2_000, 15_000, 0, 10 * 60_000);
    const unthrottled = await pollAgainst(clock, source, { maxIntervalMs: 600_000 });

    const clock2 = createManualClock();
    const source2 = relay(clock2.now() + 2_000, 15_000, 0, 10 * 60_000);
    const throttled = await pollAgainst(clock2, source2, {
      backlogMs: () => 120_000,
      maxIntervalMs: 600_000,
    });

    expect(throttled.length).toBeLessThan(unthrottled.length / 3);
    // The end is still seen at the refresh that shows it.
    const end = source2.refreshes.at(-1)!;
    expect(throttled.at(-1)! - end).toBeLessThanOrEqual(2_000);
  });
});

describe('poll cadence memory', () => {
  it('learns only from tasks on the schedule: one-off reads (/sora status, a failed track) leave nothing', () => {
    const clock = createManualClock();
    const tracked = new Set(['tracked']);
    const cadence = createPollCadence({ clock, isTracked: (taskId) => tracked.has(taskId) });
    const now = clock.now();
    for (let i = 0; i < 1_000; i++) {
      cadence.observe(`status-only-${i}`, baseSnapshot({ statusUpdatedAt: new Date(now - 1_000) }), now);
    }
    cadence.observe('tracked', baseSnapshot({ statusUpdatedAt: new Date(now - 1_000) }), now);
    expect(cadence.size).toBe(1);
    cadence.forget('tracked');
    expect(cadence.size).toBe(0);
  });
});

describe('poll cadence near the expected end', () => {
  /** Polls between the second-to-last refresh before the end and the end itself. */
  const preEndPolls = (source: Relay, polls: readonly number[]) =>
    polls.filter((poll) => poll >= source.refreshes.at(-3)! && poll < source.refreshes.at(-1)!).length;

  it('polls a task whose progress rises steadily at the refresh that shows its end, not the two before', async () => {
    let skipped = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const clock = createManualClock();
      // Refreshes on the beat: one a little late may meet an early poll, which is another matter.
      const source = relay(clock.now() + 2_000, 15_000, 0, (4 + seed) * 60_000, { seed });
      // Discord shows a change a minute after it is polled: a poll a minute, on a refresh.
      const polls = await pollAgainst(clock, source, { backlogMs: () => 60_000, maxIntervalMs: 600_000 });
      expect(polls.at(-1)! - source.refreshes.at(-1)!, `seed ${seed}`).toBeLessThanOrEqual(2_500);
      skipped += 2 - preEndPolls(source, polls);
    }
    // Of the two refreshes before the end, each task skips one at least, and most skip both.
    expect(skipped).toBeGreaterThanOrEqual(12);
  });

  it('waits past the longest gap while Discord is backlogged only for a task whose end it can estimate', () => {
    const clock = createManualClock();
    const backlogMs = 300_000;
    const cadence = createPollCadence({
      clock,
      backlogMs: () => backlogMs,
      intervalMs: { min: 10_000, max: 60_000, backloggedMax: 120_000 },
    });
    const now = clock.now();
    const running = (progress: number, stampAgoMs: number) =>
      baseSnapshot({ progress, statusUpdatedAt: new Date(now - stampAgoMs) });
    // Two readings a beat apart: 2 points in 15 s, some 11 minutes to go.
    cadence.observe('estimated', running(10, 20_000), now - 19_000);
    cadence.observe('estimated', running(12, 5_000), now - 4_000);
    // Seen running once: no rate of its own yet.
    cadence.observe('once', running(40, 5_000), now - 4_000);
    const queued = { status: 'queued', rawStatus: 'queued', progress: undefined } as const;
    cadence.observe('queued', baseSnapshot({ ...queued, statusUpdatedAt: new Date(now - 5_000) }), now);

    // A change read now would wait 5 minutes to be shown: twice the longest gap, no more.
    expect(cadence.nextDelay('estimated', 'changed', history())).toBeLessThanOrEqual(120_000);
    expect(cadence.nextDelay('estimated', 'changed', history())).toBeGreaterThan(105_000);
    for (const taskId of ['once', 'queued'])
      expect(cadence.nextDelay(taskId, 'changed', history()), taskId).toBeLessThanOrEqual(60_000);
  });

  it('still sees the end at its refresh when progress speeds up towards the end', async () => {
    for (const [name, shape] of [
      ['quadratic', (share: number) => share ** 2],
      ['slow, then fast', (share: number) => (share < 0.7 ? share / 2 : 0.35 + ((share - 0.7) * 0.65) / 0.3)],
    ] as const) {
      for (const seed of [1, 2, 3, 4]) {
        const clock = createManualClock();
        // Refreshes on the beat: one a little late may meet an early poll, which is another matter.
        const source = relay(clock.now() + 2_000, 15_000, 0, (4 + seed) * 60_000, { seed, shape });
        const polls = await pollAgainst(clock, source, { backlogMs: () => 60_000 });
        expect(polls.at(-1)! - source.refreshes.at(-1)!, `${name}, seed ${seed}`).toBeLessThanOrEqual(2_500);
      }
    }
  });
});

function history() {
  return {
    intervalMs: 10_000,
    consecutiveUnchanged: 0,
    consecutiveErrors: 0,
    scheduledAt: 0,
    lastPolledAt: undefined,
    lastChangedAt: undefined,
  };
}
