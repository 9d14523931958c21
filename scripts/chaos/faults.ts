/**
 * Applies planned faults to the fakes (and the store relay) at their moments, and remembers what each
 * did to which channel, so the accounting knows which tasks could not have been delivered there.
 *
 * What each fault models:
 * - api-5xx: the video API or a relay in front of it failing (500/502/503), with a body that echoes our
 *   key and an upstream header, as careless relays do — nothing of it may reach a user or a log.
 * - api-429: the API limiting the key, with `Retry-After`.
 * - api-timeout: a request that never gets headers, or whose body stops mid-way (API_TIMEOUT_MS fires).
 * - api-malformed: a 200 whose JSON is cut in half.
 * - api-truncated-download: the MP4 transfer closed early (new-api's proxy deadline).
 * - api-key-invalid: the key refused (401, echoed back) for a while: rotated, or the relay's billing.
 * - discord-5xx: Discord's edge failing a message create or edit.
 * - discord-429: a 429 the bot could not foresee (per-route or global), with Retry-After.
 * - gateway-drop: the gateway connection cut; the client resumes and missed events are replayed.
 * - message-deleted: a moderator deletes a live progress message.
 * - permissions-removed: an admin takes the bot's permissions in a channel, and gives them back later.
 * - store-outage: Redis unreachable (the relay in front of it cut), then back.
 * - attach-files-removed: an admin takes Attach Files from the bot in a channel for a while; uploads
 *   there get 403 50013, and every result must still arrive, as a link.
 * - discord-outage: every message, interaction and DM route answers 503 for longer than 10 minutes on
 *   the campaign's compressed clock (plan.ts TIME_COMPRESSION); logging in still works, so a restart
 *   during it comes up. Everything must be delivered after.
 * - api-content-not-ready: /content of one completed task answers `{status:"processing", video_url:null}`
 *   a few times before the file is there.
 * - api-download-failing: the download of one task fails a few times (503, or closed early), then works.
 * - api-status-404: the status of one tracked task answers 404 once or twice, then the task again.
 * - api-download-drip: the download of one task drips a byte now and then, never idle long enough for an
 *   idle timeout: DOWNLOAD_TIMEOUT_MS ends it, and the delivery is tried again.
 * - redis-unresponsive: the store relay holds every byte (accepts, never answers) for less than the lease:
 *   store operations give up (STORE_COMMAND_TIMEOUT_MS) instead of hanging polls; work goes on after.
 */
import type { FakeDiscord } from '../../testkit/fake-discord/index.js';
import { performance } from 'node:perf_hooks';
import type { FakeVideoApi, Route } from '../../testkit/fake-video-api/index.js';
import type { PlannedFault, FaultKind } from './plan.js';
import type { Pair } from './users.js';
import type { ChaosWorld } from './world.js';

const MESSAGES_ROUTE = '/channels/:channel_id/messages';
const MESSAGE_ROUTE = '/channels/:channel_id/messages/:message_id';
/** What a Discord outage takes down: messages, DMs, interaction answers and follow-ups (not logging in). */
const OUTAGE_ROUTES = [
  MESSAGES_ROUTE,
  MESSAGE_ROUTE,
  '/channels/:channel_id',
  '/users/@me/channels',
  '/interactions/:interaction_id/:interaction_token/callback',
  '/webhooks/:webhook_id/:webhook_token',
  '/webhooks/:webhook_id/:webhook_token/messages/:message_id',
];
/** Injected 429s carry this error code, so the accounting tells them from those the bot provoked. */
export const INJECTED_429_CODE = 0;

export interface PermissionWindow {
  channelId: string;
  from: number;
  /** Undefined while the permissions are still off. */
  to: number | undefined;
}

export interface DeletedMessage {
  taskId: string;
  channelId: string;
  messageId: string;
  at: number;
}

/** A span during which the bot could not attach files in a channel (it had every other permission). */
export interface AttachWindow {
  channelId: string;
  from: number;
  to: number | undefined;
}

