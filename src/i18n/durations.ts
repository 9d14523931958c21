import type { Translator } from './translate.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const UNITS = [
  { ms: DAY, key: 'duration.days' },
  { ms: HOUR, key: 'duration.hours' },
  { ms: MINUTE, key: 'duration.minutes' },
  { ms: SECOND, key: 'duration.seconds' },
] as const;

/**
 * A compact duration such as `1h 5m` / `1 小时 5 分钟`: the largest non-zero unit and, up to `maxUnits`
 * in all, the non-zero units right after it. Rounds down to whole seconds; negative counts as zero.
 */
export function formatDuration(tr: Translator, ms: number, maxUnits = 2): string {
  let rest = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / SECOND) * SECOND) : 0;
  const counts = UNITS.map((unit) => {
    const n = Math.floor(rest / unit.ms);
    rest -= n * unit.ms;
    return { key: unit.key, n };
  });
  const first = counts.findIndex((count) => count.n > 0);
  if (first === -1) return tr('duration.seconds', { n: 0 });
  return counts
    .slice(first, first + maxUnits)
    .filter((count) => count.n > 0)
    .map((count) => tr(count.key, { n: count.n }))
    .join(tr('duration.separator'));
}

/** Time gone by since `fromMs`, e.g. for a task's run time; clock skew never makes it negative. */
export function formatElapsed(tr: Translator, fromMs: number, toMs: number): string {
  return formatDuration(tr, toMs - fromMs);
}

/** `5m ago` / `in 5m` (`5 分钟前` / `5 分钟后`) for a moment relative to `nowMs`. */
export function formatRelative(tr: Translator, atMs: number, nowMs: number): string {
  const delta = atMs - nowMs;
  const duration = formatDuration(tr, Math.abs(delta));
  return delta > 0 ? tr('duration.in', { duration }) : tr('duration.ago', { duration });
}

/**
 * A rough wait such as `about 3m`, rounded to whole minutes so that an estimate that drifts by a few
 * seconds between polls does not change what people see.
 */
export function formatApproximate(tr: Translator, seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 60) return tr('duration.underMinute');
  const minutes = Math.round(seconds / 60);
  return tr('duration.about', { duration: formatDuration(tr, minutes * MINUTE) });
}
