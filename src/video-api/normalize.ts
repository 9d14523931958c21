/**
 * Pure reading of one GET /videos/{id} body, whatever relay dialect it speaks (docs/video-api.md),
 * into a VideoSnapshot. No I/O, no clock, no logging: the client decides what to log.
 */
import { cleanUpstreamText, errorCode, innermostMessage } from './errors.js';
import type { VideoFailure, VideoSnapshot, VideoStatus } from '../domain/video.js';

type JsonObject = Record<string, unknown>;

const STATUS_WORDS: ReadonlyArray<[VideoStatus, readonly string[]]> = [
  [
    'queued',
    [
      'queued',
      'pending',
      'submitted',
      'not_start',
      'preparing',
      'created',
      'starting',
      'unknown',
      'notstarted',
    ],
  ],
  ['in_progress', ['in_progress', 'processing', 'running', 'generating']],
  ['completed', ['completed', 'complete', 'success', 'succeeded', 'finished']],
  ['failed', ['failed', 'failure', 'fail', 'error', 'cancelled', 'canceled']],
];
const STATUS_BY_WORD = new Map(
  STATUS_WORDS.flatMap(([status, words]) => words.map((w) => [w, status] as const)),
);

/** docs/video-api.md#task-statuses: case-insensitive; undefined for a word we have never seen (the caller counts it as running). */
export function classifyStatus(text: string): VideoStatus | undefined {
  return STATUS_BY_WORD.get(text.trim().toLowerCase());
}

const isTerminal = (status: VideoStatus | undefined) => status === 'completed' || status === 'failed';
const STAGE: Record<VideoStatus, number> = { queued: 0, in_progress: 1, completed: 2, failed: 2 };

export interface NormalizeContext {
  /** The id as the user gave it; relays sometimes echo another form. */
  id: string;
  /** The last reading of this task (a snapshot, possibly restored from storage): progress never drops below it. */
  previous?: Pick<VideoSnapshot, 'progress'> | undefined;
  /** Values scrubbed from any upstream text we keep (our API key). */
  secrets?: readonly string[] | undefined;
}

export interface NormalizedVideo {
  snapshot: VideoSnapshot;
  /** A status text no list knows (counted as running), for the caller to log once per task. */
  unrecognisedStatus: string | undefined;
}

export function normalizeVideo(raw: unknown, context: NormalizeContext): NormalizedVideo {
  const body = unwrapEnvelope(raw);
  const detail = objectAt(body, 'detail');
  const pendingInfo = objectAt(detail, 'pending_info') ?? objectAt(body, 'pending_info');
  const { status, rawStatus, unrecognisedStatus } = readStatus(body, detail, pendingInfo);

  const snapshot: VideoSnapshot = {
    id: context.id,
    status,
    rawStatus,
    progress: monotonicProgress(readProgress(body, detail, pendingInfo), context.previous?.progress),
    videoUrl: findVideoUrl(body),
    failure:
      status === 'failed'
        ? readFailure(body, detail, pendingInfo, rawStatus, context.secrets ?? [])
        : undefined,
    model: clip(text(body.model), 100),
    size: readSize(body, detail, pendingInfo),
    durationSeconds: positiveNumber(body.seconds) ?? positiveNumber(body.duration),
    prompt: text(body.prompt) ?? text(objectAt(detail, 'input')?.prompt) ?? text(pendingInfo?.prompt),
    enhancedPrompt: text(body.enhanced_prompt) ?? text(detail?.enhanced_prompt),
    createdAt: firstTimestamp(
      body.created_at,
      body.created,
      body.submit_time,
      pendingInfo?.created_at,
      detail?.created_at,
    ),
    completedAt: firstTimestamp(body.completed_at, body.finished_at, body.finish_time),
    expiresAt: firstTimestamp(body.expires_at),
    statusUpdatedAt: firstTimestamp(body.status_update_time, body.updated_at),
    queuePosition: wholeNumber(
      pendingInfo?.progress_pos_in_queue ??
        detail?.progress_pos_in_queue ??
        body.progress_pos_in_queue ??
        body.queue_position,
    ),
    estimatedWaitSeconds: nonNegativeNumber(
      pendingInfo?.estimated_queue_wait_time ?? body.estimated_queue_wait_time,
    ),
  };
  return { snapshot, unrecognisedStatus };
}

// --- envelope and status ---------------------------------------------------------------------------

