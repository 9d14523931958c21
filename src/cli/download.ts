/**
 * An operator's check that a finished video can be fetched, before Discord is involved:
 *
 *   npm run download -- <task id> [--out FILE] [--force] [--max-bytes N] [--json]
 *
 * Resolves the video the way the bot does: the task's public link first, `/content` as the fallback,
 * one JSON link hop, redirects (the key never leaves the API's origin). No size cap unless
 * `--max-bytes`. Streams it to FILE (default `<id>.mp4`, unsafe characters replaced), never over an
 * existing file without `--force`. Progress goes to stderr (a bar on a terminal, plain lines
 * otherwise); the result goes to stdout (`--json`: as JSON). Exit codes: EXIT_CODES_HELP in status.ts;
 * 6 when the task runs or the API has no file for it yet.
 */
import { constants } from 'node:fs';
import { access, copyFile, link, rename, rm } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { DownloadResult } from '../video-api/client.js';
import { VideoApiError } from '../video-api/errors.js';
import type { VideoSnapshot } from '../domain/video.js';
import { createProgressReporter, formatBytes } from './download-progress.js';
import {
  EXIT,
  describeCliError,
  describeStatus,
  exitCodeForError,
  isMainModule,
  startCli,
  type CliSession,
} from './status.js';

const USAGE = 'Usage: npm run download -- <task id> [--out FILE] [--force] [--max-bytes N] [--json]';

export interface DownloadCliOptions {
  out: string;
  force: boolean;
  maxBytes: number;
  json: boolean;
}

/** `sora-2:task_01k…` → `sora-2_task_01k….mp4`: one safe file name in the current directory. */
export function defaultOutputName(taskId: string): string {
  return `${taskId.replace(/[^A-Za-z0-9._-]/g, '_')}.mp4`;
}

/** The options, or the one line to print before exiting with EXIT.usage. */
export function readOptions(taskId: string, values: Record<string, unknown>): DownloadCliOptions | string {
  const maxText = values['max-bytes'];
  let maxBytes = Number.POSITIVE_INFINITY;
  if (typeof maxText === 'string') {
    if (!/^\d+$/.test(maxText.trim()) || Number(maxText) <= 0) {
      return 'download: --max-bytes expects a whole number of bytes greater than 0';
    }
    maxBytes = Number(maxText);
  }
  const out =
    typeof values.out === 'string' && values.out.trim() !== '' ? values.out : defaultOutputName(taskId);
  return { out: resolve(out), force: values.force === true, maxBytes, json: values.json === true };
}

interface Outcome {
  code: number;
  /** For people. */
  text: string;
  /** For --json. */
  fields: Record<string, unknown>;
}

/** The task's status first: its public link, and no download of a task still running. */
async function readStatus(session: CliSession): Promise<VideoSnapshot | undefined> {
  try {
    return await session.client.getVideo(session.taskId);
  } catch (error) {
    // A relay may document /content alone (test/fixtures/specs/relay-seed-000-video-content.yaml):
    // a status the API does not know still leaves /content to ask.
    if (error instanceof VideoApiError && error.kind === 'not_found') {
      session.logger.debug({ taskId: session.taskId }, 'no status for this task; asking /content');
      return undefined;
    }
    throw error;
  }
}

function beforeDownload(snapshot: VideoSnapshot): Outcome | undefined {
  const status = describeStatus(snapshot);
  if (snapshot.status === 'failed') {
    const reason = snapshot.failure?.reason ?? 'no reason given';
    return {
      code: EXIT.failed,
      text: `The task failed: ${reason}`,
      fields: { outcome: 'failed', reason, status },
    };
  }
  if (snapshot.status === 'completed') return undefined;
  const progress = snapshot.progress === undefined ? '' : `, ${snapshot.progress}%`;
  return {
    code: EXIT.running,
    text: `No file yet: the task is still ${status}${progress}. Try again once it has completed.`,
    fields: { outcome: 'running', status, progress: snapshot.progress ?? null },
  };
}

