/**
 * Streams a finished video to a temporary file (docs/video-api.md#the-content-endpoint). The body goes socket → byte
 * counter → file through a stream pipeline, so memory stays flat whatever the size; an answer that is
 * too large is cut off at once and its partial file deleted.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readContentDocument } from './content-readiness.js';
import { VideoApiError, errorFromHttpStatus, parseJsonSafely } from './errors.js';
import {
  asVideoApiError,
  header,
  openRequest,
  readCappedText,
  withRetries,
  type HttpContext,
} from './http.js';
import { ACCEPT_VIDEO_OR_JSON } from './request-headers.js';

export type DownloadResult =
  | {
      kind: 'file';
      path: string;
      bytes: number;
      contentType: string;
      /** A public link to the same video, when one is known, so a caller can link instead of upload. */
      publicUrl: string | undefined;
      /** Deletes the file; safe to call twice. */
      cleanup(): Promise<void>;
    }
  | { kind: 'too_large'; bytes: number | undefined; publicUrl: string | undefined }
  /** `/content` answered JSON without a file yet (see content-readiness.ts): ask again later. */
  | { kind: 'not_ready'; rawStatus: string | undefined; publicUrl: string | undefined }
  /** `/content` answered JSON with `status: failed`: the video will not come. */
  | { kind: 'failed'; reason: string; publicUrl: string | undefined };

export interface DownloadRequest {
  taskId: string;
  /** `${baseUrl}/videos/{id}/content`. */
  contentUrl: URL;
  /** The public link from the task body, tried first; `/content` is the fallback (docs/video-api.md#video-links). */
  knownUrl: string | undefined;
  maxBytes: number;
  directory: string | undefined;
  signal: AbortSignal | undefined;
  /** When the API said the assets expire: afterwards a 404/403 is reported as `expired` (docs/video-api.md#expiring-links). */
  expiresAtMs: number | undefined;
  /** Called as bytes arrive, with Content-Length when the answer gave one (a CLI's progress bar). */
  onProgress?: ((received: number, total: number | undefined) => void) | undefined;
}

const MAX_JSON_BYTES = 1024 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;

type Attempt =
  | { kind: 'file'; path: string; bytes: number; contentType: string }
  | { kind: 'too_large'; bytes: number | undefined }
  | { kind: 'link'; url: string }
  | { kind: 'not_ready'; rawStatus: string | undefined }
  | { kind: 'failed'; reason: string };

export async function downloadVideo(ctx: HttpContext, job: DownloadRequest): Promise<DownloadResult> {
  const knownUrl = safeHttpUrl(job.knownUrl);
  const sources = knownUrl ? [knownUrl, job.contentUrl] : [job.contentUrl];
  let linkError: VideoApiError | undefined;
  for (const source of sources) {
    try {
      return await downloadFrom(ctx, job, source, knownUrl?.href);
    } catch (error) {
      if (!(error instanceof VideoApiError)) throw error;
      if (source === job.contentUrl) {
        // /content not knowing the task says less than the link's own failure.
        throw error.kind === 'not_found' && linkError ? linkError : error;
      }
      linkError = error;
      ctx.logger.info(
        { taskId: job.taskId, kind: error.kind, status: error.status },
        'video link failed; falling back to /content',
      );
    }
  }
  throw (
    linkError ??
    new VideoApiError({ kind: 'not_found', message: 'The video API has no video file for this task.' })
  );
}

/** One source, with transient retries of the download only, and at most one JSON link hop (docs/video-api.md#the-content-endpoint). */
async function downloadFrom(
  ctx: HttpContext,
  job: DownloadRequest,
  source: URL,
  knownPublicUrl: string | undefined,
): Promise<DownloadResult> {
  let url = source;
  let publicUrl = knownPublicUrl;
  for (let hops = 0; ; hops++) {
    const target = url;
    const outcome = await withRetries(ctx, { taskId: job.taskId, op: 'download' }, job.signal, () =>
      attemptDownload(ctx, job, target),
    );
    if (outcome.kind === 'file') {
      const { path } = outcome;
      return { ...outcome, publicUrl, cleanup: () => rm(path, { force: true }) };
    }
    if (outcome.kind === 'too_large') return { kind: 'too_large', bytes: outcome.bytes, publicUrl };
    if (outcome.kind === 'not_ready' || outcome.kind === 'failed') return { ...outcome, publicUrl };
    const link = safeHttpUrl(outcome.url);
    if (hops >= 1 || link === undefined) {
      throw new VideoApiError({
        kind: 'bad_request',
        message: 'The video API answered with a link that leads nowhere.',
      });
    }
    publicUrl ??= link.href;
    url = link;
  }
}

