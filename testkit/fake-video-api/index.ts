/**
 * A local fake of the video API and its relays: real HTTP on 127.0.0.1, scripted tasks, faults on demand.
 *
 *   const api = await startFakeVideoApi({ apiKey: 'sk-test', clock });
 *   api.addTask({ id: 'video_1', dialect: 'seed-relay', steps: [
 *     { atMs: 0, status: 'queued', queuePosition: 3 },
 *     { atMs: 10_000, status: 'in_progress', progress: 40 },
 *     { atMs: 20_000, status: 'completed' },
 *   ], video: { bytes: 1024 } });
 *   // point the client at api.baseUrl (…/v1); await clock.advance(10_000) moves every task on.
 *   api.addFault({ route: 'status', fault: { kind: 'status', status: 429, headers: { 'retry-after': '7' } } });
 *   await api.close();
 *
 * Two servers, both on 127.0.0.1 with their own port, so they are different origins:
 * - the API at `origin` (`baseUrl` = origin + /v1). Every /v1 route wants `Authorization: Bearer <apiKey>`
 *   and answers 401 otherwise (echoing the key it got, as careless relays do):
 *   GET /v1/videos/{id}           the task, rendered in its dialect at the clock's current time
 *   GET /v1/videos/{id}/content   the MP4: bytes, a JSON link, or redirects (script.video.delivery)
 *   GET /v1/files/{id}            the MP4 on the API origin (a same-origin redirect target; needs the key)
 *   GET /v1/hop/{n}/{id}          one hop of a redirect chain
 * - a "CDN" at `cdnOrigin`: GET /files/{id} serves the MP4 without auth. It is the public link in task
 *   bodies and a cross-origin redirect target, so tests can prove the key never travels there.
 *
 * Time comes from the injected Clock (default: the system clock): a step applies once `atMs` has passed
 * since addTask. Videos are generated on the fly (see video-bytes.ts) and streamed with backpressure, so a
 * 50 MiB body costs no memory. Every request is recorded (`requests`, `waitForRequest`) and every video
 * transfer too (`transfers`: bytes actually written, whether the client hung up early).
 *
 * The API in short (types below say more):
 * - tasks: addTask(script) (dialect, steps, video, expiresAfterMs, pollAfterMs), removeTask(id),
 *   currentState(id); rampSteps(durationMs) builds a queued → running → done timeline. A step may also
 *   be `{ atMs, body }`, served verbatim (the seed fixtures byte for byte).
 * - unknown ids: `notFound` option picks OpenAI 404, new-api 400 `task_not_exist` or GSA 404.
 * - `strictHeaders`: 422 without the headers the relay documents require, 403 on the CDN with them.
 * - faults: addFault({ route, taskId?, times?, fault }), setFault(rule | undefined), clearFaults();
 *   faults: any status (429 + Retry-After, 5xx, 4xx bodies), stall, stall-body, drip, malformed-json,
 *   truncate, reset.
 * - observation: requests, waitForRequest(predicate), transfers, inFlight, peakInFlight, connections.
 * - recordRequests: false keeps memory flat for benchmarks with thousands of tasks.
 *
 * Standalone: `npx tsx testkit/fake-video-api/main.ts` serves demo tasks in every dialect (see main.ts).
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSystemClock, type Clock } from '../../src/scheduling/clock.js';
import {
  renderNoFileYet,
  renderNotFound,
  renderNotReady,
  renderTask,
  type Dialect,
  type NotFoundStyle,
  type ScriptedStatus,
  type TaskState,
} from './dialects.js';
import { strictHeaderRefusal } from './strict-headers.js';
import { CHUNK_BYTES, videoChunk } from './video-bytes.js';

export type { Dialect, NotFoundStyle, ScriptedStatus, TaskState } from './dialects.js';
export { DIALECTS } from './dialects.js';
export { videoByteAt, videoBytes } from './video-bytes.js';

// --- public types ------------------------------------------------------------------------------------

/** A scripted moment: either a state rendered in the task's dialect, or a body served verbatim. */
export type TaskStep =
  | ({ atMs: number } & TaskState)
  | {
      atMs: number;
      /** Served exactly: a string as is (byte for byte), anything else as JSON. */
      body: unknown;
      /** HTTP status of the verbatim answer (default 200). */
      httpStatus?: number;
      /** What /content treats this step as (default: completed when the body says so, else in_progress). */
      status?: ScriptedStatus;
    };

