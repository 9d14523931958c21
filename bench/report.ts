/**
 * What a benchmark run prints and writes: the table (Markdown, both trackers side by side), the targets
 * (docs/performance.md#targets) with their verdicts, and an SVG chart of requests, latency and memory against N.
 */
import type { RunResult } from './run-workload.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export interface RowResult {
  workload: string;
  kind: 'steady' | 'burst';
  tasks: number;
  channels: number;
  timeFactor: number;
  ours: RunResult;
  reference: RunResult;
  /** Burst: the least time Discord's limits allow for every result (global 50/s, 5 per 5 s per channel). */
  floorSeconds?: number;
}

export interface TargetCheck {
  target: string;
  value: string;
  met: boolean;
}

const MiB = 1024 * 1024;

const num = (value: number, digits = 1) =>
  Number.isFinite(value) ? value.toFixed(digits) : value === Infinity ? '∞' : '–';

/** p50 / p95 / p99 in seconds, with the count never seen when the run was cut off. */
function triple(stats: RunResult['changeToVisibleSeconds']): string {
  const base = `${num(stats.p50)} / ${num(stats.p95)} / ${num(stats.p99)}`;
  return stats.missing > 0 ? `${base} (${stats.missing} never)` : base;
}

const rateLimited = (run: RunResult) =>
  run.discord.rateLimited.user + run.discord.rateLimited.global + run.discord.rateLimited.shared;

export function markdownTable(rows: readonly RowResult[]): string {
  const header = [
    'Workload',
    'Tracker',
    'API req/task',
    'Mean poll gap (s)',
    'Discord req/task',
    'Visible changes/task',
    '429s',
    'Peak Discord req/s',
    'Change → visible p50/p95/p99 (s)',
    'Completion → result p50/p95/p99 (s)',
    'CPU s',
    'CPU % of a core',
    'Peak RSS (MB)',
    'Event-loop delay p99 (ms)',
    'Finished',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) {
    for (const run of [row.ours, row.reference]) {
      const burst =
        row.floorSeconds !== undefined && Number.isFinite(run.lastResultSeconds)
          ? `; last result ${num(run.lastResultSeconds)} s = ${num(run.lastResultSeconds / row.floorSeconds, 2)}× the ${num(row.floorSeconds)} s floor`
          : '';
      lines.push(
        `| ${row.workload} (×${row.timeFactor}) | ${run.tracker} | ${num(run.api.perTask)} | ${num(run.api.meanPollGapSeconds)} | ${num(run.discord.perTask)} | ${num(run.visibleChangesPerTask)} | ${rateLimited(run)} | ${run.discord.peakPerSecond} | ${triple(run.changeToVisibleSeconds)} | ${triple(run.completionToResultSeconds)} | ${num(run.child.cpuUserSeconds + run.child.cpuSystemSeconds)} | ${num(run.cpuShareOfCore * 100)} | ${num(run.child.peakRssBytes / MiB, 0)} | ${num(run.child.eventLoopDelayP99Ms)} | ${run.finished}/${run.tasks}${run.cutOff ? ' (cut off)' : ''}${burst} |`,
      );
    }
  }
  return lines.join('\n');
}

