/**
 * The gateway: one WebSocket connection per shard, plain JSON text frames (never zlib).
 *
 * HELLO → IDENTIFY → READY (guilds unavailable) → one GUILD_CREATE per guild of the shard; heartbeats
 * answered with ACKs (they can be withheld so the client notices a zombie connection); every dispatch gets
 * the session's next sequence number and is kept, so a client that RESUMEs after a drop receives what it
 * missed, then RESUMED. An unknown or expired session gets INVALID_SESSION (op 9, d: false).
 *
 * Guild events go to the shard `(guild_id >> 22) % shard_count`; events without a guild (DMs) to shard 0.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { GatewayCloseCode, GatewayOpcode, Intent } from './constants.js';
import { shardForGuild } from './snowflake.js';
import { text } from './validate.js';
import type { World } from './world.js';

interface Dispatch {
  s: number;
  t: string;
  d: unknown;
}

interface Session {
  readonly id: string;
  readonly shardId: number;
  readonly shardCount: number;
  readonly intents: number;
  seq: number;
  /** Sent dispatches, for replay on RESUME. */
  readonly sent: Dispatch[];
  socket: WebSocket | null;
  disconnectedAt: number | null;
  /** Closed normally by the client or invalidated: it cannot be resumed. */
  ended: boolean;
}

interface Connection {
  session: Session | null;
  acksHeartbeats: boolean;
}

export interface SessionInfo {
  id: string;
  shard: [number, number];
  connected: boolean;
  seq: number;
}

export interface GatewayOptions {
  token: string;
  world: World;
  now: () => number;
  heartbeatIntervalMs: number;
  /** How long a dropped session may be resumed, on the fake's clock. */
  resumeWindowMs: number;
  /** The URL READY gives as `resume_gateway_url`. */
  url: () => string;
  /** Called after anything the test might wait for (a dispatch, a session change). */
  onChange: () => void;
  /** A bug in the fake while handling a frame. */
  onInternalError: (error: unknown) => void;
}

/** Events kept per session; a client further behind than this must identify again. */
const REPLAY_LIMIT = 1000;
/** Events a bot with only the Guilds intent receives (besides READY, RESUMED and INTERACTION_CREATE). */
const GUILDS_INTENT_EVENTS = new Set([
  'GUILD_CREATE',
  'GUILD_UPDATE',
  'GUILD_DELETE',
  'GUILD_ROLE_CREATE',
  'GUILD_ROLE_UPDATE',
  'GUILD_ROLE_DELETE',
  'CHANNEL_CREATE',
  'CHANNEL_UPDATE',
  'CHANNEL_DELETE',
]);

export type Gateway = ReturnType<typeof createGateway>;

