/**
 * A live view of one task until it ends:
 *
 *   npm run watch -- <task id> [--interval <seconds>]
 *
 * On a terminal, one line redrawn in place: a progress bar, the status and the time watched. Piped
 * into a file or another program, one line per visible change instead. When the task ends it prints
 * the full snapshot (as `npm run status` does) and exits with the codes of EXIT_CODES_HELP in status.ts
 * (also shown by --help); 5 only after 10 failed polls in a row.
 *
 * Polls every `--interval` seconds (default 5), or later when the API sends `openai-poll-after-ms`;
 * a 429 waits for its Retry-After.
 */
import type { VideoSnapshot } from '../domain/video.js';
import { VideoApiError } from '../video-api/errors.js';
import {
  EXIT,
  describeStatus,
  describeCliError,
  exitCodeForError,
  exitCodeForSnapshot,
  formatSnapshot,
  isMainModule,
  startCli,
} from './status.js';

const BAR_WIDTH = 30;
const MAX_FAILED_POLLS = 10;

/** `[██████░░░░]  60%  in_progress (processing)` — the unknown part of the bar stays empty. */
export function renderProgressLine(snapshot: VideoSnapshot, extra = ''): string {
  const filled = Math.round(((snapshot.progress ?? 0) / 100) * BAR_WIDTH);
  const bar = `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
  const percent = snapshot.progress === undefined ? '  ?%' : `${String(snapshot.progress).padStart(3)}%`;
  const queue = snapshot.queuePosition === undefined ? '' : `  queue #${snapshot.queuePosition}`;
  return `${bar} ${percent}  ${describeStatus(snapshot)}${queue}${extra}`;
}

function elapsed(sinceMs: number): string {
  const total = Math.floor((Date.now() - sinceMs) / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const session = startCli(
    'watch',
    process.argv.slice(2),
    { interval: { type: 'string' } },
    'Usage: npm run watch -- <task id> [--interval <seconds>]',
  );
  const intervalText = typeof session.values.interval === 'string' ? session.values.interval : '5';
  const intervalMs = Math.round(Number(intervalText) * 1000);
  if (!Number.isFinite(intervalMs) || intervalMs < 10) {
    console.error('watch: --interval expects a number of seconds (at least 0.01)');
    process.exit(EXIT.usage);
  }

  const tty = process.stdout.isTTY === true;
  const started = Date.now();
  let previous: VideoSnapshot | undefined;
  let lastPrinted = '';
  let failedPolls = 0;

  const finish = async (code: number, text: string | undefined, toStderr = false) => {
    if (tty) process.stdout.write('\n');
    if (text !== undefined) (toStderr ? console.error : console.log)(text);
    await session.client.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void finish(EXIT.interrupted, 'stopped watching'));

  for (;;) {
    let waitMs = intervalMs;
    try {
      const snapshot = await session.client.getVideo(session.taskId, { previous });
      previous = snapshot;
      failedPolls = 0;
      const line = renderProgressLine(snapshot);
      if (tty) process.stdout.write(`\r\x1b[2K${line}  ${elapsed(started)}`);
      else if (line !== lastPrinted) console.log(line);
      lastPrinted = line;
      // The API's own poll hint (docs/video-api.md#refresh-cadence-and-polling) may only slow us down.
      waitMs = Math.max(intervalMs, snapshot.pollAfterMs ?? 0);
      if (snapshot.status === 'completed' || snapshot.status === 'failed') {
        await finish(exitCodeForSnapshot(snapshot), `\n${formatSnapshot(snapshot, Date.now())}`);
      }
    } catch (error) {
      const message = describeCliError(error);
      if (error instanceof VideoApiError && error.terminal)
        await finish(exitCodeForError(error), message, true);
      failedPolls += 1;
      if (failedPolls >= MAX_FAILED_POLLS) {
        await finish(exitCodeForError(error), `${message} (gave up after ${failedPolls} failed polls)`, true);
      }
      if (tty) process.stdout.write('\n');
      console.error(message);
      if (error instanceof VideoApiError && error.retryAfterMs !== undefined) {
        waitMs = Math.max(waitMs, error.retryAfterMs);
      }
    }
    await sleep(waitMs);
  }
}

if (isMainModule(import.meta.url)) await main();
