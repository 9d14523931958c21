/**
 * The soak row: one bot process tracks and ends `tasks` tasks in compressed time with retention
 * compressed too, and its peak RSS and store size at the end are compared with those after the first
 * 5,000 ended (docs/performance.md#soak). A ratio near 1 means nothing grows with the tasks seen.
 */
import { fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_FLAGS } from '../src/ops/heap-tuning.js';
import { startFakeDiscord } from '../testkit/fake-discord/index.js';
import { startFakeVideoApi } from '../testkit/fake-video-api/index.js';
import type { ChildConfig, ChildMessage, ChildMetrics } from './child-config.js';
import type { BuiltChild } from './run-workload.js';
import { soakTaskId, type SoakFigures } from './soak.js';
import { createTimeWarp, createWarpedClock, realNow, startTimeline } from './time-warp.js';

export interface SoakSpec {
  name: string;
  kind: 'soak';
  tasks: number;
  channels: number;
  timeFactor: number;
  /** Retention, in simulated days (RETENTION_DAYS). */
  retentionDays: number;
  concurrency: number;
  sampleAfter: number;
}

export interface SoakResult {
  workload: string;
  tasks: number;
  timeFactor: number;
  retentionDays: number;
  realSeconds: number;
  figures: SoakFigures;
  rssRatio: number;
  /** Peak live store data (pages in use) over the run against up to the first sample: what retention bounds. */
  storeRatio: number;
  /** The SQLite file and WAL on disk, free pages included. */
  fileRatio: number;
  child: ChildMetrics;
}

const START_AT = Date.UTC(2026, 6, 1, 12, 0, 0);
const API_KEY = 'sk-bench-0123456789abcdef';

