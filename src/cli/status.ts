/**
 * An operator's terminal check of the key and the relay, before Discord is involved:
 *
 *   npm run status -- <task id> [--json]
 *
 * Prints the normalised snapshot of one task (`--json`: as JSON). Reads SORA_API_KEY / SORA_BASE_URL
 * (or OPENAI_*), API_TIMEOUT_MS, API_MAX_IN_FLIGHT and LOG_LEVEL; logs go to stderr.
 *
 * Exit codes, shared with `npm run watch` and `npm run download` (EXIT_CODES_HELP below, shown by --help).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, loadVideoApiConfig } from '../config.js';
import { createLogger, type Logger } from '../ops/logger.js';
import { createVideoApiClient, type VideoApiClient } from '../video-api/client.js';
import { VideoApiError } from '../video-api/errors.js';
import { checkTaskId } from '../domain/task-id.js';
import type { VideoSnapshot } from '../domain/video.js';

export const EXIT = {
  completed: 0,
  failed: 1,
  notFound: 2,
  unauthorized: 3,
  usage: 4,
  apiError: 5,
  /** Still queued or running, or (download) completed but the API has no file yet. */
  running: 6,
  /** download --max-bytes: the video is larger. */
  tooLarge: 7,
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes (npm run status, watch and download):
  0    the task completed (download: the video was saved)
  1    the task failed (including moderation blocks and cancellations)
  2    the API does not know the task (not found), or its video expired
  3    the API refused the key (HTTP 401/403)
  4    invalid task id, bad usage, a configuration error, or (download) the output file exists
  5    the API could not be reached or answered with an error (timeouts, 5xx, 429, other 4xx)
  6    the task is still queued or running, or (download) the API has no file for it yet
  7    (download) the video is larger than --max-bytes; nothing was saved
  130  interrupted (Ctrl-C)`;

/** The one line a CLI prints for an error: the API's kind and its user-safe message, or the error. */
export function describeCliError(error: unknown): string {
  return error instanceof VideoApiError ? `${error.kind}: ${error.message}` : `error: ${String(error)}`;
}

export function exitCodeForError(error: unknown): number {
  if (!(error instanceof VideoApiError)) return EXIT.apiError;
  switch (error.kind) {
    case 'invalid_id':
      return EXIT.usage;
    case 'not_found':
    case 'expired':
      return EXIT.notFound;
    case 'unauthorized':
      return EXIT.unauthorized;
    default:
      return EXIT.apiError;
  }
}

export function exitCodeForSnapshot(snapshot: VideoSnapshot): number {
  if (snapshot.status === 'completed') return EXIT.completed;
  if (snapshot.status === 'failed') return EXIT.failed;
  return EXIT.running;
}

/** `in_progress (processing)`: our state, and the API's own word when it differs. */
export function describeStatus(snapshot: VideoSnapshot): string {
  const raw = snapshot.rawStatus === '' ? 'none' : snapshot.rawStatus;
  return raw.toLowerCase() === snapshot.status ? snapshot.status : `${snapshot.status} (${raw})`;
}

/** The snapshot as aligned `Label  value` lines; absent facts are left out. */
export function formatSnapshot(snapshot: VideoSnapshot, nowMs: number): string {
  const rows: Array<[string, string | undefined]> = [
    ['Task', snapshot.id],
    ['Status', describeStatus(snapshot)],
    ['Progress', snapshot.progress === undefined ? 'unknown' : `${snapshot.progress}%`],
    ['Queue', formatQueue(snapshot)],
    [
      'Failure',
      snapshot.failure && `${snapshot.failure.reason}${snapshot.failure.moderation ? ' [moderation]' : ''}`,
    ],
    ['Model', snapshot.model],
    ['Size', snapshot.size],
    ['Duration', snapshot.durationSeconds === undefined ? undefined : `${snapshot.durationSeconds} s`],
    ['Created', formatDate(snapshot.createdAt)],
    ['Completed', formatDate(snapshot.completedAt)],
    [
      'Expires',
      snapshot.expiresAt && `${formatDate(snapshot.expiresAt)} (${relative(snapshot.expiresAt, nowMs)})`,
    ],
    ['Updated', formatDate(snapshot.statusUpdatedAt)],
    ['Video URL', snapshot.videoUrl],
    ['Prompt', clip(snapshot.prompt, 300)],
    ['Enhanced prompt', clip(snapshot.enhancedPrompt, 300)],
  ];
  const shown = rows.filter((row): row is [string, string] => row[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length)) + 2;
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`).join('\n');
}

function formatQueue(snapshot: VideoSnapshot): string | undefined {
  const parts: string[] = [];
  if (snapshot.queuePosition !== undefined) parts.push(`position ${snapshot.queuePosition}`);
  if (snapshot.estimatedWaitSeconds !== undefined)
    parts.push(`about ${Math.round(snapshot.estimatedWaitSeconds)} s wait`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function formatDate(date: Date | undefined): string | undefined {
  return date === undefined
    ? undefined
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

function relative(date: Date, nowMs: number): string {
  const minutes = Math.round((date.getTime() - nowMs) / 60_000);
  if (minutes <= 0) return minutes === 0 ? 'now' : `expired ${-minutes} min ago`;
  return `in ${minutes} min`;
}

function clip(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface CliSession {
  taskId: string;
  client: VideoApiClient;
  logger: Logger;
  values: Record<string, unknown>;
}

/**
 * Parses arguments, loads the configuration and builds a client; on any problem prints one line to
 * stderr and exits with EXIT.usage.
 */
export function startCli(
  name: string,
  argv: string[],
  options: Record<string, { type: 'string' | 'boolean' }>,
  usage: string,
): CliSession {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch (error) {
    return usageError(`${name}: ${(error as Error).message}\n${usage}`);
  }
  if (parsed.values.help === true) {
    console.log(`${usage}\n\n${EXIT_CODES_HELP}`);
    process.exit(0);
  }
  if (parsed.positionals.length !== 1) return usageError(usage);
  const checked = checkTaskId(parsed.positionals[0]!);
  if (!checked.ok) return usageError(`${name}: ${checked.reason}`);

  let config;
  try {
    config = loadVideoApiConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return usageError(error.message);
    throw error;
  }
  const logger = createLogger({
    level: config.logLevel,
    secrets: [config.apiKey],
    destination: pino.destination({ dest: 2, sync: true }),
  });
  const client = createVideoApiClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    logger,
    maxInFlight: config.maxInFlight,
    timeoutMs: config.timeoutMs,
    maxDownloads: config.maxDownloads,
    downloadDeadlineMs: config.downloadTimeoutMs,
    allowPrivateUrls: config.allowPrivateVideoUrls,
  });
  return { taskId: checked.id, client, logger, values: parsed.values };
}

function usageError(message: string): never {
  console.error(message);
  process.exit(EXIT.usage);
}

/** True when this file is the program being run, not a module imported by another CLI. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

const USAGE = 'Usage: npm run status -- <task id> [--json]';

async function main(): Promise<void> {
  const session = startCli('status', process.argv.slice(2), { json: { type: 'boolean' } }, USAGE);
  let code: number;
  try {
    const snapshot = await session.client.getVideo(session.taskId);
    console.log(
      session.values.json === true ? JSON.stringify(snapshot, null, 2) : formatSnapshot(snapshot, Date.now()),
    );
    code = exitCodeForSnapshot(snapshot);
  } catch (error) {
    console.error(describeCliError(error));
    code = exitCodeForError(error);
  }
  await session.client.close();
  process.exit(code);
}

if (isMainModule(import.meta.url)) await main();