async function attemptDownload(ctx: HttpContext, job: DownloadRequest, url: URL): Promise<Attempt> {
  const response = await openRequest(ctx, url, { accept: ACCEPT_VIDEO_OR_JSON, signal: job.signal });
  try {
    const { statusCode, body } = response;
    if (statusCode < 200 || statusCode >= 300) {
      const bodyText = await readCappedText(body, MAX_ERROR_BYTES, 'cut');
      throw errorFromHttpStatus({
        status: statusCode,
        bodyText,
        retryAfter: header(response.headers, 'retry-after'),
        nowMs: ctx.clock.now(),
        secrets: [ctx.apiKey],
        pastExpiry: job.expiresAtMs !== undefined && ctx.clock.now() >= job.expiresAtMs,
        subject: 'video',
        foreignHost: response.url.origin !== ctx.apiOrigin,
      });
    }
    const contentType = (header(response.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (isJson(contentType)) return readLinkDocument(await readCappedText(body, MAX_JSON_BYTES, 'fail'), ctx);
    if (contentType !== '' && !isVideoBytes(contentType)) {
      body.destroy();
      throw new VideoApiError({
        kind: 'bad_request',
        message: `The video API sent ${clipType(contentType)} instead of a video.`,
      });
    }
    const declared = contentLength(header(response.headers, 'content-length'));
    if (declared !== undefined && declared > job.maxBytes) {
      body.destroy(); // not one byte more than needed
      return { kind: 'too_large', bytes: declared };
    }
    return await streamToFile(body, job, declared, contentType || 'application/octet-stream');
  } catch (error) {
    response.body.destroy();
    throw asVideoApiError(error, job.signal);
  } finally {
    response.release();
  }
}

class TooLarge extends Error {}

async function streamToFile(
  body: NodeJS.ReadableStream,
  job: DownloadRequest,
  declared: number | undefined,
  contentType: string,
): Promise<Attempt> {
  const path = join(
    job.directory ?? tmpdir(),
    `sora-${job.taskId.replace(/[^A-Za-z0-9._-]/g, '_')}-${randomUUID()}${extensionFor(contentType)}`,
  );
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > job.maxBytes) return callback(new TooLarge());
      job.onProgress?.(received, declared);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      body,
      counter,
      createWriteStream(path, { flags: 'wx' }),
      job.signal ? { signal: job.signal } : {},
    );
  } catch (error) {
    await rm(path, { force: true });
    if (error instanceof TooLarge) return { kind: 'too_large', bytes: declared };
    if (job.signal?.aborted) throw job.signal.reason;
    throw new VideoApiError({
      kind: 'transient',
      message: 'The video download was cut off before the end.',
      cause: error,
    });
  }
  // docs/video-api.md#truncated-downloads: a proxy may close a 200 early; only a byte count that matches Content-Length is a video.
  if ((declared !== undefined && received !== declared) || received === 0) {
    await rm(path, { force: true });
    throw new VideoApiError({
      kind: 'transient',
      message:
        received === 0
          ? 'The video API sent an empty video.'
          : 'The video download was cut off before the end.',
    });
  }
  return { kind: 'file', path, bytes: received, contentType };
}

/** `/content` answering JSON: a link to follow (anyfast), no file yet, a failure or an error. */
function readLinkDocument(text: string, ctx: HttpContext): Attempt {
  const document = parseJsonSafely(text);
  if (document === undefined) {
    throw new VideoApiError({ kind: 'transient', message: 'The video API sent an unreadable answer.' });
  }
  const meaning = readContentDocument(document, [ctx.apiKey]);
  switch (meaning.kind) {
    case 'link':
    case 'not_ready':
    case 'failed':
      return meaning;
    case 'not_found':
      throw new VideoApiError({
        kind: 'not_found',
        message: 'The video API has no video file for this task.',
      });
    case 'error':
      throw new VideoApiError({
        kind: 'bad_request',
        message: `The video API did not return the video${meaning.message === undefined ? '.' : `: ${meaning.message}`}`,
      });
    case 'unrecognised':
      throw new VideoApiError({
        kind: 'bad_request',
        message: 'The video API answered with JSON that holds neither a video link nor a status.',
      });
  }
}

function isJson(contentType: string): boolean {
  return contentType === 'application/json' || contentType === 'text/json' || contentType.endsWith('+json');
}

function isVideoBytes(contentType: string): boolean {
  return (
    contentType.startsWith('video/') ||
    ['application/octet-stream', 'binary/octet-stream', 'application/binary', 'application/mp4'].includes(
      contentType,
    )
  );
}

function extensionFor(contentType: string): string {
  if (contentType === 'video/webm') return '.webm';
  if (contentType === 'video/quicktime') return '.mov';
  return '.mp4';
}

function contentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function clipType(contentType: string): string {
  return contentType.replace(/[^a-z0-9.+/-]/g, '').slice(0, 60);
}

function safeHttpUrl(value: string | undefined): URL | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