export async function runSoakRow(spec: SoakSpec, built: BuiltChild, log: (line: string) => void) {
  const dir = await mkdtemp(join(tmpdir(), `sora-bench-${spec.name}-`));
  const warp = createTimeWarp(spec.timeFactor, START_AT);
  const clock = createWarpedClock(warp);
  const discord = await startFakeDiscord({ clock });
  const api = await startFakeVideoApi({ apiKey: API_KEY, clock, recordRequests: false });
  const users = Array.from({ length: 200 }, (_, i) => discord.world.user({ username: `user${i}` }));
  const channels: { id: string; guildId: string }[] = [];
  for (let g = 0; channels.length < spec.channels; g++) {
    const guild = discord.world.guild({ name: `Studio ${g}`, members: users });
    for (let c = 0; c < 100 && channels.length < spec.channels; c++) {
      channels.push({ id: discord.world.textChannel(guild, { name: `renders-${c}` }).id, guildId: guild.id });
    }
  }
  // Finished at the relay when tracked: the bot reads it, posts, delivers and ends it at once.
  for (let i = 0; i < spec.tasks; i++) {
    api.addTask({ id: soakTaskId(i), steps: [{ atMs: 0, status: 'completed' }], video: { bytes: 8 * 1024 } });
  }
  const storeFile = join(dir, 'store.sqlite');
  const config: ChildConfig = {
    tracker: 'ours',
    timeFactor: spec.timeFactor,
    startAt: START_AT,
    discordApiUrl: discord.apiUrl,
    discordToken: discord.token,
    apiBaseUrl: api.baseUrl,
    apiKey: API_KEY,
    env: {
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      SORA_API_KEY: API_KEY,
      SORA_BASE_URL: api.baseUrl,
      ALLOW_PRIVATE_VIDEO_URLS: 'true',
      STORE_URL: `sqlite://${storeFile}`,
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      API_TIMEOUT_MS: String(Math.max(30_000, 10_000 * spec.timeFactor)),
      RETENTION_DAYS: String(spec.retentionDays),
      MAX_TASKS_PER_GUILD: '100000',
      DOWNLOAD_DIR: join(dir, 'downloads'),
    },
    soak: {
      tasks: spec.tasks,
      concurrency: spec.concurrency,
      sampleAfter: spec.sampleAfter,
      channels,
      userIds: users.map((user) => user.id),
      storeFile,
      stallSeconds: 60,
    },
  };
  const logFile = createWriteStream(join(dir, 'child.log'));
  const child = fork(built.entry, [], {
    execArgv: [
      ...NODE_FLAGS,
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      built.preload,
    ],
    env: { ...process.env, BENCH_CHILD: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  const next = messagesOf(child, dir, (m) => {
    const p = m.progress;
    log(`  ${p.ended} ended, ${p.active} active, ${p.refused} refused, store live ${mb(p.liveBytes)} MB`);
  });
  try {
    await next('loaded');
    const originReal = realNow();
    startTimeline(warp, originReal);
    child.send({ type: 'go', originReal });
    const { figures } = (await next('soak')) as Extract<ChildMessage, { type: 'soak' }>;
    const realSeconds = (realNow() - originReal) / 1000;
    child.send({ type: 'stop' });
    const { metrics } = (await next('metrics')) as Extract<ChildMessage, { type: 'metrics' }>;
    const result: SoakResult = {
      workload: spec.name,
      tasks: spec.tasks,
      timeFactor: spec.timeFactor,
      retentionDays: spec.retentionDays,
      realSeconds,
      figures,
      rssRatio: figures.atEnd.peakRssBytes / figures.afterFirst.peakRssBytes,
      storeRatio: figures.atEnd.peakLiveBytes / figures.afterFirst.peakLiveBytes,
      fileRatio: figures.atEnd.fileBytes / figures.afterFirst.fileBytes,
      child: metrics,
    };
    log(`  ours: ${figures.atEnd.ended}/${spec.tasks} ended in ${realSeconds.toFixed(0)} s real`);
    return result;
  } finally {
    for (let i = 0; i < 100 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([discord.close(), api.close()]);
    logFile.end();
    if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  }
}

/** Waits for the child's messages by type; a failure or an early exit rejects. */
function messagesOf(
  child: ReturnType<typeof fork>,
  dir: string,
  onProgress: (message: Extract<ChildMessage, { type: 'soak-progress' }>) => void,
) {
  const messages: ChildMessage[] = [];
  const waiters: (() => void)[] = [];
  let exited = false;
  const wake = () => waiters.splice(0).forEach((w) => w());
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'soak-progress') return onProgress(message);
    messages.push(message);
    wake();
  });
  child.on('exit', () => {
    exited = true;
    wake();
  });
  return async (type: ChildMessage['type']): Promise<ChildMessage> => {
    for (;;) {
      const failed = messages.find((m) => m.type === 'failed');
      if (failed?.type === 'failed') throw new Error(`soak child failed: ${failed.error}`);
      const found = messages.find((m) => m.type === type);
      if (found) return found;
      if (exited) throw new Error(`soak child exited early; see ${join(dir, 'child.log')}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

export function soakTable(rows: readonly SoakResult[]): string {
  const lines = [
    '| Soak | Tasks ended | First sample at | Retention | Real s | Peak RSS first / end (MB) | RSS ratio | Peak live store data first / end (MB) | Store ratio | File + WAL first / end (MB) | File ratio |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const row of rows) {
    const { afterFirst: a, atEnd: e } = row.figures;
    const cells = [
      row.workload,
      e.ended,
      a.ended,
      `${(row.retentionDays * 86_400).toFixed(0)} s sim`,
      row.realSeconds.toFixed(0),
      `${mb(a.peakRssBytes)} / ${mb(e.peakRssBytes)}`,
      row.rssRatio.toFixed(2),
      `${mb(a.peakLiveBytes)} / ${mb(e.peakLiveBytes)}`,
      row.storeRatio.toFixed(2),
      `${mb(a.fileBytes)} / ${mb(e.fileBytes)}`,
      row.fileRatio.toFixed(2),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