export interface VideoSpec {
  /** Size of the MP4 (default 64 KiB). */
  bytes?: number;
  contentType?: string;
  /** Send Content-Length (default true); false streams it chunked. */
  contentLength?: boolean;
  /**
   * What GET /content does (default `bytes`; `json-link` for the anyfast dialect):
   * - `bytes`: streams the MP4;
   * - `json-link`: 200 JSON `{url, video_url}` pointing at the CDN;
   * - `redirect`: `redirectHops` 302s on the API origin, then the file at `redirectTo`.
   */
  delivery?: 'bytes' | 'json-link' | 'redirect';
  redirectHops?: number;
  /** `same-origin` → /v1/files/{id} (key required), `cdn` → the other origin (default `cdn`). */
  redirectTo?: 'same-origin' | 'cdn';
  /** Whether task bodies carry the public CDN link when completed (default: every dialect but openai). */
  publicLink?: boolean;
  /**
   * For this long after completion (on the fake's clock) /content has no file yet and answers 200 JSON
   * in the relay document's shape `{id, status: "processing", video_url: null, …}`. Default 0.
   */
  fileReadyAfterMs?: number;
}

export interface TaskScript {
  id: string;
  dialect?: Dialect;
  /** In time order. Default: one step, completed at 0. */
  steps?: TaskStep[];
  video?: VideoSpec;
  /** Assets expire this long after completion: `expires_at` is set, then /content and the CDN answer 404. */
  expiresAfterMs?: number;
  model?: string;
  size?: string;
  seconds?: string;
  prompt?: string;
  /** Sent as the `openai-poll-after-ms` header on status answers. */
  pollAfterMs?: number;
}

export type Fault =
  /** Any status, headers and body: 429 + Retry-After, 500, 502, 400 task_not_exist, 401… */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Take the request and never answer: the client's headers timeout must fire. */
  | { kind: 'stall' }
  /** Send 200 headers (and `afterBytes` of body), then go silent: the body timeout must fire. */
  | { kind: 'stall-body'; afterBytes?: number }
  /**
   * A slow-drip host: 200 headers for a 10 MiB video, then `bytesPerTick` every `everyMs` (real time) for
   * ever, each gap shorter than any idle timeout: only an overall deadline ends it.
   */
  | { kind: 'drip'; bytesPerTick: number; everyMs: number }
  /** 200 with a JSON body cut in half. */
  | { kind: 'malformed-json' }
  /** Send the full Content-Length, close the connection after `afterBytes` bytes. */
  | { kind: 'truncate'; afterBytes: number }
  /** Destroy the socket without a word. */
  | { kind: 'reset' };

export type Route = 'status' | 'content' | 'file' | 'any';

export interface FaultRule {
  /** `status` = GET /videos/{id}, `content` = /content, `file` = the MP4 on either origin. */
  route: Route;
  /** Only for this task (default: any task). */
  taskId?: string;
  /** How many matching requests it hits (default 1; Infinity for "until cleared"). */
  times?: number;
  fault: Fault;
}

export interface RecordedRequest {
  server: 'api' | 'cdn';
  method: string;
  /** The raw request target, exactly as sent (a `:` in an id stays `:`; `%3A` would show here). */
  url: string;
  route: Route | 'unknown';
  taskId: string | undefined;
  headers: IncomingHttpHeaders;
  /** When it arrived, in real milliseconds (performance.now()), to measure gaps between polls. */
  receivedAt: number;
}

export interface TransferRecord {
  server: 'api' | 'cdn';
  taskId: string;
  /** Bytes the fake handed to the socket. */
  bytesSent: number;
  bytesPlanned: number;
  /** True when the client hung up before the end. */
  closedEarly: boolean;
  /** Resolves when the response is over, one way or another. */
  done: Promise<void>;
}

