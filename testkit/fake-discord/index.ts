/**
 * A local Discord for tests: REST under `/api/v10` and a gateway under `/gateway`, on 127.0.0.1, that
 * the unmodified discord.js client talks to. See README.md next to this file for a walk-through.
 *
 *   const discord = await startFakeDiscord();
 *   const guild = discord.world.guild({ name: 'Studio' });
 *   const channel = discord.world.textChannel(guild, { name: 'renders' });
 *   // bot: new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiUrl } }).login(discord.token)
 *   const reply = await discord.interactions.command({ user, channel, name: 'sora', ... }).response();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createSystemClock, type Clock } from '../../src/scheduling/clock.js';
import { createCommandStore } from './commands.js';
import { handleControlRequest } from './control.js';
import { createCounters } from './counters.js';
import { createFaults } from './faults.js';
import { createGateway } from './gateway.js';
import { compileRoutes, handleApiRequest } from './http.js';
import { createInteractions } from './interactions.js';
import { createMessageStore, PARSE_ALL, type FakeMessage } from './messages.js';
import { createRateLimiter, DEFAULT_RATE_LIMITS, type RateLimitOptions } from './rate-limits.js';
import { createBotRoutes } from './rest.js';
import { createInteractionRoutes } from './rest-interactions.js';
import { createSnowflakeFactory } from './snowflake.js';
import type { JsonObject } from './validate.js';
import { createChangeFeed } from './wait.js';
import { createWorld, type FakeChannel, type FakeUser } from './world.js';

export interface FakeDiscordOptions {
  /** Time as the fake sees it (timestamps, ids, deadlines, rate windows). Default: real time. */
  clock?: Clock;
  /** Default: a random Discord-shaped token. */
  botToken?: string;
  botName?: string;
  /** Default 0: a free port. */
  port?: number;
  /** HELLO's `heartbeat_interval`; Discord says 41250. Tests shorten it to see zombie detection quickly. */
  heartbeatIntervalMs?: number;
  /** How long a dropped gateway session can be resumed, on the fake's clock (default 3 min). */
  resumeWindowMs?: number;
  /** Rate-limit windows; tests that run a header-following client in real time may shrink them. */
  rateLimits?: Partial<RateLimitOptions>;
  /** `shards` in GET /gateway/bot (what `shards: 'auto'` would use). */
  recommendedShards?: number;
  /**
   * `session_start_limit.max_concurrency` (default 1): discord.js waits 5 s between two IDENTIFYs that
   * share `shard_id % max_concurrency`, so multi-shard tests raise it.
   */
  maxConcurrency?: number;
}

export type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>;