export interface FaultInjector {
  apply(fault: PlannedFault): Promise<void>;
  /** Windowed faults still open are closed (permissions given back, key valid, store reachable). */
  closeAll(): Promise<void>;
  readonly applied: Record<FaultKind, number>;
  readonly permissionWindows: PermissionWindow[];
  readonly deletedMessages: DeletedMessage[];
  readonly attachWindows: AttachWindow[];
  /** Tasks whose file was not there, or could not be fetched, for a while: they must end attached. */
  readonly delayedFileTasks: Set<string>;
  /** How many of the faults aimed at one task met a request (a task may end before asking again). */
  struck(): Partial<Record<FaultKind, number>>;
  /** Store outages during which /healthz answered 503 naming the store. */
  readonly storeOutagesReported: number;
  /** When the key was refused, and when the store did not answer (for what the bot logged then). */
  readonly windows: Record<'api-key-invalid' | 'redis-unresponsive', FaultWindow[]>;
}

export interface FaultWindow {
  from: number;
  to: number | undefined;
  /** The same span on performance.now(), the clock of the fake video API's request log. */
  span: { from: number; to: number | undefined };
}

export interface StoreRelay {
  cut(): Promise<void>;
  restore(): Promise<void>;
  pause(): void;
  resume(): Promise<void>;
}