export interface FakeVideoApiOptions {
  apiKey: string;
  clock?: Clock;
  /** How an unknown id is answered (default `openai`: 404 envelope). */
  notFound?: NotFoundStyle;
  /** Keep `requests` (default true). Benchmarks with many tasks may turn it off. */
  recordRequests?: boolean;
  /** Port of the API server (default 0 = any free one). */
  port?: number;
  /**
   * Hold requests to the relay documents' required headers (see strict-headers.ts): 422 on the API
   * without `Content-Type: application/json` and a JSON `Accept`, 403 on the CDN with either header
   * that a presigned URL refuses. Default false.
   */
  strictHeaders?: boolean;
}

export interface FakeVideoApi {
  /** `http://127.0.0.1:<port>/v1`: the SORA_BASE_URL to use. */
  baseUrl: string;
  origin: string;
  /** The other origin serving public links. */
  cdnOrigin: string;
  addTask(script: TaskScript): void;
  removeTask(id: string): void;
  /** The state the task shows now (its dialect-neutral form), or undefined for a verbatim step. */
  currentState(id: string): TaskState | undefined;
  addFault(rule: FaultRule): void;
  /** clearFaults() then addFault(rule); `undefined` only clears. */
  setFault(rule: FaultRule | undefined): void;
  clearFaults(): void;
  readonly requests: RecordedRequest[];
  readonly transfers: TransferRecord[];
  /** Requests being answered right now, and the most seen at once (both servers). */
  readonly inFlight: number;
  readonly peakInFlight: number;
  /** TCP connections the API server has accepted (keep-alive reuses one). */
  readonly connections: number;
  /** Resolves with the first request (from now on, or already recorded when `includePast`) that matches. */
  waitForRequest(
    predicate: (request: RecordedRequest) => boolean,
    options?: { includePast?: boolean },
  ): Promise<RecordedRequest>;
  close(): Promise<void>;
}

/**
 * A task that waits in the queue for the first tenth of `durationMs`, then runs with progress rising in
 * `steps` even steps, and ends `completed` (or `failed` with `failure`) at `durationMs`.
 */
export function rampSteps(
  durationMs: number,
  options: { steps?: number; end?: 'completed' | 'failed'; failure?: TaskState['failure'] } = {},
): TaskStep[] {
  const count = Math.max(1, options.steps ?? 10);
  const queueMs = Math.floor(durationMs / 10);
  const out: TaskStep[] = [
    { atMs: 0, status: 'queued', queuePosition: 3, estimatedWaitSeconds: Math.ceil(queueMs / 1000) },
  ];
  for (let i = 0; i < count; i++) {
    out.push({
      atMs: queueMs + Math.floor(((durationMs - queueMs) * i) / count),
      status: 'in_progress',
      progress: Math.floor((100 * i) / count),
    });
  }
  const end = options.end ?? 'completed';
  out.push(
    end === 'failed'
      ? {
          atMs: durationMs,
          status: 'failed',
          failure: options.failure ?? { message: 'Video generation failed.' },
        }
      : { atMs: durationMs, status: 'completed', progress: 100 },
  );
  return out;
}

// --- implementation ----------------------------------------------------------------------------------

interface LiveTask {
  script: TaskScript;
  dialect: Dialect;
  steps: TaskStep[];
  addedAt: number;
  /** When the first completed step applies, relative to the clock's epoch. */
  completedAt: number | undefined;
}

const DEFAULT_VIDEO_BYTES = 64 * 1024;