/** new-api's legacy route wraps the task: `{"code":"success","data":{…}}` (docs/video-api.md#relay-dialects). */
function unwrapEnvelope(raw: unknown): JsonObject {
  if (!isObject(raw)) return {};
  const data = raw.data;
  if (isObject(data) && raw.status === undefined) return data;
  return raw;
}

function readStatus(
  body: JsonObject,
  detail: JsonObject | undefined,
  pendingInfo: JsonObject | undefined,
): { status: VideoStatus; rawStatus: string; unrecognisedStatus: string | undefined } {
  const top = text(body.status) ?? text(body.state);
  const nested = text(detail?.status);
  const pending = text(pendingInfo?.status);
  const topStatus = top === undefined ? undefined : classifyStatus(top);
  const nestedStatus = nested === undefined ? undefined : classifyStatus(nested);
  const unrecognisedStatus =
    [top, nested, pending].find((word) => word !== undefined && classifyStatus(word) === undefined) ??
    (top === undefined && nested === undefined && pending === undefined ? '' : undefined);

  // docs/video-api.md#task-statuses: only the top level or detail.status may end a task.
  if (top !== undefined && isTerminal(topStatus))
    return { status: topStatus, rawStatus: top, unrecognisedStatus };
  if (nested !== undefined && isTerminal(nestedStatus)) {
    return { status: nestedStatus, rawStatus: nested, unrecognisedStatus };
  }
  // Not finished: the furthest stage any level reports wins (a `pending` task whose pending_info says
  // `processing` is running). Unknown words and nested terminal words count as running.
  let status: VideoStatus = 'queued';
  for (const word of [top, nested, pending]) {
    if (word === undefined) continue;
    const known = classifyStatus(word);
    const stage: VideoStatus = known === undefined || isTerminal(known) ? 'in_progress' : known;
    if (STAGE[stage] > STAGE[status]) status = stage;
  }
  if (top === undefined && nested === undefined && pending === undefined) status = 'in_progress';
  // Display the most specific text: `processing` under a top-level `pending`.
  const rawStatus = pending ?? nested ?? top ?? 'unknown';
  return { status, rawStatus, unrecognisedStatus };
}

// --- progress --------------------------------------------------------------------------------------

/** docs/video-api.md#progress, in order: numeric `progress`, string `progress` ("30%"), a `progress_pct` fraction. */
export function readProgress(
  body: JsonObject,
  detail?: JsonObject,
  pendingInfo?: JsonObject,
): number | undefined {
  const progress = body.progress;
  if (typeof progress === 'number' && Number.isFinite(progress)) return clampPercent(progress);
  if (typeof progress === 'string') {
    const parsed = Number.parseFloat(progress.replace('%', '').trim());
    if (Number.isFinite(parsed)) return clampPercent(parsed);
  }
  for (const pct of [pendingInfo?.progress_pct, detail?.progress_pct, body.progress_pct]) {
    if (typeof pct === 'number' && Number.isFinite(pct))
      return clampPercent(pct > 0 && pct <= 1 ? pct * 100 : pct);
  }
  return undefined;
}

function clampPercent(value: number): number {
  // Floor, so 99.6 % never reads as a finished 100 %.
  return Math.floor(Math.min(100, Math.max(0, value)));
}

/** Missing progress keeps the last value, and progress never goes backwards. 100 says nothing of success. */
export function monotonicProgress(
  current: number | undefined,
  previous: number | undefined,
): number | undefined {
  if (current === undefined) return previous;
  return previous === undefined ? current : Math.max(current, previous);
}

// --- video link, failure, size ---------------------------------------------------------------------

/** docs/video-api.md#video-links: `video_url` → `url` → `metadata.url` → `meta_data.url` → `result_url` → Sora web generations. */
export function findVideoUrl(raw: unknown): string | undefined {
  const body = unwrapEnvelope(raw);
  const pendingInfo = objectAt(objectAt(body, 'detail'), 'pending_info') ?? objectAt(body, 'pending_info');
  const generations = pendingInfo?.generations;
  const firstGeneration = Array.isArray(generations) && isObject(generations[0]) ? generations[0] : undefined;
  const candidates = [
    body.video_url,
    body.url,
    objectAt(body, 'metadata')?.url,
    objectAt(body, 'meta_data')?.url,
    body.result_url,
    firstGeneration?.url,
    firstGeneration?.downloadable_url,
  ];
  for (const candidate of candidates) {
    const url = httpUrl(candidate);
    if (url !== undefined) return url;
  }
  return undefined;
}