export function createFaultInjector(options: {
  discord: FakeDiscord;
  api: FakeVideoApi;
  world: ChaosWorld;
  pairs: readonly Pair[];
  apiKey: string;
  /** A header value a relay echoes in its error bodies; it must never reach a user. */
  upstreamSecret: string;
  relay?: StoreRelay | undefined;
  /** Stops the bot and starts it again with this SHARD_COUNT (the supervisor owns the process). */
  changeShardCount?: ((shardCount: number) => Promise<void>) | undefined;
  /** The bot's /healthz, checked during a store outage. */
  healthUrl?: string | undefined;
  now: () => number;
}): FaultInjector {
  const { discord, api, world, pairs, apiKey, upstreamSecret, now } = options;
  const applied = Object.fromEntries(
    [
      'api-5xx',
      'api-429',
      'api-timeout',
      'api-malformed',
      'api-truncated-download',
      'api-key-invalid',
      'discord-5xx',
      'discord-429',
      'gateway-drop',
      'message-deleted',
      'permissions-removed',
      'store-outage',
      'attach-files-removed',
      'discord-outage',
      'api-content-not-ready',
      'api-download-failing',
      'api-status-404',
      'lease-lost-store-stall',
      'shard-count-change',
      'api-download-drip',
      'redis-unresponsive',
    ].map((kind) => [kind, 0]),
  ) as Record<FaultKind, number>;
  const permissionWindows: PermissionWindow[] = [];
  const deletedMessages: DeletedMessage[] = [];
  const attachWindows: AttachWindow[] = [];
  const delayedFileTasks = new Set<string>();
  /** Faults aimed at one task, and since when (the fake records requests on performance.now()). */
  const aimed: { kind: FaultKind; taskId: string; routes: Route[]; since: number }[] = [];
  const closers = new Set<() => Promise<void>>();
  const windows: FaultInjector['windows'] = { 'api-key-invalid': [], 'redis-unresponsive': [] };
  /** A window of `kind` open from now until `undo` has run. */
  const recorded = (kind: keyof typeof windows, undo: () => Promise<void> | void) => {
    const record: FaultWindow = {
      from: now(),
      to: undefined,
      span: { from: performance.now(), to: undefined },
    };
    windows[kind].push(record);
    return async () => {
      await undo();
      record.to = now();
      record.span.to = performance.now();
    };
  };

  /** Runs `undo` after `ms`, or at closeAll(), whichever comes first. */
  function window(ms: number, undo: () => Promise<void> | void): void {
    const close = async () => {
      if (!closers.delete(close)) return;
      clearTimeout(timer);
      await undo();
    };
    const timer = setTimeout(() => void close(), ms);
    closers.add(close);
  }

  /** A relay error page that echoes the caller's key and an upstream header, as careless relays do. */
  const leakyBody = (status: number) => ({
    error: {
      message: `upstream returned ${status}; request was GET with authorization: Bearer ${apiKey}, x-upstream-token: ${upstreamSecret}`,
      type: 'upstream_error',
    },
  });

  /** A live progress message, starting from the planned task and going on in a fixed order. */
  function deletionTarget(taskHint: number): Pair | undefined {
    const candidates = pairs
      .filter((pair) => {
        if (pair.progressMessageId === undefined) return false;
        const message = discord.messages.get(pair.progressMessageId);
        // Still tracking: the message has its buttons until it shows the final state.
        return message !== undefined && !message.deleted && message.current.components.length > 0;
      })
      .sort((a, b) => a.task.index - b.task.index || a.channel.id.localeCompare(b.channel.id));
    return candidates.find((pair) => pair.task.index >= taskHint) ?? candidates[0];
  }

  let storeOutagesReported = 0;
  let leaseStallsStoodDown = 0;
  /** Whether /healthz shows the shard in `state` within `withinMs`. */
  async function shardShows(state: 'running' | 'standby', withinMs: number): Promise<boolean> {
    if (!options.healthUrl) return false;
    const deadline = now() + withinMs;
    while (now() < deadline) {
      const body = await fetch(options.healthUrl)
        .then((response) => response.json() as Promise<{ shards?: { state: string }[] }>)
        .catch(() => undefined);
      if (body?.shards?.some((shard) => shard.state === state)) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }
  /** Whether /healthz answers 503 naming the store within `withinMs` (the bot may be restarting). */
  async function storeOutageShows(withinMs: number): Promise<boolean> {
    if (!options.healthUrl) return false;
    const deadline = now() + withinMs;
    while (now() < deadline) {
      try {
        const response = await fetch(options.healthUrl);
        const body = (await response.json()) as { reasons?: string[] };
        if (response.status === 503 && body.reasons?.some((reason) => reason.startsWith('store:')))
          return true;
      } catch {
        // Not listening: the process is being restarted.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
  }

  async function deleteMessage(pair: Pair): Promise<void> {
    const messageId = pair.progressMessageId!;
    // As a moderator would: DELETE through Discord's API (the local Discord takes the bot's token).
    const response = await fetch(`${discord.apiUrl}/v10/channels/${pair.channel.id}/messages/${messageId}`, {
      method: 'DELETE',
      headers: { Authorization: `Bot ${discord.token}` },
    });
    if (response.status === 204) {
      deletedMessages.push({ taskId: pair.task.id, channelId: pair.channel.id, messageId, at: now() });
    }
  }

  const idOf = (taskIndex: number) => pairs.find((pair) => pair.task.index === taskIndex)?.task.id;
  /**
   * Where a brief 404 can strike: the planned task once its person is told, if it still runs; else (a
   * Discord outage held the answer back until it had ended) any other told task that still runs.
   */
  const running404Target = (taskIndex: number): string | undefined => {
    const told = pairs.filter((pair) => pair.confirmedAt !== undefined);
    const runs = (id: string) => {
      const status = api.currentState(id)?.status;
      return status !== undefined && status !== 'completed' && status !== 'failed';
    };
    const taken = new Set(aimed.filter((a) => a.kind === 'api-status-404').map((a) => a.taskId));
    const planned = told.find((pair) => pair.task.index === taskIndex && runs(pair.task.id));
    return (planned ?? told.find((pair) => runs(pair.task.id) && !taken.has(pair.task.id)))?.task.id;
  };
  const channelBusy = (channelId: string) =>
    [...permissionWindows, ...attachWindows].some((w) => w.channelId === channelId && w.to === undefined);

  /** Faults aimed at one task (see the list above); false when the target never showed up. */
  async function applyTaskFault(
    fault: Extract<
      PlannedFault,
      { kind: 'api-content-not-ready' | 'api-download-failing' | 'api-status-404' | 'api-download-drip' }
    >,
  ): Promise<boolean> {
    // The task's pair is made when its first command is typed; a 404 waits for the person to be told.
    let taskId = fault.kind === 'api-status-404' ? running404Target(fault.taskIndex) : idOf(fault.taskIndex);
    for (let tries = 0; !taskId && tries < 300; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      taskId = fault.kind === 'api-status-404' ? running404Target(fault.taskIndex) : idOf(fault.taskIndex);
    }
    if (!taskId) return false;
    const routes: Route[] =
      fault.kind === 'api-download-failing' || fault.kind === 'api-download-drip'
        ? ['file', 'content']
        : [fault.kind === 'api-status-404' ? 'status' : 'content'];
    aimed.push({ kind: fault.kind, taskId, routes, since: performance.now() });
    switch (fault.kind) {
      case 'api-content-not-ready':
        api.addFault({
          route: 'content',
          taskId,
          times: fault.times,
          fault: { kind: 'status', status: 200, body: { id: taskId, status: 'processing', video_url: null } },
        });
        delayedFileTasks.add(taskId);
        break;
      case 'api-download-failing': {
        const failure =
          fault.mode === 'status'
            ? { kind: 'status' as const, status: 503, body: { error: { message: 'Service Unavailable' } } }
            : { kind: 'truncate' as const, afterBytes: 2048 };
        // Bytes come from /content (official shape) or from the link it gives (relays): both fail.
        api.addFault({ route: 'file', taskId, times: fault.times, fault: failure });
        api.addFault({ route: 'content', taskId, times: fault.times, fault: failure });
        delayedFileTasks.add(taskId);
        break;
      }
      case 'api-download-drip': {
        // A byte every 250 ms: each gap far under API_TIMEOUT_MS, so only the overall deadline ends it.
        const drip = { kind: 'drip' as const, bytesPerTick: 1, everyMs: 250 };
        api.addFault({ route: 'file', taskId, times: fault.times, fault: drip });
        api.addFault({ route: 'content', taskId, times: fault.times, fault: drip });
        delayedFileTasks.add(taskId);
        break;
      }
      case 'api-status-404':
        api.addFault({
          route: 'status',
          taskId,
          times: fault.times,
          fault: {
            kind: 'status',
            status: 404,
            body: { error: { message: 'Video not found', type: 'invalid_request_error', code: 'not_found' } },
          },
        });
        break;
    }
    return true;
  }

  async function apply(fault: PlannedFault): Promise<void> {
    switch (fault.kind) {
      case 'api-content-not-ready':
      case 'api-download-failing':
      case 'api-status-404':
      case 'api-download-drip':
        if (!(await applyTaskFault(fault))) return;
        break;
      case 'attach-files-removed': {
        const channel = world.channels[fault.channel]!;
        if (channelBusy(channel.id)) return;
        const record: AttachWindow = { channelId: channel.id, from: now(), to: undefined };
        attachWindows.push(record);
        discord.world.setOverwrite(channel, discord.bot, { deny: ['AttachFiles'] });
        window(fault.durationMs, () => {
          discord.world.setBotPermissions(channel, null);
          record.to = now();
        });
        break;
      }
      case 'discord-outage': {
        const end = discord.faults.outage({ routes: OUTAGE_ROUTES, status: 503 });
        window(fault.durationMs, end);
        break;
      }
      case 'api-5xx':
        api.addFault({
          route: 'status',
          times: fault.times,
          fault: {
            kind: 'status',
            status: fault.status,
            headers: { 'x-upstream-token': upstreamSecret },
            body: leakyBody(fault.status),
          },
        });
        break;
      case 'api-429':
        api.addFault({
          route: 'status',
          times: fault.times,
          fault: { kind: 'status', status: 429, headers: { 'retry-after': String(fault.retryAfterSeconds) } },
        });
        break;
      case 'api-timeout':
        api.addFault({
          route: 'status',
          times: fault.times,
          fault: fault.stall === 'headers' ? { kind: 'stall' } : { kind: 'stall-body' },
        });
        break;
      case 'api-malformed':
        api.addFault({ route: 'status', times: fault.times, fault: { kind: 'malformed-json' } });
        break;
      case 'api-truncated-download':
        api.addFault({
          route: fault.route,
          times: fault.times,
          fault: { kind: 'truncate', afterBytes: fault.afterBytes },
        });
        break;
      case 'api-key-invalid': {
        // Refused to a bot that is up and polling (not one being restarted), so that it pauses its polls.
        await shardShows('running', 15_000);
        const refused = {
          kind: 'status' as const,
          status: 401,
          body: {
            error: {
              message: `Incorrect API key provided: ${apiKey}. You can find your API key at https://platform.example/account/api-keys.`,
              type: 'invalid_request_error',
              code: 'invalid_api_key',
            },
          },
        };
        api.addFault({ route: 'status', times: Infinity, fault: refused });
        api.addFault({ route: 'content', times: Infinity, fault: refused });
        // Clearing ends the outage; one-shot faults still pending then are dropped with it.
        window(
          fault.durationMs,
          recorded('api-key-invalid', () => api.clearFaults()),
        );
        break;
      }
      case 'discord-5xx':
        discord.faults.failNext({
          method: fault.method,
          route: fault.method === 'POST' ? MESSAGES_ROUTE : MESSAGE_ROUTE,
          status: fault.status,
          count: fault.count,
        });
        break;
      case 'discord-429':
        discord.faults.failNext({
          method: fault.method,
          route: fault.method === 'POST' ? MESSAGES_ROUTE : MESSAGE_ROUTE,
          status: 429,
          code: INJECTED_429_CODE,
          count: fault.count,
          retryAfterMs: fault.retryAfterMs,
          scope: fault.scope,
        });
        break;
      case 'gateway-drop':
        discord.gateway.drop();
        break;
      case 'message-deleted': {
        // No live progress message at this moment (none posted yet, all finished): a moderator comes back.
        let target = deletionTarget(fault.taskHint);
        for (let tries = 0; !target && tries < 20; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          target = deletionTarget(fault.taskHint);
        }
        if (!target) return;
        await deleteMessage(target);
        break;
      }
      case 'permissions-removed': {
        const channel = world.channels[fault.channel]!;
        // Already off (two windows overlap): the first one gives them back.
        if (channelBusy(channel.id)) return;
        const record: PermissionWindow = { channelId: channel.id, from: now(), to: undefined };
        permissionWindows.push(record);
        discord.world.setBotPermissions(channel, ['ViewChannel']);
        window(fault.durationMs, () => {
          discord.world.setBotPermissions(channel, null);
          record.to = now();
        });
        break;
      }
      case 'shard-count-change': {
        if (!options.changeShardCount) return;
        await options.changeShardCount(fault.shardCount);
        break;
      }
      case 'store-outage': {
        const relay = options.relay;
        if (!relay) return;
        await relay.cut();
        window(fault.durationMs, () => relay.restore());
        if (await storeOutageShows(Math.min(10_000, fault.durationMs))) storeOutagesReported += 1;
        break;
      }
      case 'redis-unresponsive': {
        const relay = options.relay;
        // A bot that holds its lease and polls, not one waiting for it.
        if (!relay || !(await shardShows('running', 15_000))) return;
        relay.pause();
        window(
          fault.durationMs,
          recorded('redis-unresponsive', () => relay.resume()),
        );
        break;
      }
      case 'lease-lost-store-stall': {
        // Nothing answers and nothing closes: the bot stands down on its own clock, then its stalled
        // writes arrive (refused by the fence) and it takes its lease back.
        const relay = options.relay;
        // It must strike a bot that holds its lease, not one waiting for it.
        if (!relay || !(await shardShows('running', 15_000))) return;
        relay.pause();
        window(fault.durationMs, () => relay.resume());
        if (await shardShows('standby', fault.durationMs)) leaseStallsStoodDown += 1;
        break;
      }
    }
    applied[fault.kind] += 1;
  }

  return {
    apply,
    async closeAll() {
      for (const close of [...closers]) await close();
    },
    applied,
    permissionWindows,
    deletedMessages,
    attachWindows,
    delayedFileTasks,
    struck() {
      const counts: Partial<Record<FaultKind, number>> = {};
      for (const { kind, taskId, routes, since } of aimed) {
        const met = api.requests.some(
          (r) => r.taskId === taskId && r.receivedAt >= since && (routes as string[]).includes(r.route),
        );
        counts[kind] = (counts[kind] ?? 0) + (met ? 1 : 0);
      }
      // A refused key struck when the bot asked the API while it was refused.
      counts['api-key-invalid'] = windows['api-key-invalid'].filter(({ span }) =>
        api.requests.some(
          (r) =>
            r.receivedAt >= span.from &&
            r.receivedAt <= (span.to ?? Infinity) &&
            (r.route === 'status' || r.route === 'content'),
        ),
      ).length;
      // A stall struck when the bot stood down during it.
      if (applied['lease-lost-store-stall'] > 0) counts['lease-lost-store-stall'] = leaseStallsStoodDown;
      return counts;
    },
    get storeOutagesReported() {
      return storeOutagesReported;
    },
    windows,
  };
}
