/**
 * The HTTP side of the REST API: route templates, request bodies (JSON or multipart with `payload_json`
 * and `files[n]`), and the request pipeline every route goes through:
 *
 *   unknown route → 404 (counted) · injected fault · auth (bot routes) · 25 MiB cap → 413 ·
 *   rate limits → 429 · handler → JSON (or a DiscordError turned into its status and body)
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Limits } from './constants.js';
import type { Counters } from './counters.js';
import { DiscordError, Errors } from './errors.js';
import type { Faults } from './faults.js';
import type { UploadedFile } from './messages.js';
import { globalCheck, type LimitCheck, type RateLimiter, type RateLimitOptions } from './rate-limits.js';
import { isObject, type JsonObject } from './validate.js';

export interface RestRequest {
  method: string;
  /** Route template, e.g. `/channels/:channel_id/messages/:message_id`. */
  route: string;
  /** Path parameters, URL-decoded (`%40original` arrives as `@original`). */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** JSON body, or a multipart request's `payload_json`; `{}` when there is none. */
  body: JsonObject;
  /** A JSON body that is an array (bulk command overwrite). */
  bodyArray: unknown[] | null;
  files: UploadedFile[];
}

export interface RestAnswer {
  status: number;
  body?: unknown;
}

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  route: string;
  /** Bot routes need `Authorization: Bot <token>`; interaction callbacks and webhook routes need none. */
  auth: boolean;
  /** Per-route limits beyond the global one (which applies to every authenticated route). */
  limits?: (request: RestRequest) => LimitCheck[];
  handle: (request: RestRequest) => RestAnswer | Promise<RestAnswer>;
}

interface CompiledRoute {
  definition: RouteDefinition;
  segments: string[];
}

export function compileRoutes(definitions: readonly RouteDefinition[]): CompiledRoute[] {
  return definitions.map((definition) => ({ definition, segments: definition.route.split('/').slice(1) }));
}

function match(routes: readonly CompiledRoute[], method: string, segments: readonly string[]) {
  for (const { definition, segments: template } of routes) {
    if (definition.method !== method || template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = template.every((part, i) => {
      const actual = segments[i]!;
      if (part.startsWith(':')) {
        params[part.slice(1)] = actual;
        return actual !== '';
      }
      return part === actual;
    });
    if (ok) return { definition, params };
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<{ data: Buffer; bytes: number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    // Past the 25 MiB cap the request is refused anyway: count the bytes, keep none.
    if (bytes <= Limits.requestBytes + 1) chunks.push(chunk);
  }
  return { data: Buffer.concat(chunks), bytes };
}

/** Multipart parsing with the runtime's own fetch `Response.formData()`, so no extra dependency. */
async function parseMultipart(data: Buffer, contentType: string) {
  const form = await new Response(data, { headers: { 'content-type': contentType } }).formData();
  let body: unknown = {};
  const files: UploadedFile[] = [];
  let nextIndex = 0;
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      if (name === 'payload_json') body = JSON.parse(value);
      continue;
    }
    const index = /^files\[(\d+)\]$/.exec(name)?.[1];
    files.push({
      index: index === undefined ? nextIndex : Number(index),
      filename: value.name,
      contentType: value.type || null,
      data: Buffer.from(await value.arrayBuffer()),
    });
    nextIndex += 1;
  }
  return { body, files };
}

async function parseBody(data: Buffer, contentType: string) {
  if (contentType.startsWith('multipart/form-data')) return parseMultipart(data, contentType);
  const text = data.toString('utf8');
  return { body: text.trim() === '' ? {} : (JSON.parse(text) as unknown), files: [] as UploadedFile[] };
}