function readFailure(
  body: JsonObject,
  detail: JsonObject | undefined,
  pendingInfo: JsonObject | undefined,
  rawStatus: string,
  secrets: readonly string[],
): VideoFailure {
  const error = body.error;
  const errorObject = isObject(error) ? error : undefined;
  // docs/video-api.md#failure-reasons-and-moderation: first present wins. innermostMessage unwraps JSON that relays stringify into `message`.
  const reason =
    innermostMessage(errorObject?.message) ??
    text(errorObject?.code) ??
    (typeof error === 'string' ? innermostMessage(error) : undefined) ??
    text(body.failure_reason) ??
    text(pendingInfo?.failure_reason) ??
    text(detail?.failure_reason) ??
    text(body.fail_reason);

  const moderation =
    errorCode(body)?.toLowerCase() === 'moderation_blocked' ||
    [body, detail, pendingInfo].some(
      (level) =>
        level !== undefined &&
        (text(level.kind) === 'sora_content_violation' ||
          moderationRejected(objectAt(level, 'moderation_result'))),
    );

  const fallback = moderation
    ? 'Blocked by content moderation.'
    : /cancel/i.test(rawStatus)
      ? 'The task was cancelled.'
      : 'The video API reported the task as failed without a reason.';
  return { reason: reason === undefined ? fallback : cleanUpstreamText(reason, secrets, 300), moderation };
}

function moderationRejected(result: JsonObject | undefined): boolean {
  const type = text(result?.type);
  return type !== undefined && type.toLowerCase() !== 'passed';
}

/** docs/video-api.md#timestamps-duration-and-size: `WxH` is normalised; anything else (`small`) is kept as a label. */
function readSize(
  body: JsonObject,
  detail: JsonObject | undefined,
  pendingInfo: JsonObject | undefined,
): string | undefined {
  const size = text(body.size);
  if (size !== undefined) return asDimensions(size) ?? clip(size, 40);
  const width = wholeNumber(pendingInfo?.width);
  const height = wholeNumber(pendingInfo?.height);
  if (width !== undefined && height !== undefined && width > 0 && height > 0) return `${width}x${height}`;
  const label = text(objectAt(detail, 'input')?.size);
  return label === undefined ? undefined : (asDimensions(label) ?? clip(label, 40));
}

function asDimensions(value: string): string | undefined {
  const match = /^(\d+)\s*[xX×*]\s*(\d+)$/.exec(value.trim());
  return match ? `${match[1]}x${match[2]}` : undefined;
}

// --- timestamps and numbers ------------------------------------------------------------------------

/** docs/video-api.md#timestamps-duration-and-size: numbers above 1e12 are milliseconds, others seconds; numeric text likewise; other text is ISO. */
export function parseTimestamp(value: unknown): Date | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) {
    ms = value > 1e12 ? value : value * 1000;
  } else if (typeof value === 'string' && value.trim() !== '') {
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return parseTimestamp(Number(trimmed));
    ms = Date.parse(trimmed);
  }
  // 0 and negatives mean "unset" in several relays.
  if (ms === undefined || Number.isNaN(ms) || ms <= 0) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function firstTimestamp(...values: unknown[]): Date | undefined {
  for (const value of values) {
    const date = parseTimestamp(value);
    if (date !== undefined) return date;
  }
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

function positiveNumber(value: unknown): number | undefined {
  const n = asNumber(value);
  return n !== undefined && n > 0 ? n : undefined;
}

function nonNegativeNumber(value: unknown): number | undefined {
  const n = asNumber(value);
  return n !== undefined && n >= 0 ? n : undefined;
}

/** A count (queue position, pixels): whole, and within what a count can be; 1e300 means nothing. */
function wholeNumber(value: unknown): number | undefined {
  const n = nonNegativeNumber(value);
  if (n === undefined) return undefined;
  const whole = Math.floor(n);
  return Number.isSafeInteger(whole) ? whole : undefined;
}

// --- small JSON helpers ----------------------------------------------------------------------------

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: JsonObject | undefined, key: string): JsonObject | undefined {
  const inner = value?.[key];
  return isObject(inner) ? inner : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function clip(value: string | undefined, max: number): string | undefined {
  return value === undefined || value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

function httpUrl(value: unknown): string | undefined {
  const candidate = text(value);
  if (candidate === undefined) return undefined;
  try {
    const { protocol } = new URL(candidate);
    return protocol === 'http:' || protocol === 'https:' ? candidate : undefined;
  } catch {
    return undefined;
  }
}
