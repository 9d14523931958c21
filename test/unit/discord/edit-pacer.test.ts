import { describe, expect, it } from 'vitest';
import { createEditPacer, type EditPacerOptions, type PacedWrite } from '../../../src/discord/edit-pacer.js';
import { createManualClock, type ManualClock } from '../../../testkit/clock/manual-clock.js';
import { createCaptureLogger, seededRandom, type LogLine } from '../../../testkit/logging/capture-logger.js';

interface Write {
  channelId: string;
  key: string;
  label: string;
  old: boolean;
  startedAt: number;
  finishedAt: number;
}

interface Harness {
  clock: ManualClock;
  pacer: ReturnType<typeof createEditPacer>;
  lines: LogLine[];
  writes: Write[];
  dropped: { label: string; reason: string }[];
  /** Submits a write whose run() records itself and takes `latencyMs` of clock time. */
  submit(
    write: Omit<PacedWrite, 'run' | 'dropped' | 'priority'> & {
      label: string;
      priority?: PacedWrite['priority'];
    },
  ): void;
}

const HOUR = 3_600_000;

function harness(options: Partial<EditPacerOptions> & { latencyMs?: number } = {}): Harness {
  const clock = createManualClock();
  const { logger, lines } = createCaptureLogger();
  const pacer = createEditPacer({ clock, logger, ...options });
  const writes: Write[] = [];
  const dropped: { label: string; reason: string }[] = [];
  const latencyMs = options.latencyMs ?? 0;
  return {
    clock,
    pacer,
    lines,
    writes,
    dropped,
    submit({ label, priority = 'progress', ...write }) {
      pacer.submit({
        ...write,
        priority,
        async run() {
          const startedAt = clock.now();
          if (latencyMs > 0) await clock.sleep(latencyMs);
          const old = write.targetCreatedAt !== undefined && startedAt - write.targetCreatedAt >= HOUR;
          writes.push({
            channelId: write.channelId,
            key: write.key,
            label,
            old,
            startedAt,
            finishedAt: clock.now(),
          });
        },
        dropped: (reason) => dropped.push({ label, reason }),
      });
    },
  };
}

/**
 * Whatever the moment each request reached Discord (between its start and its end), no window of
 * `windowMs` held more than `limit` of them: the (i+limit)-th write started a full window after the i-th ended.
 */
function expectWithinLimit(writes: readonly Write[], limit: number, windowMs: number): void {
  const sorted = [...writes].sort((a, b) => a.startedAt - b.startedAt);
  for (let i = 0; i + limit < sorted.length; i++) {
    expect(sorted[i + limit]!.startedAt - sorted[i]!.finishedAt).toBeGreaterThanOrEqual(windowMs);
  }
}

