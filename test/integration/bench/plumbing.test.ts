import { describe, expect, it } from 'vitest';
import { latencies, shownRank, type TaskView } from '../../../bench/measure.js';
import { referenceEmbed } from '../../../bench/reference-tracker.js';
import {
  RELAY_REFRESH_MS,
  buildWorkload,
  burstFloorSeconds,
  stateRank,
  terminalTick,
  type TaskPlan,
} from '../../../bench/workload.js';
import { progressView } from '../../../src/discord/progress-publisher.js';
import { renderProgressMessage } from '../../../src/render/index.js';
import type { SubscriptionRecord, TaskRecord } from '../../../src/store/index.js';
import type { FakeMessage, MessageVersion } from '../../../testkit/fake-discord/index.js';
import { snapshot } from '../../unit/render/fixtures.js';

/**
 * The benchmark's own plumbing (`npm run bench`), checked without running it: it must read what the bot
 * really renders, build the timelines the issue asks for, and charge latencies the way it says.
 */

const START = Date.UTC(2026, 6, 1, 12);

function rendered(status: 'queued' | 'in_progress' | 'completed' | 'failed', progress: number) {
  const sub = { locale: 'en-US', requesterId: '1', state: 'active' } as SubscriptionRecord;
  const task = {
    id: 'task_1',
    state: status === 'completed' || status === 'failed' ? 'ended' : 'active',
    endReason: status === 'completed' || status === 'failed' ? status : undefined,
    snapshot: snapshot({ status, rawStatus: status, progress }),
    trackedAt: START,
    lastChangeAt: START,
    channelIds: [],
  } as unknown as TaskRecord;
  return renderProgressMessage(progressView(sub, task), START);
}

const version = (at: number, body: { embeds?: unknown[] }) =>
  ({ at, embeds: body.embeds ?? [] }) as unknown as MessageVersion;

describe('bench plumbing', () => {
  it('reads the state shown by the bot’s progress message and by the reference’s', () => {
    expect(shownRank(version(0, rendered('queued', 0)))).toBe(stateRank('queued', 0));
    expect(shownRank(version(0, rendered('in_progress', 37)))).toBe(stateRank('in_progress', 37));
    expect(shownRank(version(0, rendered('completed', 100)))).toBe(stateRank('completed', 100));
    expect(shownRank(version(0, rendered('failed', 60)))).toBe(stateRank('failed', 60));
    const reference = { embeds: [referenceEmbed({ status: 'in_progress', progress: 42 })] };
    expect(shownRank(version(0, reference))).toBe(stateRank('in_progress', 42));
  });

  it('builds relay timelines: a refresh every 15 s, tasks of 2–10 minutes, the burst in one second', () => {
    const steady = buildWorkload(
      { name: 's', kind: 'steady', tasks: 300, channels: 50, timeFactor: 1, seed: 9 },
      START,
    );
    for (const task of steady.tasks) {
      expect(task.ticks[0]!.at).toBeLessThanOrEqual(START);
      const end = terminalTick(task);
      expect(['completed', 'failed']).toContain(end.status);
      if (end.status === 'completed') expect(end.at - task.createdAt).toBeGreaterThanOrEqual(2 * 60_000);
      expect(end.at - task.createdAt).toBeLessThanOrEqual(10 * 60_000 + RELAY_REFRESH_MS + 1_000);
      for (let i = 2; i < task.ticks.length; i++) {
        const gap = task.ticks[i]!.at - task.ticks[i - 1]!.at;
        expect(gap).toBeGreaterThanOrEqual(RELAY_REFRESH_MS - 1_000);
        expect(gap).toBeLessThanOrEqual(RELAY_REFRESH_MS + 1_000);
      }
    }
    expect(steady.tasks.some((task) => terminalTick(task).status === 'failed')).toBe(true);

    const burst = buildWorkload(
      { name: 'b', kind: 'burst', tasks: 200, channels: 20, timeFactor: 1, seed: 9 },
      START,
    );
    const ends = burst.tasks.map((task) => terminalTick(task).at);
    expect(Math.max(...ends) - Math.min(...ends)).toBeLessThan(1_000);
    expect(burst.tasks.every((task) => terminalTick(task).status === 'completed')).toBe(true);
    expect(burstFloorSeconds(1_000, 100)).toBe(20);
  });

  it('charges a change until the message shows it or a later state, and a completion until its result', () => {
    const task: TaskPlan = {
      id: 'task_1',
      channel: 0,
      requester: 0,
      createdAt: START - 60_000,
      ticks: [
        { at: START - 1_000, status: 'in_progress', progress: 10 },
        { at: START + 14_000, status: 'in_progress', progress: 20 },
        { at: START + 29_000, status: 'in_progress', progress: 30 },
        { at: START + 44_000, status: 'completed', progress: 100 },
      ],
    };
    const progress = {
      versions: [
        version(START - 50_000, rendered('in_progress', 10)), // the message as posted before the start
        version(START + 16_000, rendered('in_progress', 20)),
        version(START + 40_000, rendered('in_progress', 30)),
        version(START + 50_000, rendered('completed', 100)),
      ],
    } as unknown as FakeMessage;
    const result = { versions: [version(START + 47_000, {})] } as unknown as FakeMessage;
    const views = new Map<string, TaskView>([['task_1', { progress, result }]]);

    expect(latencies([task], views)).toEqual({
      changeToVisible: [2_000, 11_000, 6_000],
      completionToResult: [3_000],
      visibleChanges: 3,
    });
    const unseen = new Map<string, TaskView>([['task_1', { progress: undefined, result: undefined }]]);
    expect(latencies([task], unseen).changeToVisible).toEqual([Infinity, Infinity, Infinity]);
  });
});
