/**
 * One row of the benchmark for one tracker: builds the scene, starts the tracker in its own process on
 * compressed time, waits until every task has ended in Discord (or the cut-off), then reads the figures.
 */
import { fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_FLAGS } from '../src/ops/heap-tuning.js';
import type { RequestLogEntry } from '../testkit/fake-discord/index.js';
import type { ChildConfig, ChildMessage, ChildMetrics, ParentMessage } from './child-config.js';
import { isFinished, latencies, percentile, viewsOf } from './measure.js';
import { API_KEY, buildScene } from './scene.js';
import { createTimeWarp, realNow, simulatedNow, startTimeline } from './time-warp.js';
import { buildWorkload, terminalTick, type WorkloadSpec } from './workload.js';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  /** How many were never seen during the run (counted as infinitely late). */
  missing: number;
}

export interface RunResult {
  workload: string;
  tracker: 'ours' | 'reference';
  tasks: number;
  channels: number;
  timeFactor: number;
  simulatedSeconds: number;
  realSeconds: number;
  /** Tasks whose result was posted and whose progress message shows the end. */
  finished: number;
  /** The run was stopped by the cut-off before every task finished. */
  cutOff: boolean;
  api: {
    requests: number;
    perTask: number;
    status: number;
    content: number;
    /** Mean simulated seconds between two status polls of one task while it ran. */
    meanPollGapSeconds: number;
  };
  discord: {
    /** Message creates and edits. */
    writes: number;
    perTask: number;
    total: number;
    rateLimited: { user: number; global: number; shared: number };
    peakPerSecond: number;
  };
  visibleChangesPerTask: number;
  changeToVisibleSeconds: Percentiles;
  completionToResultSeconds: Percentiles;
  /** Upstream completion (or failure) → the first poll that saw it. */
  completionSeenSeconds: Percentiles;
  /** Burst: seconds from the completions to the last result message. */
  lastResultSeconds: number;
  child: ChildMetrics;
  /** Per 10 simulated seconds from the start: API status requests and Discord message writes. */
  timeline: { apiStatus: number[]; discordWrites: number[] };
  /** CPU seconds per simulated second: the share of one core the tracker would use at real speed. */
  cpuShareOfCore: number;
}

export interface BuiltChild {
  preload: string;
  entry: string;
}

export interface RunOptions {
  spec: WorkloadSpec;
  tracker: 'ours' | 'reference';
  child: BuiltChild;
  /** Simulated ms after the last upstream end at which the run stops even if tasks are unfinished. */
  cutOffAfterMs: number;
  /** Hard real-time limit of the run, ms. */
  realLimitMs: number;
  log: (line: string) => void;
}

const START_AT = Date.UTC(2026, 6, 1, 12, 0, 0);
const MESSAGE_ROUTES = [
  'POST /channels/:channel_id/messages',
  'PATCH /channels/:channel_id/messages/:message_id',
];

function stats(values: number[]): Percentiles {
  const toSeconds = (ms: number) => ms / 1000;
  return {
    p50: toSeconds(percentile(values, 50)),
    p95: toSeconds(percentile(values, 95)),
    p99: toSeconds(percentile(values, 99)),
    missing: values.filter((value) => !Number.isFinite(value)).length,
  };
}

function writeTimeline(log: readonly RequestLogEntry[]): number[] {
  const buckets: number[] = [];
  for (const entry of log) {
    if (!MESSAGE_ROUTES.includes(`${entry.method} ${entry.route}`)) continue;
    const bucket = Math.max(0, Math.floor((entry.at - START_AT) / 10_000));
    buckets[bucket] = (buckets[bucket] ?? 0) + 1;
  }
  return [...buckets].map((n) => n ?? 0);
}