describe('edit pacer: Discord limits', () => {
  it('keeps a busy channel within 5 writes per 5 s and 3 per 6 s for old messages over a simulated minute', async () => {
    const h = harness({ latencyMs: 150 });
    const random = seededRandom(3);
    const start = h.clock.now();
    const messages = ['new-1', 'new-2', 'new-3', 'old-1', 'old-2', 'old-3'];
    const createdAt = (key: string) => (key.startsWith('old') ? start - 2 * HOUR : start - 10 * 60_000);
    // 50 updates per message at random moments in one minute: far more than the channel may take.
    const updates = messages
      .flatMap((key) =>
        Array.from({ length: 50 }, () => ({ key, at: start + Math.floor(random() * 60_000) })),
      )
      .sort((a, b) => a.at - b.at);
    const latest = new Map<string, string>();
    for (const [index, update] of updates.entries()) {
      await h.clock.advance(update.at - h.clock.now());
      const label = `${update.key}#${index}`;
      latest.set(update.key, label);
      h.submit({ channelId: 'c1', key: update.key, label, targetCreatedAt: createdAt(update.key) });
    }
    await h.clock.advance(120_000);
    await h.pacer.idle();

    expectWithinLimit(h.writes, 5, 5_000);
    expectWithinLimit(
      h.writes.filter((write) => write.old),
      3,
      6_000,
    );
    // The budget was used, not wasted: about one write a second for the minute.
    expect(h.writes.length).toBeGreaterThan(50);
    expect(h.writes.length).toBeLessThan(300);
    // Coalescing: whatever was skipped, every message ends showing its latest state.
    for (const key of messages) {
      const last = h.writes.filter((write) => write.key === key).at(-1);
      expect(last?.label).toBe(latest.get(key));
    }
    expect(h.lines.filter((line) => line.level >= 40)).toEqual([]);
  });

  it('respects the global cap across 200 channels and serves them in turn', async () => {
    const h = harness({ global: { limit: 45, windowMs: 1_000 } });
    for (let round = 0; round < 3; round++) {
      for (let channel = 0; channel < 200; channel++) {
        h.submit({ channelId: `c${channel}`, key: `c${channel}:m${round}`, label: `${channel}/${round}` });
      }
    }
    await h.clock.advance(0);
    expect(h.writes).toHaveLength(45);
    expect(h.clock.pending()).toBe(1); // one timer for 200 waiting channels
    await h.clock.advance(30_000);

    expect(h.writes).toHaveLength(600);
    expectWithinLimit(h.writes, 45, 1_000);
    // Round-robin: the first 200 writes reach 200 different channels.
    expect(new Set(h.writes.slice(0, 200).map((write) => write.channelId)).size).toBe(200);
    // 600 writes at 45/s take 13 full windows, not much more.
    expect(h.writes.at(-1)!.startedAt - h.writes[0]!.startedAt).toBeLessThanOrEqual(14_000);
    expect(h.pacer.pending()).toBe(0);
  });

  it('holds a penalized channel back for Retry-After while other channels go on', async () => {
    const h = harness();
    const start = h.clock.now();
    h.pacer.penalize('c1', 10_000);
    h.submit({ channelId: 'c1', key: 'c1:m1', label: 'c1 write' });
    h.submit({ channelId: 'c2', key: 'c2:m1', label: 'c2 write' });
    await h.clock.advance(9_999);
    expect(h.writes.map((write) => write.label)).toEqual(['c2 write']);
    await h.clock.advance(1);

    expect(h.writes.map((write) => [write.label, write.startedAt - start])).toEqual([
      ['c2 write', 0],
      ['c1 write', 10_000],
    ]);
  });

  it('extends a penalty given while the channel already waits for its window', async () => {
    const h = harness();
    const start = h.clock.now();
    for (let i = 0; i < 6; i++) h.submit({ channelId: 'c1', key: `m${i}`, label: `m${i}` });
    await h.clock.advance(100);
    expect(h.writes).toHaveLength(5); // the sixth waits for the window, due at 5 s
    h.pacer.penalize('c1', 20_000);
    await h.clock.advance(30_000);

    expect(h.writes.at(-1)!.startedAt - start).toBe(20_100);
  });
});

