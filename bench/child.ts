/**
 * One tracker in a process of its own, so CPU seconds, peak RSS and event-loop delay are the tracker's
 * alone. Runs on the simulated time installed by child-preload.ts. Protocol over IPC: the child loads and
 * says `loaded`; the parent says `go` (the real instant the timeline starts) and later `stop`; the child
 * answers `metrics` and exits.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { createApp, type App } from '../src/app.js';
import { tuneHeapForLongRuns } from '../src/ops/heap-tuning.js';
import { loadBotConfig } from '../src/config.js';
import { createLogger } from '../src/ops/logger.js';
import { readChildConfig, type ChildMessage, type ChildMetrics, type ParentMessage } from './child-config.js';
import { startReferenceTracker, type ReferenceTask, type ReferenceTracker } from './reference-tracker.js';
import { runSoak } from './soak.js';
import { startTimeline, type TimeWarp } from './time-warp.js';

const config = readChildConfig();
const warp = (globalThis as { benchTimeWarp?: TimeWarp }).benchTimeWarp;
if (!warp) throw new Error('child-preload.ts must be loaded first (node --import)');

function send(message: ChildMessage): void {
  process.send?.(message);
}

interface Running {
  stop(): Promise<void>;
}

async function prepare(): Promise<() => Promise<Running>> {
  if (config.tracker === 'ours') {
    // As src/index.ts does before anything else.
    tuneHeapForLongRuns();
    const botConfig = loadBotConfig(config.env);
    const logger = createLogger({
      level: botConfig.logLevel,
      secrets: [botConfig.apiKey, botConfig.discordToken],
    });
    // Opens the store; nothing is read or polled until start().
    const app: App = await createApp({ config: botConfig, logger });
    return async () => {
      await app.start();
      const soak = config.soak;
      if (soak) {
        void runSoak(app, soak, (progress) => send({ type: 'soak-progress', progress })).then(
          (figures) => send({ type: 'soak', figures }),
          (error: unknown) => send({ type: 'failed', error: String(error) }),
        );
      }
      return {
        async stop() {
          if (process.env.BENCH_DUMP_METRICS) console.error(await app.metrics.registry.metrics());
          await app.stop({ graceMs: 2_000 });
        },
      };
    };
  }
  const tasks = JSON.parse(await readFile(config.referenceTasksFile!, 'utf8')) as ReferenceTask[];
  return async () => {
    const tracker: ReferenceTracker = await startReferenceTracker({
      apiBaseUrl: config.apiBaseUrl,
      apiKey: config.apiKey,
      discordApiUrl: config.discordApiUrl,
      discordToken: config.discordToken,
      tasks,
    });
    return { stop: () => tracker.stop() };
  };
}

const inspector = new Session();
async function startAllocationProfile(): Promise<void> {
  inspector.connect();
  await new Promise((resolve) => inspector.post('HeapProfiler.enable', resolve));
  await new Promise((resolve) =>
    inspector.post(
      'HeapProfiler.startSampling',
      {
        samplingInterval: 65536,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: !process.env.BENCH_ALLOC_MAJOR_ONLY,
      },
      resolve,
    ),
  );
}
async function stopAllocationProfile(file: string): Promise<void> {
  const profile = await new Promise((resolve) =>
    inspector.post('HeapProfiler.stopSampling', (_error, result) => resolve(result?.profile)),
  );
  await writeFile(file, JSON.stringify(profile));
}

async function main(): Promise<void> {
  const start = await prepare();
  const eventLoop = monitorEventLoopDelay({ resolution: 10 });
  let running: Running | undefined;
  let cpuAtGo: NodeJS.CpuUsage | undefined;
  let realAtGo = 0;
  let sampledPeak = process.memoryUsage();
  const sampler = setInterval(
    () => {
      const usage = process.memoryUsage();
      if (usage.rss > sampledPeak.rss) sampledPeak = usage;
      if (process.env.BENCH_MEMORY_TRACE) {
        const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
        const spaces = getHeapSpaceStatistics()
          .filter((space) => space.space_size > 2 ** 20)
          .map((space) => `${space.space_name} ${mb(space.space_used_size)}/${mb(space.space_size)}`)
          .join(', ');
        console.error(
          `memory at ${Math.round(performance.now() / 1000)} s real: rss ${mb(usage.rss)} MB, heap ${mb(usage.heapUsed)}/${mb(usage.heapTotal)} MB, external ${mb(usage.external)} MB (${spaces})`,
        );
      }
    },
    250 * warp!.factor, // simulated ms: 250 real ms
  );
  sampler.unref();

  process.on('message', (message: ParentMessage) => {
    void (async () => {
      try {
        if (message.type === 'go') {
          startTimeline(warp!, message.originReal);
          eventLoop.enable();
          cpuAtGo = process.cpuUsage();
          realAtGo = performance.now();
          if (process.env.BENCH_ALLOC_PROFILE) await startAllocationProfile();
          running = await start();
          send({ type: 'started' });
          const snapshotAt = Number(process.env.BENCH_HEAP_SNAPSHOT_AT ?? NaN);
          if (Number.isFinite(snapshotAt)) {
            setTimeout(() => {
              console.error('heap snapshot', writeHeapSnapshot());
            }, snapshotAt * 1000).unref();
          }
          return;
        }
        const cpu = process.cpuUsage(cpuAtGo);
        eventLoop.disable();
        const metrics: ChildMetrics = {
          cpuUserSeconds: cpu.user / 1e6,
          cpuSystemSeconds: cpu.system / 1e6,
          realSeconds: (performance.now() - realAtGo) / 1000,
          peakRssBytes: process.resourceUsage().maxRSS * 1024,
          heapUsedAtPeakBytes: sampledPeak.heapUsed,
          heapTotalAtPeakBytes: sampledPeak.heapTotal,
          externalAtPeakBytes: sampledPeak.external,
          eventLoopDelayP99Ms: eventLoop.percentile(99) / 1e6,
          eventLoopDelayMaxMs: eventLoop.max / 1e6,
        };
        if (process.env.BENCH_ALLOC_PROFILE) await stopAllocationProfile(process.env.BENCH_ALLOC_PROFILE);
        await running?.stop();
        send({ type: 'metrics', metrics });
        process.disconnect();
        // Keep-alive sockets and sweepers must not hold the process.
        setTimeout(() => process.exit(0), 100).unref();
      } catch (error) {
        send({
          type: 'failed',
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
        process.exit(1);
      }
    })();
  });
  send({ type: 'loaded' });
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