/** The targets (docs/performance.md#targets), checked against the figures. */
export function checkTargets(rows: readonly RowResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const largest = rows.filter((row) => row.kind === 'steady').sort((a, b) => b.tasks - a.tasks)[0];
  if (largest) {
    const ours = largest.ours;
    const n = largest.tasks.toLocaleString('en-US');
    checks.push(
      {
        target: `${n} tasks: peak RSS under 300 MB`,
        value: `${num(ours.child.peakRssBytes / MiB, 0)} MB`,
        met: ours.child.peakRssBytes < 300 * MiB,
      },
      {
        target: `${n} tasks: CPU under 20% of one core on average (CPU seconds per simulated second)`,
        value: `${num(ours.cpuShareOfCore * 100)}%`,
        met: ours.cpuShareOfCore < 0.2,
      },
      {
        target: `${n} tasks: event-loop delay p99 under 50 ms`,
        value: `${num(ours.child.eventLoopDelayP99Ms)} ms`,
        met: ours.child.eventLoopDelayP99Ms < 50,
      },
    );
    const smallest = rows.filter((row) => row.kind === 'steady').sort((a, b) => a.tasks - b.tasks)[0];
    if (smallest && smallest.tasks < largest.tasks) {
      // Linear or better: what one task costs does not grow with the number of tasks.
      const cpuPerTask = (row: RowResult) =>
        (row.ours.child.cpuUserSeconds + row.ours.child.cpuSystemSeconds) / row.tasks;
      const rssPerTask = (row: RowResult) => row.ours.child.peakRssBytes / row.tasks;
      const small = smallest.tasks.toLocaleString('en-US');
      checks.push(
        {
          target: `CPU grows linearly or better: CPU seconds per task at ${n} ≤ at ${small}`,
          value: `${num(cpuPerTask(largest) * 1000, 1)} ms ≤ ${num(cpuPerTask(smallest) * 1000, 1)} ms`,
          met: cpuPerTask(largest) <= cpuPerTask(smallest),
        },
        {
          target: `Memory grows linearly or better: peak RSS per task at ${n} ≤ at ${small}`,
          value: `${num(rssPerTask(largest) / 1024, 1)} KiB ≤ ${num(rssPerTask(smallest) / 1024, 1)} KiB`,
          met: rssPerTask(largest) <= rssPerTask(smallest),
        },
      );
    }
  }
  for (const row of rows) {
    const { ours, reference } = row;
    checks.push(
      {
        target: `${row.workload}: zero 429s`,
        value: String(rateLimited(ours)),
        met: rateLimited(ours) === 0,
      },
      {
        target: `${row.workload}: never more than 50 Discord requests in any second`,
        value: `${ours.discord.peakPerSecond}`,
        met: ours.discord.peakPerSecond <= 50,
      },
      {
        target: `${row.workload}: Discord requests per task ≤ visible changes + the result`,
        value: `${num(ours.discord.perTask, 2)} ≤ ${num(ours.visibleChangesPerTask + 1, 2)}`,
        met: ours.discord.perTask <= ours.visibleChangesPerTask + 1,
      },
    );
    if (row.kind === 'steady') {
      checks.push(
        {
          target: `${row.workload}: API requests per task at most a third of the reference's`,
          value: `${num(ours.api.perTask, 2)} vs ${num(reference.api.perTask, 2)} (${num(ours.api.perTask / reference.api.perTask, 2)}×)`,
          met: ours.api.perTask * 3 <= reference.api.perTask,
        },
        {
          target: `${row.workload}: change → visible p95 no worse than the reference's`,
          value: `${num(ours.changeToVisibleSeconds.p95)} s vs ${num(reference.changeToVisibleSeconds.p95)} s`,
          met: ours.changeToVisibleSeconds.p95 <= reference.changeToVisibleSeconds.p95,
        },
      );
    }
    if (row.floorSeconds !== undefined) {
      const multiple = ours.lastResultSeconds / row.floorSeconds;
      checks.push({
        target: `${row.workload}: all results within 1.3× the floor`,
        value: `${num(ours.lastResultSeconds)} s = ${num(multiple, 2)}× the ${num(row.floorSeconds)} s floor`,
        met: multiple <= 1.3 && ours.finished === ours.tasks,
      });
    }
  }
  return checks;
}

export function targetLines(checks: readonly TargetCheck[]): string {
  return checks.map((check) => `- [${check.met ? 'x' : ' '}] ${check.target}: ${check.value}`).join('\n');
}

// --- chart ---------------------------------------------------------------------------------------------

interface Series {
  label: string;
  colour: string;
  dashed?: boolean;
  points: [number, number][];
}

interface Panel {
  title: string;
  unit: string;
  series: Series[];
  /** Log scale for ranges that span orders of magnitude. */
  log?: boolean;
  /** A target drawn as a grey dashed line. */
  target?: { value: number; label: string };
}

const OURS = '#5865f2';
const REFERENCE = '#ed4245';

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panelSvg(panel: Panel, x0: number, y0: number, width: number, height: number, xs: number[]): string {
  const left = x0 + 56;
  const right = x0 + width - 28; // room for the last x label
  const top = y0 + 28;
  const bottom = y0 + height - 36;
  const values = [
    ...panel.series.flatMap((s) => s.points.map(([, y]) => y)),
    ...(panel.target ? [panel.target.value] : []),
  ].filter((y) => Number.isFinite(y) && y > 0);
  const max = Math.max(1e-9, ...values);
  const min = panel.log ? Math.max(1e-3, Math.min(...values)) : 0;
  const yTop = panel.log ? 10 ** Math.ceil(Math.log10(max)) : niceCeil(max);
  const yBottom = panel.log ? 10 ** Math.floor(Math.log10(min)) : 0;
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const sx = (x: number) => left + ((x - xMin) / Math.max(1, xMax - xMin)) * (right - left);
  const sy = (y: number) => {
    if (panel.log) {
      const v = Math.log10(Math.max(y, yBottom));
      return bottom - ((v - Math.log10(yBottom)) / (Math.log10(yTop) - Math.log10(yBottom))) * (bottom - top);
    }
    return bottom - ((y - yBottom) / (yTop - yBottom)) * (bottom - top);
  };
  const parts: string[] = [
    `<text x="${x0 + width / 2}" y="${y0 + 16}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#888"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#888"/>`,
    `<text x="${x0 + 12}" y="${(top + bottom) / 2}" font-size="11" transform="rotate(-90 ${x0 + 12} ${(top + bottom) / 2})" text-anchor="middle">${escapeXml(panel.unit)}</text>`,
  ];
  const ticks = panel.log
    ? Array.from(
        { length: Math.round(Math.log10(yTop) - Math.log10(yBottom)) + 1 },
        (_, i) => yBottom * 10 ** i,
      )
    : [0, 0.25, 0.5, 0.75, 1].map((f) => yBottom + f * (yTop - yBottom));
  for (const tick of ticks) {
    parts.push(
      `<line x1="${left}" y1="${sy(tick)}" x2="${right}" y2="${sy(tick)}" stroke="#ddd"/>`,
      `<text x="${left - 4}" y="${sy(tick) + 4}" font-size="10" text-anchor="end">${formatTick(tick)}</text>`,
    );
  }
  for (const x of xs) {
    parts.push(
      `<text x="${sx(x)}" y="${bottom + 14}" font-size="10" text-anchor="middle">${x.toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + right) / 2}" y="${bottom + 28}" font-size="10" text-anchor="middle">N (active tasks)</text>`,
  );
  if (panel.target) {
    const y = sy(panel.target.value);
    parts.push(
      `<line x1="${left}" y1="${y.toFixed(1)}" x2="${right}" y2="${y.toFixed(1)}" stroke="#777" stroke-dasharray="2 3"/>`,
      `<text x="${right - 2}" y="${(y - 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#555">${escapeXml(panel.target.label)}</text>`,
    );
  }
  panel.series.forEach((series, index) => {
    // A value never reached before the cut-off (∞) is drawn at the top edge.
    const points = series.points
      .filter(([, y]) => !Number.isNaN(y))
      .map(([x, y]): [number, number, boolean] => [x, Number.isFinite(y) ? y : yTop, !Number.isFinite(y)]);
    if (points.length === 0) return;
    const path = points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${series.colour}" stroke-width="2"${series.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      ...points.map(([x, y, cut]) =>
        cut
          ? `<text x="${sx(x).toFixed(1)}" y="${(sy(y) + 4).toFixed(1)}" font-size="14" text-anchor="middle" fill="${series.colour}">∞</text>`
          : `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${series.colour}"/>`,
      ),
    );
    const ly = top + 4 + index * 13;
    parts.push(
      `<line x1="${left + 8}" y1="${ly}" x2="${left + 26}" y2="${ly}" stroke="${series.colour}" stroke-width="2"${series.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${left + 30}" y="${ly + 4}" font-size="10">${escapeXml(series.label)}</text>`,
    );
  });
  return parts.join('\n');
}