describe('edit pacer: ordering and coalescing', () => {
  it('keeps only the latest state of a message while it waits', async () => {
    const h = harness();
    h.pacer.penalize('c1', 5_000);
    for (let state = 1; state <= 10; state++)
      h.submit({ channelId: 'c1', key: 'c1:m1', label: `state ${state}` });
    expect(h.pacer.pending()).toBe(1);
    await h.clock.advance(6_000);

    expect(h.writes.map((write) => write.label)).toEqual(['state 10']);
    expect(h.dropped).toHaveLength(9);
    expect(h.dropped.every(({ reason }) => reason === 'replaced')).toBe(true);
  });

  it('writes finals before progress, first come first served within each', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.submit({ channelId: 'c1', key: `fill-${i}`, label: `fill-${i}` });
    await h.clock.advance(0);
    h.submit({ channelId: 'c1', key: 'p1', label: 'progress 1' });
    h.submit({ channelId: 'c1', key: 'p2', label: 'progress 2' });
    h.submit({ channelId: 'c1', key: 'f1', label: 'final 1', priority: 'final' });
    h.submit({ channelId: 'c1', key: 'p3', label: 'progress 3' });
    h.submit({ channelId: 'c1', key: 'f2', label: 'final 2', priority: 'final' });
    await h.clock.advance(20_000);

    expect(h.writes.slice(5).map((write) => write.label)).toEqual([
      'final 1',
      'final 2',
      'progress 1',
      'progress 2',
      'progress 3',
    ]);
  });

  it('a pending progress write that turns final moves up and keeps only the final state', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.submit({ channelId: 'c1', key: `fill-${i}`, label: `fill-${i}` });
    await h.clock.advance(0);
    h.submit({ channelId: 'c1', key: 'p1', label: 'other progress' });
    h.submit({ channelId: 'c1', key: 'task', label: 'task at 50 %' });
    h.submit({ channelId: 'c1', key: 'task', label: 'task completed', priority: 'final' });
    await h.clock.advance(20_000);

    expect(h.writes.slice(5).map((write) => write.label)).toEqual(['task completed', 'other progress']);
  });

  it('never starves a progress write behind an endless stream of finals', async () => {
    const h = harness({ maxProgressWaitMs: 30_000 });
    const start = h.clock.now();
    for (let i = 0; i < 5; i++) h.submit({ channelId: 'c1', key: `fill-${i}`, label: `fill-${i}` });
    await h.clock.advance(0);
    h.submit({ channelId: 'c1', key: 'slow', label: 'progress' });
    // Two finals a second, more than the channel's one write a second, for two minutes.
    for (let i = 0; i < 240; i++) {
      h.submit({ channelId: 'c1', key: `final-${i}`, label: `final-${i}`, priority: 'final' });
      await h.clock.advance(500);
    }

    const progress = h.writes.find((write) => write.label === 'progress');
    expect(progress).toBeDefined();
    expect(progress!.startedAt - start).toBeLessThanOrEqual(36_000);
  });

  it('serialises writes to one channel, so edits of one message land in order', async () => {
    const h = harness({ latencyMs: 400 });
    h.submit({ channelId: 'c1', key: 'm1', label: 'first' });
    await h.clock.advance(100);
    h.submit({ channelId: 'c1', key: 'm1', label: 'second' }); // the first is still running
    await h.clock.advance(2_000);

    expect(h.writes.map((write) => write.label)).toEqual(['first', 'second']);
    expect(h.writes[1]!.startedAt).toBeGreaterThanOrEqual(h.writes[0]!.finishedAt);
  });
});

describe('edit pacer: failures and shutdown', () => {
  it('logs a write that throws, does not retry it, and goes on with the next', async () => {
    const h = harness();
    let attempts = 0;
    h.pacer.submit({
      channelId: 'c1',
      key: 'broken',
      priority: 'progress',
      run: () => {
        attempts += 1;
        return Promise.reject(new Error('Unknown Message'));
      },
    });
    h.submit({ channelId: 'c1', key: 'fine', label: 'fine' });
    await h.clock.advance(60_000);

    expect(attempts).toBe(1);
    expect(h.writes.map((write) => write.label)).toEqual(['fine']);
    const warning = h.lines.find((line) => line.msg === 'paced write failed');
    expect(warning).toMatchObject({ channelId: 'c1', key: 'broken' });
  });

  it('idle() resolves once everything queued has been written', async () => {
    const h = harness({ latencyMs: 100 });
    for (let i = 0; i < 8; i++) h.submit({ channelId: 'c1', key: `m${i}`, label: `m${i}` });
    let idle = false;
    const waiting = h.pacer.idle().then(() => (idle = true));
    await h.clock.advance(5_000);
    expect(idle).toBe(false);
    expect(h.pacer.pending()).toBe(3);
    await h.clock.advance(5_000);
    await waiting;
    expect(h.writes).toHaveLength(8);
  });

  it('stop() drops what is queued, tells the writers, and waits for the running write', async () => {
    const h = harness({ latencyMs: 1_000 });
    for (let i = 0; i < 3; i++) h.submit({ channelId: 'c1', key: `m${i}`, label: `m${i}` });
    await h.clock.advance(0);
    let stopped = false;
    const stopping = h.pacer.stop().then(() => (stopped = true));
    await h.clock.advance(999);
    expect(stopped).toBe(false);
    await h.clock.advance(1);
    await stopping;

    expect(h.writes.map((write) => write.label)).toEqual(['m0']);
    expect(h.dropped).toEqual([
      { label: 'm1', reason: 'stopped' },
      { label: 'm2', reason: 'stopped' },
    ]);
    h.submit({ channelId: 'c1', key: 'late', label: 'late' });
    await h.clock.advance(10_000);
    expect(h.writes).toHaveLength(1);
    expect(h.pacer.pending()).toBe(0);
  });
});

