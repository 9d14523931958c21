/**
 * `npm run bench`: the bot against the local Discord and the fake video API, and the naive reference
 * tracker through the same workloads, each in a process of its own on compressed time. Prints the table
 * and the targets in docs/performance.md#targets, writes bench/results/latest.json and bench/results/chart.svg.
 *
 *   npm run bench                      every row (about 12 minutes on 2 cores)
 *   npm run bench -- --only burst-1000 some rows, by name (`--only soak-50000`: the soak row alone)
 *   npm run bench -- --only soak-50000 --soak-tasks 10000   the soak row with fewer tasks
 *   npm run bench -- --quick           a small smoke run of the plumbing (under a minute)
 *   npm run bench -- --out <dir>       write the results elsewhere
 *   npm run bench -- --chart-only      redraw chart.svg from latest.json
 *   npm run bench -- --ours-only       skip the reference (its columns repeat ours; for profiling)
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildChild } from './build-child.js';
import {
  chartSvg,
  checkTargets,
  markdownTable,
  targetLines,
  type Machine,
  type RowResult,
} from './report.js';
import { runSoakRow, soakTable, type SoakResult, type SoakSpec } from './run-soak.js';
import { runWorkload } from './run-workload.js';
import { burstFloorSeconds, type WorkloadSpec } from './workload.js';

const benchDir = dirname(fileURLToPath(import.meta.url));

/**
 * The rows. Time factors are as high as this 2-core machine takes without the trackers falling behind
 * for want of CPU: the burst is about seconds, so it runs in real time.
 */
const SOAK: SoakSpec = {
  name: 'soak-50000',
  kind: 'soak',
  tasks: 50_000,
  channels: 500,
  timeFactor: 20,
  retentionDays: 0.004,
  concurrency: 200,
  sampleAfter: 5_000,
};

const FULL: readonly (WorkloadSpec | SoakSpec)[] = [
  { name: 'steady-1000', kind: 'steady', tasks: 1_000, channels: 500, timeFactor: 15, seed: 1 },
  { name: 'steady-5000', kind: 'steady', tasks: 5_000, channels: 500, timeFactor: 8, seed: 2 },
  { name: 'steady-10000', kind: 'steady', tasks: 10_000, channels: 500, timeFactor: 4, seed: 3 },
  { name: 'burst-1000', kind: 'burst', tasks: 1_000, channels: 100, timeFactor: 1, seed: 4 },
  SOAK,
];

const QUICK: readonly (WorkloadSpec | SoakSpec)[] = [
  { name: 'steady-200', kind: 'steady', tasks: 200, channels: 50, timeFactor: 20, seed: 1 },
  { name: 'burst-100', kind: 'burst', tasks: 100, channels: 10, timeFactor: 2, seed: 4 },
  { ...SOAK, name: 'soak-2000', tasks: 2_000, channels: 50, retentionDays: 0.0005, sampleAfter: 500 },
];

/** A soak row cut down for investigating (`--soak-tasks 10000`): the first sample after half at most. */
function resizeSoak(spec: SoakSpec, tasks: number): SoakSpec {
  return { ...spec, tasks, sampleAfter: Math.min(spec.sampleAfter, Math.floor(tasks / 2)) };
}