function niceCeil(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function formatTick(value: number): string {
  if (value >= 1000) return `${value / 1000}k`;
  if (value >= 1 || value === 0) return String(Math.round(value * 10) / 10);
  return String(value);
}

/** Four panels against N: requests per task, p95 latency, peak RSS and CPU. */
export function chartSvg(rows: readonly RowResult[]): string {
  const steady = rows.filter((row) => row.kind === 'steady').sort((a, b) => a.tasks - b.tasks);
  const xs = steady.map((row) => row.tasks);
  const line = (label: string, colour: string, pick: (row: RowResult) => number, dashed = false): Series => ({
    label,
    colour,
    dashed,
    points: steady.map((row) => [row.tasks, pick(row)]),
  });
  const panels: Panel[] = [
    {
      title: 'Requests per task',
      unit: 'requests per task (log)',
      log: true,
      series: [
        line('API, ours', OURS, (row) => row.ours.api.perTask),
        line('API, reference', REFERENCE, (row) => row.reference.api.perTask),
        line('Discord, ours', OURS, (row) => row.ours.discord.perTask, true),
        line('Discord, reference', REFERENCE, (row) => row.reference.discord.perTask, true),
      ],
    },
    {
      title: 'Latency p95 (∞ = cut off)',
      unit: 'seconds (log)',
      log: true,
      series: [
        line('change → visible, ours', OURS, (row) => row.ours.changeToVisibleSeconds.p95),
        line('change → visible, reference', REFERENCE, (row) => row.reference.changeToVisibleSeconds.p95),
        line('completion → result, ours', OURS, (row) => row.ours.completionToResultSeconds.p95, true),
        line(
          'completion → result, reference',
          REFERENCE,
          (row) => row.reference.completionToResultSeconds.p95,
          true,
        ),
      ],
    },
    {
      title: 'Peak RSS',
      unit: 'MB',
      target: { value: 300, label: 'target at 10,000: 300 MB' },
      series: [
        line('ours', OURS, (row) => row.ours.child.peakRssBytes / MiB),
        line('reference', REFERENCE, (row) => row.reference.child.peakRssBytes / MiB),
      ],
    },
    {
      title: 'CPU at real speed',
      unit: '% of one core',
      target: { value: 20, label: 'target at 10,000: 20%' },
      series: [
        line('ours', OURS, (row) => row.ours.cpuShareOfCore * 100),
        line('reference', REFERENCE, (row) => row.reference.cpuShareOfCore * 100),
      ],
    },
  ];
  const width = 1000;
  const height = 640;
  const panelWidth = width / 2;
  const panelHeight = (height - 20) / 2;
  const body = panels
    .map((panel, i) =>
      panelSvg(
        panel,
        (i % 2) * panelWidth,
        20 + Math.floor(i / 2) * panelHeight,
        panelWidth,
        panelHeight,
        xs,
      ),
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="14" text-anchor="middle" font-size="12" fill="#444">sora-tracker (blue) vs the naive reference (red), steady state over 500 channels</text>
${body}
</svg>
`;
}