describe('edit pacer: a short global budget', () => {
  it('keeps every second within the global cap by arrival, however long requests take', async () => {
    // A request reaches Discord somewhere between its start and its end: counting starts only would let
    // a second hold the writes that started late in one second and those that arrived early in the next.
    const h = harness({ global: { limit: 45, windowMs: 1_000 }, latencyMs: 300 });
    for (let channel = 0; channel < 200; channel++) {
      h.submit({ channelId: `c${channel}`, key: `c${channel}:m`, label: `${channel}` });
    }
    await h.clock.advance(30_000);

    expect(h.writes).toHaveLength(200);
    expectWithinLimit(h.writes, 45, 1_000);
  });

  it('serves results first, then final states, then progress ticks, across channels', async () => {
    const h = harness({ global: { limit: 2, windowMs: 1_000 } });
    h.submit({ channelId: 'busy', key: 'busy:fill', label: 'fill' });
    h.submit({ channelId: 'quiet', key: 'quiet:fill', label: 'fill' });
    await h.clock.advance(0); // the global budget is used up for this second
    h.submit({ channelId: 'a', key: 'a:1', label: 'progress a' });
    h.submit({ channelId: 'b', key: 'b:1', label: 'progress b' });
    h.submit({ channelId: 'c', key: 'c:1', label: 'final state c', priority: 'ending' });
    h.submit({ channelId: 'd', key: 'd:1', label: 'result d', priority: 'final' });
    await h.clock.advance(10_000);

    expect(h.writes.slice(2).map((write) => write.label)).toEqual([
      'result d',
      'final state c',
      'progress a',
      'progress b',
    ]);
  });

  it('lets no old progress tick jump ahead of results while the global budget is short', async () => {
    const h = harness({ global: { limit: 4, windowMs: 1_000 }, maxProgressWaitMs: 30_000 });
    const start = h.clock.now();
    for (let i = 0; i < 5; i++) h.submit({ channelId: 'c1', key: `fill-${i}`, label: `fill-${i}` });
    await h.clock.advance(0);
    h.submit({ channelId: 'c1', key: 'slow', label: 'progress' });
    // Results keep coming in c1 and in eight other channels: more than the global budget, for a minute.
    for (let i = 0; i < 120; i++) {
      for (const channel of ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']) {
        h.submit({
          channelId: channel,
          key: `${channel}-${i}`,
          label: `${channel} result`,
          priority: 'final',
        });
      }
      await h.clock.advance(500);
    }

    const progress = h.writes.find((write) => write.label === 'progress');
    expect(progress === undefined || progress.startedAt - start > 60_000).toBe(true);
  });

  it('says how long its queue takes to go out at the global rate', async () => {
    const h = harness({ global: { limit: 45, windowMs: 1_000 } });
    for (let channel = 0; channel < 90; channel++) {
      h.submit({ channelId: `c${channel}`, key: `c${channel}:m`, label: `${channel}` });
    }
    expect(h.pacer.backlogMs()).toBe(2_000);
    await h.clock.advance(0);
    expect(h.pacer.backlogMs()).toBe(1_000); // 45 went out, 45 wait
    await h.clock.advance(5_000);
    expect(h.pacer.backlogMs()).toBe(0);
  });
});