export async function startFakeVideoApi(options: FakeVideoApiOptions): Promise<FakeVideoApi> {
  const clock = options.clock ?? createSystemClock();
  const notFoundStyle = options.notFound ?? 'openai';
  const recordRequests = options.recordRequests ?? true;
  const tasks = new Map<string, LiveTask>();
  const faults: Array<FaultRule & { remaining: number }> = [];
  const requests: RecordedRequest[] = [];
  const transfers: TransferRecord[] = [];
  let connections = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const waiters: Array<{
    predicate: (r: RecordedRequest) => boolean;
    resolve: (r: RecordedRequest) => void;
  }> = [];

  const api = createServer((req, res) => handle('api', req, res));
  const cdn = createServer((req, res) => handle('cdn', req, res));
  api.on('connection', () => {
    connections += 1;
  });
  const origin = await listen(api, options.port ?? 0);
  const cdnOrigin = await listen(cdn, 0);
  const baseUrl = `${origin}/v1`;

  function record(entry: RecordedRequest): void {
    if (recordRequests) requests.push(entry);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i]!;
      if (waiter.predicate(entry)) {
        waiters.splice(i, 1);
        waiter.resolve(entry);
      }
    }
  }

  function takeFault(route: Route, taskId: string | undefined): Fault | undefined {
    const index = faults.findIndex(
      (rule) =>
        (rule.route === 'any' || rule.route === route) &&
        (rule.taskId === undefined || rule.taskId === taskId),
    );
    if (index === -1) return undefined;
    const rule = faults[index]!;
    rule.remaining -= 1;
    if (rule.remaining <= 0) faults.splice(index, 1);
    return rule.fault;
  }

  function currentStep(task: LiveTask): TaskStep {
    const elapsed = clock.now() - task.addedAt;
    let step = task.steps[0]!;
    for (const candidate of task.steps) if (candidate.atMs <= elapsed) step = candidate;
    return step;
  }

  function stepStatus(step: TaskStep): ScriptedStatus {
    if (!('body' in step)) return step.status;
    if (step.status !== undefined) return step.status;
    const text = typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
    return /"status"\s*:\s*"(completed|succeeded|success)"/i.test(text) ? 'completed' : 'in_progress';
  }

  function expiresAt(task: LiveTask): number | undefined {
    return task.completedAt === undefined || task.script.expiresAfterMs === undefined
      ? undefined
      : task.completedAt + task.script.expiresAfterMs;
  }

  function isExpired(task: LiveTask): boolean {
    const at = expiresAt(task);
    return at !== undefined && clock.now() >= at;
  }

  function publicUrl(task: LiveTask): string | undefined {
    const wanted = task.script.video?.publicLink ?? task.dialect !== 'openai';
    return wanted ? `${cdnOrigin}/files/${task.script.id}` : undefined;
  }

  function handle(server: 'api' | 'cdn', req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? '/';
    const path = rawUrl.split('?')[0]!;
    const match = matchRoute(server, path);
    const entry: RecordedRequest = {
      server,
      method: req.method ?? 'GET',
      url: rawUrl,
      route: match?.route ?? 'unknown',
      taskId: match?.taskId,
      headers: { ...req.headers },
      receivedAt: performance.now(),
    };
    record(entry);
    inFlight += 1;
    peakInFlight = Math.max(peakInFlight, inFlight);
    res.once('close', () => {
      inFlight -= 1;
    });
    // Drain any request body; our routes are all GETs.
    req.resume();

    if (server === 'api' && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      const given = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      sendJson(res, 401, {
        error: {
          message: `Incorrect API key provided: ${given}. You can find your API key at https://platform.example/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
      return;
    }
    const refusal = options.strictHeaders ? strictHeaderRefusal(server, req.headers) : undefined;
    if (refusal !== undefined) {
      sendJson(res, refusal.status, refusal.body);
      return;
    }
    if (match === undefined || req.method !== 'GET') {
      sendJson(res, 404, {
        error: { message: `No route ${req.method ?? ''} ${path}`, type: 'invalid_request_error' },
      });
      return;
    }
    const fault = takeFault(match.route, match.taskId);
    if (fault !== undefined && applyFault(fault, res, server, match)) return;

    const task = tasks.get(match.taskId);
    switch (match.route) {
      case 'status': {
        if (task === undefined) {
          const nf = renderNotFound(notFoundStyle);
          sendJson(res, nf.status, nf.body);
          return;
        }
        serveStatus(task, res);
        return;
      }
      case 'content': {
        if (task === undefined) {
          sendJson(res, 404, { error: { message: 'Task not found', type: 'invalid_request_error' } });
          return;
        }
        serveContent(task, res, match.hop);
        return;
      }
      case 'file': {
        if (task === undefined || isExpired(task)) {
          sendJson(res, 404, { error: { message: 'The file does not exist or has expired.' } });
          return;
        }
        streamVideo(res, server, task, undefined);
        return;
      }
    }
  }

  function serveStatus(task: LiveTask, res: ServerResponse): void {
    if (task.script.pollAfterMs !== undefined)
      res.setHeader('openai-poll-after-ms', String(task.script.pollAfterMs));
    const step = currentStep(task);
    if ('body' in step) {
      const text = typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
      res.writeHead(step.httpStatus ?? 200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const { script } = task;
    sendJson(
      res,
      200,
      renderTask(task.dialect, {
        id: script.id,
        state: step,
        now: clock.now(),
        createdAtMs: task.addedAt,
        completedAtMs: step.status === 'completed' ? task.completedAt : undefined,
        expiresAtMs: step.status === 'completed' ? expiresAt(task) : undefined,
        publicUrl: publicUrl(task),
        model: script.model ?? 'sora-2',
        size: script.size ?? '1280x720',
        seconds: script.seconds ?? '8',
        prompt: script.prompt ?? 'A calico cat surfing a wave at sunset',
      }),
    );
  }

  function serveContent(task: LiveTask, res: ServerResponse, hop: number | undefined): void {
    const step = currentStep(task);
    const status = stepStatus(step);
    if (status !== 'completed') {
      const state: TaskState = 'body' in step ? { status } : step;
      const notReady = renderNotReady(task.dialect, state);
      sendJson(res, notReady.status, notReady.body);
      return;
    }
    if (isExpired(task)) {
      sendJson(res, 404, { error: { message: 'The video has expired.', type: 'invalid_request_error' } });
      return;
    }
    const video = task.script.video ?? {};
    if (clock.now() < (task.completedAt ?? 0) + (video.fileReadyAfterMs ?? 0)) {
      sendJson(res, 200, renderNoFileYet(task.script.id, clock.now()));
      return;
    }
    const delivery = video.delivery ?? (task.dialect === 'anyfast' ? 'json-link' : 'bytes');
    const id = task.script.id;
    if (delivery === 'json-link') {
      const link = `${cdnOrigin}/files/${id}`;
      sendJson(res, 200, {
        id,
        object: 'video',
        model: task.script.model ?? 'sora-2',
        status: 'completed',
        progress: 100,
        url: link,
        video_url: link,
        size: 'small',
        seconds: task.script.seconds ?? '12',
        created_at: Math.floor(task.addedAt / 1000),
      });
      return;
    }
    if (delivery === 'redirect') {
      const hops = video.redirectHops ?? 1;
      const done = (hop ?? 0) + 1;
      const location =
        done < hops
          ? `/v1/hop/${done}/${id}`
          : video.redirectTo === 'same-origin'
            ? `/v1/files/${id}`
            : `${cdnOrigin}/files/${id}`;
      res.writeHead(302, { location, 'content-length': 0 });
      res.end();
      return;
    }
    streamVideo(res, 'api', task, undefined);
  }

  /** Returns true when the fault took over the response. */
  function applyFault(fault: Fault, res: ServerResponse, server: 'api' | 'cdn', match: RouteMatch): boolean {
    switch (fault.kind) {
      case 'status': {
        const body =
          fault.body === undefined ? { error: { message: `Injected HTTP ${fault.status}` } } : fault.body;
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(fault.status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...fault.headers,
        });
        res.end(text);
        return true;
      }
      case 'stall':
        return true; // never answered; close() ends it
      case 'stall-body':
        if (match.route === 'status') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 4096 });
          res.write('{"id":"video_x",');
        } else {
          res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 10 * 1024 * 1024 });
          if ((fault.afterBytes ?? 0) > 0) res.write(videoChunk(0, fault.afterBytes ?? 0));
        }
        return true;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 10 * 1024 * 1024 });
        let sent = 0;
        const timer = setInterval(() => {
          res.write(videoChunk(sent, fault.bytesPerTick));
          sent += fault.bytesPerTick;
        }, fault.everyMs);
        res.on('close', () => clearInterval(timer));
        return true;
      }
      case 'malformed-json': {
        const text = '{"id":"video_x","status":"in_pro';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
        res.end(text);
        return true;
      }
      case 'reset':
        res.socket?.destroy();
        return true;
      case 'truncate': {
        const task = tasks.get(match.taskId);
        if (task === undefined) return false;
        streamVideo(res, server, task, fault.afterBytes);
        return true;
      }
    }
  }

  function streamVideo(
    res: ServerResponse,
    server: 'api' | 'cdn',
    task: LiveTask,
    cutAfter: number | undefined,
  ): void {
    const video = task.script.video ?? {};
    const total = video.bytes ?? DEFAULT_VIDEO_BYTES;
    const sendUpTo = cutAfter === undefined ? total : Math.min(cutAfter, total);
    let markDone: () => void = () => {};
    const transfer: TransferRecord = {
      server,
      taskId: task.script.id,
      bytesSent: 0,
      bytesPlanned: total,
      closedEarly: false,
      done: new Promise<void>((resolve) => (markDone = resolve)),
    };
    transfers.push(transfer);
    let finished = false;
    res.on('finish', () => {
      finished = true;
    });
    res.on('close', () => {
      transfer.closedEarly = !finished;
      markDone();
    });
    res.writeHead(200, {
      'content-type': video.contentType ?? 'video/mp4',
      ...(video.contentLength === false ? {} : { 'content-length': total }),
    });
    let offset = 0;
    const pump = (): void => {
      while (offset < sendUpTo) {
        if (res.destroyed) return;
        const chunk = videoChunk(offset, Math.min(CHUNK_BYTES, sendUpTo - offset));
        offset += chunk.length;
        transfer.bytesSent = offset;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      // A cut transfer hangs up mid-body, as new-api's proxy does after its 60 s deadline.
      if (sendUpTo < total) res.socket?.destroy();
      else res.end();
    };
    pump();
  }

  const fake: FakeVideoApi = {
    baseUrl,
    origin,
    cdnOrigin,
    addTask(script) {
      const steps: TaskStep[] = script.steps?.length ? [...script.steps] : [{ atMs: 0, status: 'completed' }];
      const addedAt = clock.now();
      const completedStep = steps.find((step) => stepStatus(step) === 'completed');
      tasks.set(script.id, {
        script,
        dialect: script.dialect ?? 'openai',
        steps,
        addedAt,
        completedAt: completedStep === undefined ? undefined : addedAt + completedStep.atMs,
      });
    },
    removeTask(id) {
      tasks.delete(id);
    },
    currentState(id) {
      const task = tasks.get(id);
      if (task === undefined) return undefined;
      const step = currentStep(task);
      return 'body' in step ? undefined : step;
    },
    addFault(rule) {
      faults.push({ ...rule, remaining: rule.times ?? 1 });
    },
    setFault(rule) {
      faults.length = 0;
      if (rule !== undefined) fake.addFault(rule);
    },
    clearFaults() {
      faults.length = 0;
    },
    requests,
    transfers,
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    get connections() {
      return connections;
    },
    waitForRequest(predicate, waitOptions) {
      if (waitOptions?.includePast) {
        const found = requests.find(predicate);
        if (found) return Promise.resolve(found);
      }
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    async close() {
      await Promise.all([stop(api), stop(cdn)]);
    },
  };
  return fake;
}

// --- helpers -----------------------------------------------------------------------------------------

interface RouteMatch {
  route: Route;
  taskId: string;
  hop?: number;
}

function matchRoute(server: 'api' | 'cdn', path: string): RouteMatch | undefined {
  const segments = path.split('/').slice(1).map(safeDecode);
  if (server === 'cdn') {
    return segments.length === 2 && segments[0] === 'files'
      ? { route: 'file', taskId: segments[1]! }
      : undefined;
  }
  if (segments[0] !== 'v1') return undefined;
  const [, kind, a, b, c] = segments;
  if (kind === 'videos' && a && b === undefined) return { route: 'status', taskId: a };
  if (kind === 'videos' && a && b === 'content' && c === undefined) return { route: 'content', taskId: a };
  if (kind === 'files' && a && b === undefined) return { route: 'file', taskId: a };
  if (kind === 'hop' && a && b && c === undefined) return { route: 'content', taskId: b, hop: Number(a) };
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${bound}`);
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Stalled and keep-alive connections would hold close() forever.
    server.closeAllConnections();
  });
}