export function createGateway(options: GatewayOptions) {
  const { world, now } = options;
  const server = new WebSocketServer({ noServer: true });
  const sessions = new Map<string, Session>();
  const connections = new Map<WebSocket, Connection>();

  const frame = (op: number, d: unknown, s: number | null = null, t: string | null = null) =>
    JSON.stringify({ op, d, s, t });

  function resumable(session: Session): boolean {
    if (session.ended) return false;
    if (session.disconnectedAt !== null && now() - session.disconnectedAt > options.resumeWindowMs) {
      session.ended = true;
      return false;
    }
    return true;
  }

  function send(session: Session, t: string, d: unknown) {
    const dispatch: Dispatch = { s: ++session.seq, t, d };
    session.sent.push(dispatch);
    if (session.sent.length > REPLAY_LIMIT) session.sent.shift();
    session.socket?.send(frame(GatewayOpcode.Dispatch, d, dispatch.s, t));
  }

  function guildsOfShard(session: Session) {
    return world.guilds().filter((g) => shardForGuild(g.id, session.shardCount) === session.shardId);
  }

  function identify(ws: WebSocket, connection: Connection, d: Record<string, unknown>) {
    const shard = Array.isArray(d.shard) ? d.shard.map(Number) : [0, 1];
    const [shardId = 0, shardCount = 1] = shard;
    if (!(shardCount >= 1 && shardId >= 0 && shardId < shardCount)) {
      ws.close(GatewayCloseCode.InvalidShard, 'Invalid shard');
      return;
    }
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      shardId,
      shardCount,
      intents: typeof d.intents === 'number' ? d.intents : 0,
      seq: 0,
      sent: [],
      socket: ws,
      disconnectedAt: null,
      ended: false,
    };
    sessions.set(session.id, session);
    connection.session = session;
    const guilds = guildsOfShard(session);
    send(session, 'READY', {
      v: 10,
      user: { ...world.apiUser(world.bot), verified: true, mfa_enabled: false, flags: 0 },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: session.id,
      session_type: 'normal',
      resume_gateway_url: options.url(),
      shard: [shardId, shardCount],
      application: { id: world.application.id, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      user_settings: {},
    });
    for (const guild of guilds) send(session, 'GUILD_CREATE', world.apiGuild(guild));
    options.onChange();
  }

  function resume(ws: WebSocket, connection: Connection, d: Record<string, unknown>) {
    const session = sessions.get(text(d.session_id));
    const seq = typeof d.seq === 'number' ? d.seq : 0;
    const oldest = session?.sent[0]?.s ?? Infinity;
    const replayable = session !== undefined && (seq >= session.seq || oldest <= seq + 1);
    if (!session || !resumable(session) || !replayable) {
      if (session) session.ended = true;
      ws.send(frame(GatewayOpcode.InvalidSession, false));
      return;
    }
    // A client resuming may not have closed its old connection (a zombie); that one is dead now.
    if (session.socket && session.socket !== ws) {
      connections.delete(session.socket);
      session.socket.terminate();
    }
    session.socket = ws;
    session.disconnectedAt = null;
    connection.session = session;
    for (const missed of session.sent) {
      if (missed.s > seq) ws.send(frame(GatewayOpcode.Dispatch, missed.d, missed.s, missed.t));
    }
    send(session, 'RESUMED', null);
    options.onChange();
  }

  function onMessage(ws: WebSocket, connection: Connection, raw: string) {
    let payload: { op?: unknown; d?: unknown };
    try {
      payload = JSON.parse(raw) as { op?: unknown; d?: unknown };
    } catch {
      ws.close(4002, 'Error while decoding payload.');
      return;
    }
    const d = (typeof payload.d === 'object' && payload.d !== null ? payload.d : {}) as Record<
      string,
      unknown
    >;
    switch (payload.op) {
      case GatewayOpcode.Heartbeat:
        if (connection.acksHeartbeats) ws.send(frame(GatewayOpcode.HeartbeatAck, null));
        return;
      case GatewayOpcode.Identify:
      case GatewayOpcode.Resume: {
        const token = text(d.token).replace(/^Bot\s+/i, '');
        if (token !== options.token) {
          ws.close(GatewayCloseCode.AuthenticationFailed, 'Authentication failed.');
          return;
        }
        if (payload.op === GatewayOpcode.Identify) identify(ws, connection, d);
        else resume(ws, connection, d);
        return;
      }
      default:
        if (!connection.session) ws.close(GatewayCloseCode.NotAuthenticated, 'Not authenticated.');
    }
  }

  function onClose(ws: WebSocket, code: number) {
    const connection = connections.get(ws);
    connections.delete(ws);
    const session = connection?.session;
    if (!session || session.socket !== ws) return;
    session.socket = null;
    session.disconnectedAt = now();
    // A client that closes with 1000/1001 ends its session; any other close can be resumed.
    if (code === 1000 || code === 1001) session.ended = true;
    options.onChange();
  }

  server.on('connection', (ws: WebSocket) => {
    const connection: Connection = { session: null, acksHeartbeats: true };
    connections.set(ws, connection);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        onMessage(ws, connection, (data as Buffer).toString('utf8'));
      } catch (error) {
        options.onInternalError(error);
        ws.close(GatewayCloseCode.UnknownError, 'Unknown error');
      }
    });
    ws.on('close', (code) => onClose(ws, code));
    ws.on('error', () => ws.terminate());
    ws.send(frame(GatewayOpcode.Hello, { heartbeat_interval: options.heartbeatIntervalMs }));
  });

  function liveSessions(shard: number | undefined) {
    return [...connections.entries()].filter(([, c]) => shard === undefined || c.session?.shardId === shard);
  }

  function dispatch(t: string, d: unknown, guildId: string | null): number {
    let reached = 0;
    for (const session of sessions.values()) {
      if (!resumable(session)) {
        sessions.delete(session.id);
        continue;
      }
      const shard = guildId === null ? 0 : shardForGuild(guildId, session.shardCount);
      if (shard !== session.shardId) continue;
      if (GUILDS_INTENT_EVENTS.has(t) && !(session.intents & Intent.Guilds)) continue;
      send(session, t, d);
      reached += 1;
    }
    options.onChange();
    return reached;
  }

  world.onEvent((event) => {
    dispatch(event.t, event.d, event.guildId);
  });

  return {
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
      server.handleUpgrade(request, socket, head, (ws) => server.emit('connection', ws, request));
    },
    /** Sends an event to every session of the shard that owns `guildId` (shard 0 when null). */
    dispatch,

    /**
     * Cuts connections as a network failure would (no close frame: the client sees 1006 and resumes),
     * or closes them with `code`. Events dispatched until the client resumes are replayed then.
     */
    drop: (opts: { shard?: number; code?: number } = {}): number => {
      const victims = liveSessions(opts.shard);
      for (const [ws, connection] of victims) {
        connections.delete(ws);
        if (connection.session && connection.session.socket === ws) {
          connection.session.socket = null;
          connection.session.disconnectedAt = now();
        }
        if (opts.code === undefined) ws.terminate();
        else ws.close(opts.code);
      }
      options.onChange();
      return victims.length;
    },

    /** Stops answering heartbeats on current connections: the client declares them zombies and resumes. */
    withholdHeartbeatAcks: (opts: { shard?: number } = {}) => {
      for (const [, connection] of liveSessions(opts.shard)) connection.acksHeartbeats = false;
    },

    /** Sends op 7 RECONNECT, as Discord does before moving a session. */
    requestReconnect: (opts: { shard?: number } = {}) => {
      for (const [ws] of liveSessions(opts.shard)) ws.send(frame(GatewayOpcode.Reconnect, null));
    },

    /** Forgets every session: connected clients get INVALID_SESSION, later RESUMEs too. */
    invalidateSessions: () => {
      for (const session of sessions.values()) {
        session.ended = true;
        session.socket?.send(frame(GatewayOpcode.InvalidSession, false));
      }
      sessions.clear();
      options.onChange();
    },

    sessions: (): SessionInfo[] => {
      return [...sessions.values()].filter(resumable).map((s) => ({
        id: s.id,
        shard: [s.shardId, s.shardCount],
        connected: s.socket !== null,
        seq: s.seq,
      }));
    },

    /** Sequence numbers and event names a session was sent, oldest first (the last 1000). */
    sent: (sessionId: string): { s: number; t: string }[] => {
      return (sessions.get(sessionId)?.sent ?? []).map(({ s, t }) => ({ s, t }));
    },

    async close() {
      for (const ws of connections.keys()) ws.terminate();
      connections.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