export async function runWorkload(options: RunOptions): Promise<RunResult> {
  const { spec, tracker } = options;
  const dir = await mkdtemp(join(tmpdir(), `sora-bench-${spec.name}-${tracker}-`));
  const warp = createTimeWarp(spec.timeFactor, START_AT);
  const workload = buildWorkload(spec, START_AT);
  const { scene, storeUrl, referenceTasksFile } = await buildScene({ workload, tracker, warp, dir });
  const lastEnd = Math.max(...workload.tasks.map((task) => terminalTick(task).at));

  const config: ChildConfig = {
    tracker,
    timeFactor: spec.timeFactor,
    startAt: START_AT,
    discordApiUrl: scene.discord.apiUrl,
    discordToken: scene.discord.token,
    apiBaseUrl: scene.api.baseUrl,
    apiKey: API_KEY,
    env: {
      DISCORD_TOKEN: scene.discord.token,
      DISCORD_API_URL: scene.discord.apiUrl,
      SORA_API_KEY: API_KEY,
      SORA_BASE_URL: scene.api.baseUrl,
      // The fake's "CDN" is another origin on 127.0.0.1.
      ALLOW_PRIVATE_VIDEO_URLS: 'true',
      STORE_URL: storeUrl ?? 'memory://',
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      // Timeouts are simulated time too: keep them at least 10 real seconds on a loaded machine.
      API_TIMEOUT_MS: String(Math.max(30_000, 10_000 * spec.timeFactor)),
    },
    ...(referenceTasksFile ? { referenceTasksFile } : {}),
  };
  const logFile = createWriteStream(join(dir, 'child.log'));
  const child = fork(options.child.entry, [], {
    execArgv: [
      // Ours runs as `npm start` runs it; the reference as peers run, with plain `node`.
      ...(tracker === 'ours' ? NODE_FLAGS : []),
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      options.child.preload,
    ],
    env: { ...process.env, BENCH_CHILD: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);

  const messages: ChildMessage[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (message: ChildMessage) => {
    messages.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
    for (const wake of waiters.splice(0)) wake();
  });
  async function expect(type: ChildMessage['type']): Promise<ChildMessage> {
    for (;;) {
      const failed = messages.find((m) => m.type === 'failed');
      if (failed?.type === 'failed') throw new Error(`${tracker} child failed: ${failed.error}`);
      const found = messages.find((m) => m.type === type);
      if (found) return found;
      if (exited) throw new Error(`${tracker} child exited early; see ${join(dir, 'child.log')}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }
  const tell = (message: ParentMessage) => child.send(message);

  try {
    await expect('loaded');
    const originReal = realNow();
    startTimeline(warp, originReal);
    tell({ type: 'go', originReal });
    await expect('started');

    const channelIds = scene.channels.map((channel) => channel.id);
    const realStart = realNow();
    let finished = 0;
    let cutOff = false;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const views = viewsOf(scene.discord, channelIds, scene.progressMessageIds);
      finished = workload.tasks.filter((task) => isFinished(views.get(task.id))).length;
      if (finished === workload.tasks.length) break;
      const now = simulatedNow(warp);
      if (now > lastEnd + options.cutOffAfterMs || realNow() - realStart > options.realLimitMs) {
        cutOff = true;
        break;
      }
      if (exited) throw new Error(`${tracker} child exited during the run; see ${join(dir, 'child.log')}`);
    }
    const simulatedSeconds = (simulatedNow(warp) - START_AT) / 1000;
    const realSeconds = (realNow() - realStart) / 1000;
    tell({ type: 'stop' });
    const { metrics } = (await expect('metrics')) as Extract<ChildMessage, { type: 'metrics' }>;

    const views = viewsOf(scene.discord, channelIds, scene.progressMessageIds);
    const measured = latencies(workload.tasks, views);
    const counters = scene.discord.counters;
    const writes = MESSAGE_ROUTES.reduce((sum, route) => {
      const [method, path] = route.split(' ');
      return sum + counters.requests(method!, path!);
    }, 0);
    const apiRequests = scene.apiCounts.status + scene.apiCounts.content + scene.apiCounts.file;
    const burstAt = workload.burstAt;
    const lastResult = Math.max(
      ...[...views.values()].map((view) => view.result?.versions[0]?.at ?? Infinity),
    );
    options.log(
      `  ${tracker}: ${finished}/${spec.tasks} finished in ${simulatedSeconds.toFixed(0)} s simulated, ${realSeconds.toFixed(0)} s real`,
    );
    return {
      workload: spec.name,
      tracker,
      tasks: spec.tasks,
      channels: spec.channels,
      timeFactor: spec.timeFactor,
      simulatedSeconds,
      realSeconds,
      finished,
      cutOff,
      api: {
        requests: apiRequests,
        perTask: apiRequests / spec.tasks,
        status: scene.apiCounts.status,
        content: scene.apiCounts.content + scene.apiCounts.file,
        meanPollGapSeconds:
          workload.tasks.reduce((sum, task) => {
            const end = scene.apiCounts.endSeenAt.get(task.id) ?? terminalTick(task).at;
            return sum + Math.max(0, end - START_AT);
          }, 0) /
          1000 /
          Math.max(1, scene.apiCounts.status),
      },
      discord: {
        writes,
        perTask: writes / spec.tasks,
        total: counters.totalRequests(),
        rateLimited: { ...counters.rateLimited() },
        peakPerSecond: counters.peakRequestsPerSecond(),
      },
      visibleChangesPerTask: measured.visibleChanges / spec.tasks,
      changeToVisibleSeconds: stats(measured.changeToVisible),
      completionToResultSeconds: stats(measured.completionToResult),
      completionSeenSeconds: stats(
        workload.tasks.map((task) => {
          const seen = scene.apiCounts.endSeenAt.get(task.id);
          return seen === undefined ? Infinity : seen - terminalTick(task).at;
        }),
      ),
      lastResultSeconds: burstAt === undefined ? NaN : (lastResult - burstAt) / 1000,
      child: metrics,
      timeline: {
        apiStatus: [...scene.apiCounts.statusTimeline].map((n) => n ?? 0),
        discordWrites: writeTimeline(counters.log()),
      },
      cpuShareOfCore: (metrics.cpuUserSeconds + metrics.cpuSystemSeconds) / simulatedSeconds,
    };
  } finally {
    // It exits by itself after the metrics; a profile (BENCH_NODE_ARGS=--cpu-prof) is written then.
    for (let i = 0; i < 100 && !exited; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    if (!exited) child.kill('SIGKILL');
    await scene.close();
    logFile.end();
    if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}