function write(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (status === 204 || body === undefined) {
    response.writeHead(status, headers).end();
    return;
  }
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export interface PipelineDeps {
  routes: readonly CompiledRoute[];
  token: string;
  limiter: RateLimiter;
  limits: RateLimitOptions;
  counters: Counters;
  faults: Faults;
  now: () => number;
  onInternalError: (error: unknown) => void;
}

/** Handles one request under `/api`. `path` is what follows `/api`, e.g. `/v10/users/@me`. */
export async function handleApiRequest(
  deps: PipelineDeps,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const method = request.method ?? 'GET';
  let data: Buffer;
  let bytes: number;
  try {
    ({ data, bytes } = await readBody(request));
  } catch {
    // The client went away mid-request (a killed bot process): nobody is left to answer.
    response.destroy();
    return;
  }
  const versioned = /^\/v10(\/.*)$/.exec(path)?.[1];
  let segments: string[] | undefined;
  try {
    segments = versioned?.split('/').slice(1).map(decodeURIComponent);
  } catch {
    segments = undefined;
  }
  const found = segments ? match(deps.routes, method, segments) : undefined;
  if (!found) {
    deps.counters.recordUnknownRoute(method, path);
    deps.counters.record({ at: deps.now(), method, route: path, path, status: 404, code: 0 });
    write(response, 404, Errors.notFound().toJSON());
    return;
  }

  const { definition, params } = found;
  let status = 500;
  let code: number | undefined;
  let scope: 'user' | 'global' | 'shared' | undefined;
  let headers: Record<string, string> = {};
  let body: unknown;
  const held = async (phase: 'before' | 'after'): Promise<boolean> => {
    const hold = deps.faults.takeHold(method, definition.route, phase);
    if (!hold) return true;
    hold.arrive();
    if ((await hold.outcome) === 'release') return true;
    response.destroy();
    return false;
  };
  if (!(await held('before'))) return;
  const multipart = (request.headers['content-type'] ?? '').startsWith('multipart/form-data');
  const delayMs = deps.faults.takeDelay(method, definition.route, multipart);
  if (delayMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    // The client gave up meanwhile: nothing is done for it.
    if (request.socket.destroyed) return;
  }
  try {
    const fault = deps.faults.take(method, definition.route);
    if (fault) {
      ({ status, body, headers } = fault);
      code = isObject(body) && typeof body.code === 'number' ? body.code : undefined;
      scope = status === 429 ? fault.scope : undefined;
    } else {
      const authorization = request.headers.authorization ?? '';
      if (definition.auth && authorization !== `Bot ${deps.token}`) throw Errors.unauthorized();
      if (bytes > Limits.requestBytes) throw Errors.entityTooLarge();
      const parsed = await parseBody(data, request.headers['content-type'] ?? '').catch(() => {
        throw new DiscordError(400, 50109, 'The request body contains invalid JSON.');
      });
      for (const file of parsed.files) deps.counters.recordUpload(file.data.length);
      const restRequest: RestRequest = {
        method,
        route: definition.route,
        params,
        query,
        headers: request.headers,
        body: isObject(parsed.body) ? parsed.body : {},
        bodyArray: Array.isArray(parsed.body) ? parsed.body : null,
        files: parsed.files,
      };
      const checks = [
        ...(definition.auth ? [globalCheck(deps.token, deps.limits)] : []),
        ...(definition.limits?.(restRequest) ?? []),
      ];
      const verdict = deps.limiter.check(checks);
      headers = verdict.headers;
      if (!verdict.ok) {
        status = 429;
        body = verdict.body;
        code = verdict.body.code;
        scope = verdict.scope;
      } else {
        ({ status, body } = await definition.handle(restRequest));
      }
    }
  } catch (error) {
    if (error instanceof DiscordError) {
      status = error.status;
      code = error.code;
      body = error.toJSON();
    } else {
      deps.onInternalError(error);
      status = 500;
      code = 0;
      body = { message: '500: Internal Server Error', code: 0 };
    }
  }
  deps.counters.record({
    at: deps.now(),
    method,
    route: definition.route,
    path,
    status,
    ...(code === undefined ? {} : { code }),
    ...(scope === undefined ? {} : { scope }),
  });
  if (!(await held('after'))) return;
  if (response.destroyed) return;
  write(response, status, body, headers);
}