function discordShapedToken(botId: string): string {
  const part = (bytes: number) => randomBytes(bytes).toString('base64url');
  return `${Buffer.from(botId).toString('base64url')}.${part(4)}.${part(27)}`;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}) {
  const clock = options.clock ?? createSystemClock();
  const now = () => clock.now();
  const ids = createSnowflakeFactory(now);
  const feed = createChangeFeed();
  const world = createWorld({ ids, now, ...(options.botName ? { botName: options.botName } : {}) });
  const token = options.botToken ?? discordShapedToken(world.bot.id);
  const limits: RateLimitOptions = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
  const internalErrors: unknown[] = [];
  let origin = '';

  const messages = createMessageStore({
    ids,
    now,
    world,
    attachmentUrl: (attachment, channelId) =>
      `${origin}/attachments/${channelId}/${attachment.id}/${encodeURIComponent(attachment.filename)}`,
  });
  const commands = createCommandStore(ids, world.application.id);
  const gateway = createGateway({
    token,
    world,
    now,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    resumeWindowMs: options.resumeWindowMs ?? 3 * 60_000,
    url: () => `${origin.replace(/^http/, 'ws')}/gateway`,
    onChange: () => feed.notify(),
    onInternalError: (error) => pipeline.onInternalError(error),
  });
  const interactions = createInteractions({ ids, clock, world, messages, commands, gateway, feed });
  const counters = createCounters(now);
  const faults = createFaults();
  const limiter = createRateLimiter(now);
  const routes = compileRoutes([
    ...createBotRoutes({
      world,
      messages,
      commands,
      limits,
      now,
      gatewayUrl: () => `${origin.replace(/^http/, 'ws')}/gateway`,
      recommendedShards: options.recommendedShards ?? 1,
      maxConcurrency: options.maxConcurrency ?? 1,
    }),
    ...createInteractionRoutes({ world, messages, interactions, now }),
  ]);
  const pipeline = {
    routes,
    token,
    limiter,
    limits,
    counters,
    faults,
    now,
    onInternalError: (error: unknown) => {
      internalErrors.push(error);
      console.error('[fake-discord] internal error', error);
    },
  };

  function serveAttachment(path: string, response: ServerResponse) {
    const [, , , attachmentId] = path.split('/');
    const found = messages.attachment(attachmentId ?? '');
    if (!found) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'Content-Type': found.attachment.contentType ?? 'application/octet-stream' })
      .end(found.attachment.data);
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', origin);
    const done = () => feed.notify();
    let work: Promise<void>;
    if (url.pathname.startsWith('/api/')) {
      work = handleApiRequest(
        pipeline,
        request,
        response,
        url.pathname.slice('/api'.length),
        url.searchParams,
      );
    } else if (url.pathname.startsWith('/attachments/')) {
      serveAttachment(url.pathname, response);
      work = Promise.resolve();
    } else if (url.pathname.startsWith('/_fake/')) {
      work = handleControlRequest(
        { world, interactions, messages, counters, gateway },
        request,
        response,
        url,
      );
    } else {
      response.writeHead(404).end();
      work = Promise.resolve();
    }
    work.then(done, (error: unknown) => {
      pipeline.onInternalError(error);
      if (!response.headersSent) response.writeHead(500).end();
      done();
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket, head: Buffer) => {
    if (new URL(request.url ?? '/', origin).pathname === '/gateway')
      gateway.handleUpgrade(request, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const channelId = (channel: FakeChannel | string) => (typeof channel === 'string' ? channel : channel.id);

  const fake = {
    /** What the bot gets as `DISCORD_API_URL` / discord.js `rest.api`. */
    apiUrl: `${origin}/api`,
    gatewayUrl: `${origin.replace(/^http/, 'ws')}/gateway`,
    origin,
    /** The bot token to log in with. */
    token,
    clock,
    bot: world.bot,
    application: world.application,
    /** Builders and queries for guilds, channels, users, roles and permissions. */
    world,
    /** Users clicking and typing: slash commands, autocomplete, buttons. */
    interactions: {
      command: interactions.command,
      autocomplete: interactions.autocomplete,
      button: interactions.button,
      /** A handle for an interaction by id (e.g. one started through the control API). */
      handle: interactions.handle,
      /** Every interaction token handed out so far (to check none leaks into logs or messages). */
      tokens: (): string[] => interactions.all().map((record) => record.token),
    },
    /** What people saw: every message with all its versions. */
    messages: {
      get: (id: string): FakeMessage | undefined => messages.get(id),
      /** Every message of the channel, oldest first: deleted and ephemeral ones included. */
      inChannel: (channel: FakeChannel | string): FakeMessage[] => messages.inChannel(channelId(channel)),
      /** What anyone opening the channel sees now: neither deleted nor ephemeral. */
      visibleIn: (channel: FakeChannel | string): FakeMessage[] =>
        messages.inChannel(channelId(channel)).filter((m) => !m.deleted && !m.ephemeral),
      /** The bot's DMs to `user`. */
      dmsTo: (user: FakeUser): FakeMessage[] => messages.inChannel(world.dmChannel(user).id),
      /** The message as the REST API returns it. */
      toApi: (message: FakeMessage) => messages.toApi(message),
      /** Discord's nonce memory runs out now: a create reusing an earlier nonce makes a new message. */
      forgetNonces: () => messages.forgetNonces(),
      /** Puts a message in place without a request (e.g. a progress message posted before a restart). */
      seed(opts: {
        channel: FakeChannel;
        body: JsonObject;
        createdAt?: number;
        author?: FakeUser;
      }): FakeMessage {
        return messages.create({
          channel: opts.channel,
          authorId: (opts.author ?? world.bot).id,
          body: opts.body,
          ...(opts.createdAt === undefined ? {} : { at: opts.createdAt }),
          defaultParse: PARSE_ALL,
        });
      },
    },
    /** Commands the bot registered (bulk overwrite or create). */
    commands: {
      global: () => commands.list(null),
      guild: (guild: { id: string }) => commands.list(guild.id),
    },
    gateway: {
      drop: gateway.drop,
      withholdHeartbeatAcks: gateway.withholdHeartbeatAcks,
      requestReconnect: gateway.requestReconnect,
      invalidateSessions: gateway.invalidateSessions,
      sessions: gateway.sessions,
      sent: gateway.sent,
      /** Sends any event, e.g. `dispatch('GUILD_UPDATE', data, guildId)`. */
      dispatch: gateway.dispatch,
    },
    faults,
    counters,
    /** Waits until `probe` returns something truthy; re-checked after every request and event. */
    waitFor: feed.waitFor,
    /** Bugs in the fake itself (answered 500); a healthy run has none. */
    internalErrors: (): readonly unknown[] => internalErrors,
    async close() {
      interactions.close();
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

export type { FakeMessage, MessageVersion, StoredAttachment, Pings } from './messages.js';
export type { InteractionHandle, InteractionResponse } from './interactions.js';
export type { FakeChannel, FakeGuild, FakeRole, FakeUser, PermissionInput } from './world.js';
export type { RequestLogEntry } from './counters.js';
export { ErrorCode, MessageFlag, Permission, CallbackType } from './constants.js';
export { DEFAULT_RATE_LIMITS } from './rate-limits.js';