function machine(): Machine {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      'chart-only': { type: 'boolean', default: false },
      'ours-only': { type: 'boolean', default: false },
      'soak-tasks': { type: 'string' },
    },
  });
  if (values['chart-only']) {
    // Redraws the chart from the results already written, without running anything.
    const dir = resolve(values.out ?? join(benchDir, 'results'));
    const saved = JSON.parse(await readFile(join(dir, 'latest.json'), 'utf8'), (_key, value: unknown) =>
      value === 'Infinity' ? Infinity : value,
    ) as { rows: RowResult[] };
    await writeFile(join(dir, 'chart.svg'), chartSvg(saved.rows));
    console.log(`Wrote ${join(dir, 'chart.svg')}`);
    return;
  }
  const only = values.only?.split(',').map((name) => name.trim());
  const soakTasks = values['soak-tasks'] ? Number(values['soak-tasks']) : undefined;
  const specs = (values.quick ? QUICK : FULL)
    .filter((spec) => !only || only.includes(spec.name))
    .map((spec) => (spec.kind === 'soak' && soakTasks ? resizeSoak(spec, soakTasks) : spec));
  if (specs.length === 0) throw new Error(`No row named ${values.only ?? ''}`);
  // A quick or partial run never overwrites the committed results.
  const partial = values.quick || values['ours-only'] || specs.every((spec) => spec.kind === 'soak');
  const outDir = resolve(
    values.out ?? (partial ? join(tmpdir(), 'sora-tracker-bench-partial') : join(benchDir, 'results')),
  );
  const started = performance.now();
  const log = (line: string) => console.log(line);

  log('sora-tracker benchmark: the bot and a naive reference tracker through the same workloads.');
  log(
    'Time is compressed: "×F" plays F simulated seconds per real second (refreshes every 15 s, tasks of 2–10 min,',
  );
  log(
    'Discord limits and the 5 s reference poll all scaled alike). CPU % = CPU seconds / simulated seconds.',
  );
  const child = await buildChild();

  const rows: RowResult[] = [];
  const soaks: SoakResult[] = [];
  for (const spec of specs) {
    if (spec.kind === 'soak') {
      log(
        `\n${spec.name}: ${spec.tasks} tasks tracked and ended, retention ${spec.retentionDays} d, time ×${spec.timeFactor}`,
      );
      soaks.push(await runSoakRow(spec, child, log));
      continue;
    }
    log(`\n${spec.name}: ${spec.tasks} tasks over ${spec.channels} channels, time ×${spec.timeFactor}`);
    const common = { spec, child, log, realLimitMs: 8 * 60_000 };
    const ours = await runWorkload({ ...common, tracker: 'ours', cutOffAfterMs: 5 * 60_000 });
    // The reference's Discord queue can take far longer than the tasks: it is stopped a minute after the
    // last task ended upstream, and whatever it had not shown by then counts as never shown.
    const reference = values['ours-only']
      ? ours
      : await runWorkload({ ...common, tracker: 'reference', cutOffAfterMs: 60_000 });
    rows.push({
      workload: spec.name,
      kind: spec.kind,
      tasks: spec.tasks,
      channels: spec.channels,
      timeFactor: spec.timeFactor,
      ours,
      reference,
      ...(spec.kind === 'burst' ? { floorSeconds: burstFloorSeconds(spec.tasks, spec.channels) } : {}),
    });
  }

  const checks = rows.length > 0 ? checkTargets(rows) : [];
  const realSeconds = (performance.now() - started) / 1000;
  if (rows.length > 0) log(`\n${markdownTable(rows)}\n\nTargets:\n${targetLines(checks)}\n`);
  // A ratio up to about 1.2 is flat: the end against the first 5,000 ended (docs/performance.md#soak).
  if (soaks.length > 0) log(`\n${soakTable(soaks)}\n`);
  log(`Whole run: ${Math.round(realSeconds)} s on ${JSON.stringify(machine())}`);

  await mkdir(outDir, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    machine: machine(),
    realSeconds,
    rows,
    soak: soaks,
    targets: checks,
  };
  // Infinity (never shown before the cut-off) would become null in JSON.
  const json = JSON.stringify(report, (_key, value: unknown) => (value === Infinity ? 'Infinity' : value), 2);
  await writeFile(join(outDir, 'latest.json'), `${json}\n`);
  if (rows.length > 0) await writeFile(join(outDir, 'chart.svg'), chartSvg(rows));
  log(`Wrote ${join(outDir, 'latest.json')} and ${join(outDir, 'chart.svg')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
