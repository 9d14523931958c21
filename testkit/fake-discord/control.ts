/**
 * A small HTTP control API under `/_fake/` for driving a standalone fake from another process (the demo,
 * benchmarks). In-process tests use the `startFakeDiscord()` object directly instead.
 *
 *   GET  /_fake/state                      guilds, channels, users
 *   POST /_fake/interactions/command       { userId, channelId, name, subcommandGroup?, subcommand?, options?, locale? }
 *   POST /_fake/interactions/button        { userId, messageId, customId }
 *   GET  /_fake/interactions/{id}          status, callbacks, reply and follow-ups with their versions
 *   GET  /_fake/channels/{id}/messages     every message with every version (attachments without bytes)
 *   GET  /_fake/counters                   requests per route, 429s, invalid requests, bytes uploaded
 *   POST /_fake/gateway/drop               cut the gateway connections
 * Option values are JSON; a user, channel or role option is given as `{ "id": "…" }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counters } from './counters.js';
import type { Gateway } from './gateway.js';
import type { Interactions, OptionValue } from './interactions.js';
import type { FakeMessage, MessageStore } from './messages.js';
import { isObject, type JsonObject } from './validate.js';
import type { World } from './world.js';

export interface ControlDeps {
  world: World;
  interactions: Interactions;
  messages: MessageStore;
  counters: Counters;
  gateway: Gateway;
}

export function messageSummary(message: FakeMessage) {
  return {
    id: message.id,
    channelId: message.channelId,
    authorId: message.authorId,
    createdAt: message.createdAt,
    ephemeralTo: message.ephemeralTo,
    deletedAt: message.deletedAt,
    versions: message.versions.map((v) => ({
      ...v,
      attachments: v.attachments.map(({ data: _bytes, ...meta }) => meta),
    })),
  };
}

async function readJson(request: IncomingMessage): Promise<JsonObject> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  const parsed: unknown = text ? JSON.parse(text) : {};
  return isObject(parsed) ? parsed : {};
}

export async function handleControlRequest(
  deps: ControlDeps,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const { world, interactions, messages } = deps;
  const reply = (status: number, body: unknown): void => {
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  const user = (id: unknown) => {
    const found = world.getUser(String(id));
    if (!found) throw new Error(`unknown user ${String(id)}`);
    return found;
  };
  const entity = (value: unknown): OptionValue => {
    if (!isObject(value)) return value as OptionValue;
    const id = String(value.id);
    const found =
      world.getUser(id) ??
      world.getChannel(id) ??
      world
        .guilds()
        .find((g) => g.roles.has(id))
        ?.roles.get(id);
    if (!found) throw new Error(`unknown entity ${id}`);
    return found;
  };
  const parts = url.pathname.split('/').slice(2);
  const route = `${request.method ?? 'GET'} /${parts.map((p, i) => (i === 1 && /^\d+$/.test(p) ? ':id' : p)).join('/')}`;
  try {
    switch (route) {
      case 'GET /state':
        return reply(200, {
          bot: world.apiUser(world.bot),
          guilds: world.guilds().map((g) => ({
            id: g.id,
            name: g.name,
            channels: g.channelIds.map((id) => ({ id, name: world.getChannel(id)?.name })),
          })),
          users: world.users().map(world.apiUser),
        });
      case 'POST /interactions/command': {
        const body = await readJson(request);
        const channel = world.getChannel(String(body.channelId));
        if (!channel) throw new Error(`unknown channel ${String(body.channelId)}`);
        const options = isObject(body.options)
          ? Object.fromEntries(Object.entries(body.options).map(([k, v]) => [k, entity(v)]))
          : {};
        const handle = interactions.command({
          user: user(body.userId),
          channel,
          name: String(body.name),
          options,
          ...(typeof body.subcommand === 'string' ? { subcommand: body.subcommand } : {}),
          ...(typeof body.subcommandGroup === 'string' ? { subcommandGroup: body.subcommandGroup } : {}),
          ...(typeof body.locale === 'string' ? { locale: body.locale } : {}),
        });
        return reply(200, { id: handle.id, deliveredTo: handle.deliveredTo });
      }
      case 'POST /interactions/button': {
        const body = await readJson(request);
        const message = messages.get(String(body.messageId));
        if (!message) throw new Error(`unknown message ${String(body.messageId)}`);
        const handle = interactions.button({
          user: user(body.userId),
          message,
          customId: String(body.customId),
        });
        return reply(200, { id: handle.id, deliveredTo: handle.deliveredTo });
      }
      case 'GET /interactions/:id': {
        const handle = interactions.handle(parts[1] ?? '');
        if (!handle) return reply(404, { error: 'unknown interaction' });
        const original = handle.original();
        return reply(200, {
          status: handle.status(),
          responses: handle
            .responses()
            .map(({ message, ...rest }) => ({ ...rest, messageId: message?.id ?? null })),
          original: original ? messageSummary(original) : null,
          followUps: handle.followUps().map(messageSummary),
        });
      }
      case 'GET /channels/:id/messages':
        return reply(200, messages.inChannel(parts[1] ?? '').map(messageSummary));
      case 'GET /counters':
        return reply(200, {
          requestsByRoute: deps.counters.requestsByRoute(),
          rateLimited: deps.counters.rateLimited(),
          invalidRequests: deps.counters.invalidRequests(),
          bytesUploaded: deps.counters.bytesUploaded(),
          unknownRoutes: deps.counters.unknownRoutes(),
          peakRequestsPerSecond: deps.counters.peakRequestsPerSecond(),
        });
      case 'POST /gateway/drop':
        return reply(200, { dropped: deps.gateway.drop() });
      default:
        return reply(404, { error: `no control route ${route}` });
    }
  } catch (error) {
    return reply(400, { error: error instanceof Error ? error.message : String(error) });
  }
}
