import type { SoakFigures, SoakPlan, SoakProgress } from './soak.js';

/** What the bench tells a tracker's child process (as JSON in BENCH_CHILD), and what it answers. */

export interface ChildConfig {
  tracker: 'ours' | 'reference';
  timeFactor: number;
  /** Simulated epoch ms at which the run starts. */
  startAt: number;
  discordApiUrl: string;
  discordToken: string;
  apiBaseUrl: string;
  apiKey: string;
  /** Ours: the environment of the bot (STORE_URL and friends). */
  env: Record<string, string>;
  /** Reference: the JSON file listing its tasks. */
  referenceTasksFile?: string;
  /** Ours, soak row: the bot drives its own tracker through this many tasks (bench/soak.ts). */
  soak?: SoakPlan;
}

export type ParentMessage = { type: 'go'; originReal: number } | { type: 'stop' };

export interface ChildMetrics {
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  /** Real seconds between go and stop. */
  realSeconds: number;
  peakRssBytes: number;
  /** V8 heap in use when RSS was sampled highest (sampled every 250 ms of real time). */
  heapUsedAtPeakBytes: number;
  heapTotalAtPeakBytes: number;
  /** Memory outside the V8 heap that V8 knows of (Buffers and the like). */
  externalAtPeakBytes: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export type ChildMessage =
  | { type: 'loaded' }
  | { type: 'started' }
  | { type: 'soak'; figures: SoakFigures }
  | { type: 'soak-progress'; progress: SoakProgress }
  | { type: 'metrics'; metrics: ChildMetrics }
  | { type: 'failed'; error: string };

export function readChildConfig(): ChildConfig {
  const raw = process.env.BENCH_CHILD;
  if (!raw) throw new Error('BENCH_CHILD is not set: this module runs inside `npm run bench`');
  return JSON.parse(raw) as ChildConfig;
}