/** Moves the finished temp file to `out`: atomically, and never over an existing file without --force. */
async function place(temp: string, options: DownloadCliOptions): Promise<boolean> {
  try {
    if (options.force) {
      await rename(temp, options.out);
      return true;
    }
    try {
      await link(temp, options.out);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      // No hard links on this file system: an exclusive copy refuses an existing file just the same.
      await copyFile(temp, options.out, constants.COPYFILE_EXCL);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

async function afterDownload(result: DownloadResult, options: DownloadCliOptions): Promise<Outcome> {
  switch (result.kind) {
    case 'file': {
      const saved = await place(result.path, options);
      if (!saved) return existsOutcome(options.out);
      const size = formatBytes(result.bytes);
      return {
        code: EXIT.completed,
        text: `Saved ${options.out} (${size}, ${result.contentType})`,
        fields: { outcome: 'saved', path: options.out, bytes: result.bytes, contentType: result.contentType },
      };
    }
    case 'too_large': {
      const size = result.bytes === undefined ? 'it' : formatBytes(result.bytes);
      return {
        code: EXIT.tooLarge,
        text: `Not saved: at ${size} the video is larger than --max-bytes ${options.maxBytes}.`,
        fields: { outcome: 'too_large', bytes: result.bytes ?? null, maxBytes: options.maxBytes },
      };
    }
    case 'not_ready': {
      const says = result.rawStatus === undefined ? '' : ` (it says "${result.rawStatus}")`;
      return {
        code: EXIT.running,
        text: `No file yet: the video API has no file for this task yet${says}. Try again in a minute.`,
        fields: { outcome: 'not_ready', apiStatus: result.rawStatus ?? null },
      };
    }
    case 'failed':
      return {
        code: EXIT.failed,
        text: `The video API reports the video as failed: ${result.reason}`,
        fields: { outcome: 'failed', reason: result.reason },
      };
  }
}

function existsOutcome(out: string): Outcome {
  return {
    code: EXIT.usage,
    text: `download: ${out} exists; pass --force to overwrite it, or --out to choose another file.`,
    fields: { outcome: 'exists', path: out },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Everything between the parsed command line and the exit code; prints nothing itself. */
export async function runDownload(
  session: CliSession,
  options: DownloadCliOptions,
  signal: AbortSignal,
): Promise<Outcome> {
  if (!options.force && (await exists(options.out))) return existsOutcome(options.out);
  const snapshot = await readStatus(session);
  const early = snapshot && beforeDownload(snapshot);
  if (early) return early;
  const progress = createProgressReporter(process.stderr);
  try {
    const result = await session.client.downloadVideo(session.taskId, {
      maxBytes: options.maxBytes,
      knownUrl: snapshot?.videoUrl,
      expiresAt: snapshot?.expiresAt,
      directory: dirname(options.out),
      onProgress: (received, total) => progress.update(received, total),
      signal,
    });
    return await afterDownload(result, options);
  } finally {
    progress.finish();
  }
}

function print(outcome: Outcome, taskId: string, json: boolean): void {
  if (json) console.log(JSON.stringify({ id: taskId, ...outcome.fields }, null, 2));
  else if (outcome.code === EXIT.usage) console.error(outcome.text);
  else console.log(outcome.text);
}

async function main(): Promise<void> {
  const session = startCli(
    'download',
    process.argv.slice(2),
    {
      out: { type: 'string' },
      force: { type: 'boolean' },
      'max-bytes': { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  const options = readOptions(session.taskId, session.values);
  if (typeof options === 'string') {
    console.error(`${options}\n${USAGE}`);
    process.exit(EXIT.usage);
  }
  const aborted = new AbortController();
  process.once('SIGINT', () => aborted.abort(new Error('interrupted')));
  let code: number;
  try {
    const outcome = await runDownload(session, options, aborted.signal);
    print(outcome, session.taskId, options.json);
    code = outcome.code;
  } catch (error) {
    if (aborted.signal.aborted) {
      console.error(`download: interrupted; ${basename(options.out)} was not written`);
      code = EXIT.interrupted;
    } else {
      console.error(describeCliError(error));
      code = exitCodeForError(error);
    }
  }
  await session.client.close();
  process.exit(code);
}

if (isMainModule(import.meta.url)) await main();
