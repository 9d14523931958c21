import type { FaultWindow } from './faults.js';

/** When the bot logged each line containing `needle` (pino's `time`, ms since the epoch). */
function timesOf(output: string, needle: string): number[] {
  const times: number[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes(needle)) continue;
    try {
      const time = (JSON.parse(line) as { time?: unknown }).time;
      if (typeof time === 'number') times.push(time);
    } catch {
      // Not a log line (a stack trace, a partial line at a kill).
    }
  }
  return times;
}

/**
 * How many of `windows` the bot noticed: it logged a line containing `needle` within one, or within
 * `slackMs` after its end (a request or command in flight when it closed).
 */
export function windowsLogged(
  output: string,
  needle: string,
  windows: readonly FaultWindow[],
  slackMs: number,
): number {
  const times = timesOf(output, needle);
  return windows.filter(({ from, to }) =>
    times.some((time) => time >= from && time <= (to ?? Number.POSITIVE_INFINITY) + slackMs),
  ).length;
}
