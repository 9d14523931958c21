/**
 * The progress of `npm run download`, on stderr so that stdout stays the result (or JSON):
 * on a terminal one line redrawn in place, `[██████░░░░]  12.3 MB / 45.0 MB  3.2 MB/s  ETA 0:10`;
 * elsewhere (a file, CI) a plain line per tenth of the file, or every 5 s when its size is unknown.
 */

const BAR_WIDTH = 24;
/** A terminal is redrawn at most this often. */
const REDRAW_MS = 100;
/** Without a known size, a plain line this often. */
const PLAIN_EVERY_MS = 5_000;

export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressReporter {
  update(received: number, total: number | undefined): void;
  /** Ends the redrawn line (or prints the last plain one). */
  finish(): void;
}

/** `812 KB`, `23.4 MB`: binary units, as in the bot's messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** One progress line: bar (when the size is known), bytes, speed and time left. */
export function renderProgress(received: number, total: number | undefined, elapsedMs: number): string {
  const speed = elapsedMs > 0 ? (received * 1000) / elapsedMs : 0;
  const parts: string[] = [];
  if (total !== undefined && total > 0) {
    const filled = Math.min(BAR_WIDTH, Math.floor((received / total) * BAR_WIDTH));
    parts.push(`[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`);
    parts.push(`${formatBytes(received)} / ${formatBytes(total)}`);
  } else {
    parts.push(formatBytes(received));
  }
  parts.push(`${formatBytes(Math.round(speed))}/s`);
  if (total !== undefined && speed > 0 && received < total) {
    parts.push(`ETA ${formatSeconds((total - received) / speed)}`);
  }
  return parts.join('  ');
}

export function createProgressReporter(
  output: ProgressOutput,
  now: () => number = Date.now,
): ProgressReporter {
  const started = now();
  const tty = output.isTTY === true;
  let lastDrawAt = -Infinity;
  let lastTenth = -1;
  let last: { received: number; total: number | undefined } | undefined;

  const line = () => (last === undefined ? '' : renderProgress(last.received, last.total, now() - started));

  return {
    update(received, total) {
      last = { received, total };
      const at = now();
      if (tty) {
        if (at - lastDrawAt < REDRAW_MS) return;
        lastDrawAt = at;
        output.write(`\r\x1b[2K${line()}`);
        return;
      }
      if (total !== undefined && total > 0) {
        const tenth = Math.floor((received / total) * 10);
        if (tenth === lastTenth) return;
        lastTenth = tenth;
      } else if (at - lastDrawAt < PLAIN_EVERY_MS) {
        return;
      }
      lastDrawAt = at;
      output.write(`${line()}\n`);
    },
    finish() {
      if (last === undefined) return;
      if (tty) output.write(`\r\x1b[2K${line()}\n`);
      else if (last.total === undefined || lastTenth < 10) output.write(`${line()}\n`);
    },
  };
}
