/**
 * The campaign's plan, a pure function of its options and seed: which tasks exist and how they end,
 * where and by whom they are tracked, which faults strike when, and when the bot is killed. Times are
 * milliseconds from the moment the first bot process is ready.
 */
import { DIALECTS, type Dialect } from '../../testkit/fake-video-api/index.js';
import { createRandom, type Random } from './random.js';

export interface CampaignOptions {
  seed: number;
  tasks: number;
  channels: number;
  guilds: number;
  /** SIGKILLs of the bot process, each followed by a restart on the same store. */
  kills: number;
  /** Time over which the track commands are spread. */
  trackWindowMs: number;
  /** Each task runs from queued to its end in this many milliseconds (uniform). */
  taskDurationMs: { min: number; max: number };
  /** With a store URL given: the store is Redis behind a relay cut for `outageMs` mid-run. */
  redisOutageMs?: number | undefined;
}

export type TaskOutcome = 'completed' | 'failed' | 'moderated';

export interface PlannedTrack {
  channel: number;
  /** Index of the member within the channel's guild. */
  user: number;
  notify: boolean;
  /** Milliseconds after the task's first track command. */
  delayMs: number;
}

export interface PlannedTask {
  index: number;
  id: string;
  dialect: Dialect;
  trackAtMs: number;
  durationMs: number;
  outcome: TaskOutcome;
  videoBytes: number;
  /** Larger than any channel here takes (10 MiB without boosts): linked or explained, never attached. */
  tooLarge: boolean;
  /** Already finished when it is first tracked. */
  finishedBeforeTrack: boolean;
  prompt: string;
  /** First the main track, then possibly a second channel. */
  tracks: PlannedTrack[];
}

/** One fault and when it strikes. Targets picked at run time (which message) follow a seeded order. */
export type PlannedFault = { atMs: number } & (
  | { kind: 'api-5xx'; status: number; times: number }
  | { kind: 'api-429'; retryAfterSeconds: number; times: number }
  | { kind: 'api-timeout'; stall: 'headers' | 'body'; times: number }
  | { kind: 'api-malformed'; times: number }
  | { kind: 'api-truncated-download'; route: 'file' | 'content'; afterBytes: number; times: number }
  | { kind: 'api-key-invalid'; durationMs: number }
  | { kind: 'discord-5xx'; method: 'POST' | 'PATCH'; status: number; count: number }
  | {
      kind: 'discord-429';
      method: 'POST' | 'PATCH';
      scope: 'user' | 'global';
      retryAfterMs: number;
      count: number;
    }
  | { kind: 'gateway-drop' }
  | { kind: 'message-deleted'; taskHint: number }
  | { kind: 'permissions-removed'; channel: number; durationMs: number }
  | { kind: 'store-outage'; durationMs: number }
  | { kind: 'lease-lost-store-stall'; durationMs: number }
  /** The store relay paused (accepts, never answers) for less than the lease: polls must not hang. */
  | { kind: 'redis-unresponsive'; durationMs: number }
  | { kind: 'attach-files-removed'; channel: number; durationMs: number }
  | { kind: 'discord-outage'; durationMs: number }
  | { kind: 'api-content-not-ready'; taskIndex: number; times: number }
  | { kind: 'api-download-failing'; taskIndex: number; mode: 'status' | 'truncate'; times: number }
  | { kind: 'api-status-404'; taskIndex: number; times: number }
  /** One task's download drips bytes for ever (each gap under any idle timeout) until its deadline. */
  | { kind: 'api-download-drip'; taskIndex: number; times: number }
  /** The bot stopped with SIGTERM and started again with another SHARD_COUNT (its tasks move). */
  | { kind: 'shard-count-change'; shardCount: number }
);

export type FaultKind = PlannedFault['kind'];

export interface PlannedKill {
  atMs: number;
  /** How long the bot stays down before it is started again. */
  downMs: number;
}

export interface CampaignPlan {
  options: CampaignOptions;
  tasks: PlannedTask[];
  faults: PlannedFault[];
  kills: PlannedKill[];
  /** Members per guild; the last one of each guild does not accept DMs. */
  membersPerGuild: number;
  /** When the last task has ended in the video API. */
  lastTaskEndMs: number;
}

export const MEMBERS_PER_GUILD = 3;
/**
 * The campaign's clock runs this much faster than the bot's defaults: it polls every 0.4 s instead of
 * 10 s (POLL_INTERVAL_MS), so a span here stands for this many times longer in production.
 */
export const TIME_COMPRESSION = 25;
/** Discord down longer than the 10 minutes the bot may wait for a file (docs/reliability.md). */
export const DISCORD_OUTAGE_SIMULATED_MS = 10.5 * 60_000;
/** Longer than the campaign's 3-s SHARD_LEASE_MS (campaign.ts). */
export const LEASE_STALL_MS = 5_000;
/** Well inside the 3-s lease (its holder renews every second), longer than STORE_COMMAND_TIMEOUT_MS. */
export const STORE_UNRESPONSIVE_MS = 1_200;
const MiB = 1024 * 1024;
const KiB = 1024;

/** Fault counts for a 200-task campaign; smaller campaigns get proportionally fewer (at least one). */
const FAULTS_PER_200_TASKS: Record<
  Exclude<FaultKind, 'store-outage' | 'lease-lost-store-stall' | 'redis-unresponsive' | 'shard-count-change'>,
  number
> = {
  'api-5xx': 8,
  'api-429': 4,
  'api-timeout': 4,
  'api-malformed': 5,
  'api-truncated-download': 4,
  'api-key-invalid': 2,
  'discord-5xx': 8,
  'discord-429': 6,
  'gateway-drop': 3,
  'message-deleted': 3,
  'permissions-removed': 2,
  'attach-files-removed': 2,
  'discord-outage': 1,
  'api-content-not-ready': 6,
  'api-download-failing': 6,
  'api-status-404': 4,
  'api-download-drip': 3,
};

const PROMPTS = [
  'A calico cat surfing a wave at sunset',
  'Timelapse of a city skyline from dusk to night, neon reflections on wet streets',
  'A paper boat sailing down a rain gutter, macro lens',
  '一只熊猫在竹林里弹吉他，电影感',
];

/** Prompts a hostile user could write: mentions, markdown, zero-width characters, sheer length. */
function hostilePrompt(random: Random): string {
  const pieces = [
    '@everyone @here look at this',
    '<@&123456789012345678> <@123456789012345678>',
    '**bold** __underline__ ~~strike~~ `code` ```block``` > quote\n# Heading\n- list',
    '[click me](https://example.com/phish)',
    'zero\u200bwidth\u200d\u2060chars\ufeff',
    'x'.repeat(random.int(1000, 5000)),
  ];
  return pieces.filter(() => random.chance(0.7)).join('\n') || pieces[0]!;
}

function taskId(seed: number, index: number, dialect: Dialect): string {
  const tag = `c${seed.toString(36)}n${String(index).padStart(3, '0')}`;
  // Each relay family names its tasks its own way; the bot must take every form.
  switch (dialect) {
    case 'openai':
      return `video_${tag}`;
    case 'seed-relay':
      return `sora-2:task_${tag}`;
    case 'new-api':
    case 'new-api-legacy':
      return `task_${tag}`;
    default:
      return `${dialect}-${tag}`;
  }
}

function planTasks(options: CampaignOptions, random: Random): PlannedTask[] {
  const tasks: PlannedTask[] = [];
  const slot = options.trackWindowMs / options.tasks;
  for (let index = 0; index < options.tasks; index++) {
    const dialect = random.pick(DIALECTS);
    const failed = random.chance(0.15);
    const outcome: TaskOutcome = failed ? (random.chance(0.3) ? 'moderated' : 'failed') : 'completed';
    const tooLarge = outcome === 'completed' && random.chance(0.1);
    const channel = random.int(0, options.channels - 1);
    const tracks: PlannedTrack[] = [
      { channel, user: random.int(0, MEMBERS_PER_GUILD - 1), notify: random.chance(0.35), delayMs: 0 },
    ];
    if (options.channels > 1 && random.chance(0.15)) {
      let other = random.int(0, options.channels - 2);
      if (other >= channel) other += 1;
      tracks.push({
        channel: other,
        user: random.int(0, MEMBERS_PER_GUILD - 1),
        notify: random.chance(0.3),
        delayMs: random.int(200, 3000),
      });
    }
    tasks.push({
      index,
      id: taskId(options.seed, index, dialect),
      dialect,
      trackAtMs: Math.floor(index * slot + random.next() * slot),
      durationMs: random.int(options.taskDurationMs.min, options.taskDurationMs.max),
      outcome,
      videoBytes: tooLarge ? random.int(11 * MiB, 16 * MiB) : random.int(16 * KiB, 192 * KiB),
      tooLarge,
      finishedBeforeTrack: random.chance(0.05),
      prompt: random.chance(0.1) ? hostilePrompt(random) : random.pick(PROMPTS),
      tracks,
    });
  }
  return tasks;
}

/**
 * Faults aimed at one task each, distinct tasks that complete with a file that fits and are tracked in
 * one channel: /content without a file for a while, a download failing for a while, a brief 404 on
 * status once the task is tracked. Each is set when the task is created; it strikes when asked.
 */
function planTaskFaults(
  count: (kind: keyof typeof FAULTS_PER_200_TASKS) => number,
  tasks: readonly PlannedTask[],
  random: Random,
): PlannedFault[] {
  const candidates = tasks.filter(
    (task) =>
      task.outcome === 'completed' && !task.tooLarge && !task.finishedBeforeTrack && task.tracks.length === 1,
  );
  const take = (fits: (task: PlannedTask) => boolean = () => true) => {
    const fitting = candidates.filter(fits);
    const task = fitting.length === 0 ? undefined : random.pick(fitting);
    if (task) candidates.splice(candidates.indexOf(task), 1);
    return task;
  };
  // The bot asks /content only when the status gives no link, as the official shape never does.
  const usesContent = (task: PlannedTask) => task.dialect === 'openai';
  // A 404 waits for the person to be told; a task that ends sooner is never polled again.
  const longest = Math.max(...candidates.map((task) => task.durationMs));
  const lastsLong = (task: PlannedTask) => task.durationMs >= longest * 0.6;
  const faults: PlannedFault[] = [];
  for (let i = 0; i < count('api-content-not-ready'); i++) {
    const task = take(usesContent);
    if (task)
      faults.push({
        atMs: task.trackAtMs,
        kind: 'api-content-not-ready',
        taskIndex: task.index,
        times: random.int(3, 8),
      });
  }
  for (let i = 0; i < count('api-download-failing'); i++) {
    const task = take();
    if (task)
      faults.push({
        atMs: task.trackAtMs,
        kind: 'api-download-failing',
        taskIndex: task.index,
        mode: random.pick(['status', 'truncate'] as const),
        times: random.int(2, 5),
      });
  }
  for (let i = 0; i < count('api-status-404'); i++) {
    const task = take(lastsLong);
    if (task)
      faults.push({
        atMs: task.trackAtMs,
        kind: 'api-status-404',
        taskIndex: task.index,
        times: random.int(1, 2),
      });
  }
  // Drawn last, so the rest of a seed's plan stays as it was before this fault existed.
  for (let i = 0; i < count('api-download-drip'); i++) {
    const task = take();
    if (task)
      faults.push({ atMs: task.trackAtMs, kind: 'api-download-drip', taskIndex: task.index, times: 1 });
  }
  return faults;
}

function planFaults(
  options: CampaignOptions,
  random: Random,
  activeEndMs: number,
  tasks: readonly PlannedTask[],
): PlannedFault[] {
  const scale = options.tasks / 200;
  const count = (kind: keyof typeof FAULTS_PER_200_TASKS) =>
    Math.max(1, Math.round(FAULTS_PER_200_TASKS[kind] * scale));
  const at = () => random.int(500, Math.max(1000, activeEndMs));
  const faults: PlannedFault[] = [];
  for (let i = 0; i < count('api-5xx'); i++)
    faults.push({
      atMs: at(),
      kind: 'api-5xx',
      status: random.pick([500, 502, 503]),
      times: random.int(1, 5),
    });
  for (let i = 0; i < count('api-429'); i++)
    faults.push({
      atMs: at(),
      kind: 'api-429',
      retryAfterSeconds: random.int(1, 2),
      times: random.int(1, 3),
    });
  for (let i = 0; i < count('api-timeout'); i++)
    faults.push({
      atMs: at(),
      kind: 'api-timeout',
      stall: random.pick(['headers', 'body'] as const),
      times: random.int(1, 2),
    });
  for (let i = 0; i < count('api-malformed'); i++)
    faults.push({ atMs: at(), kind: 'api-malformed', times: random.int(1, 3) });
  for (let i = 0; i < count('api-truncated-download'); i++)
    faults.push({
      atMs: at(),
      kind: 'api-truncated-download',
      route: random.pick(['file', 'content'] as const),
      afterBytes: random.int(1024, 12 * 1024),
      times: random.int(1, 2),
    });
  // Key outages in separate slots, so one never swallows the end of another.
  const keyOutages = count('api-key-invalid');
  for (let i = 0; i < keyOutages; i++) {
    const span = activeEndMs / keyOutages;
    faults.push({
      atMs: Math.floor(i * span + random.next() * span * 0.5),
      kind: 'api-key-invalid',
      // Long enough for the key-refused pause to engage (rate-limit-pause.ts) and double at least once.
      durationMs: random.int(3000, 5000),
    });
  }
  for (let i = 0; i < count('discord-5xx'); i++)
    faults.push({
      atMs: at(),
      kind: 'discord-5xx',
      method: random.pick(['POST', 'PATCH'] as const),
      status: random.pick([500, 502, 503]),
      count: random.int(1, 3),
    });
  for (let i = 0; i < count('discord-429'); i++)
    faults.push({
      atMs: at(),
      kind: 'discord-429',
      method: random.pick(['POST', 'PATCH'] as const),
      scope: random.chance(0.25) ? 'global' : 'user',
      retryAfterMs: random.int(500, 1500),
      count: random.int(1, 2),
    });
  for (let i = 0; i < count('gateway-drop'); i++) faults.push({ atMs: at(), kind: 'gateway-drop' });
  for (let i = 0; i < count('message-deleted'); i++)
    faults.push({ atMs: at(), kind: 'message-deleted', taskHint: random.int(0, options.tasks - 1) });
  for (let i = 0; i < count('permissions-removed'); i++)
    faults.push({
      atMs: at(),
      kind: 'permissions-removed',
      channel: random.int(0, options.channels - 1),
      durationMs: random.int(1500, 4000),
    });
  for (let i = 0; i < count('attach-files-removed'); i++)
    faults.push({
      atMs: at(),
      kind: 'attach-files-removed',
      channel: random.int(0, options.channels - 1),
      durationMs: random.int(3000, 8000),
    });
  // One outage, in the first half, so that tasks end and results wait behind it.
  faults.push({
    atMs: random.int(500, Math.max(1000, Math.floor(activeEndMs / 2))),
    kind: 'discord-outage',
    durationMs: Math.ceil(DISCORD_OUTAGE_SIMULATED_MS / TIME_COMPRESSION),
  });
  faults.push(...planTaskFaults(count, tasks, random));
  faults.push(shardCountChange(activeEndMs, faults));
  if (options.redisOutageMs !== undefined) {
    faults.push({
      atMs: Math.floor(activeEndMs * 0.3),
      kind: 'store-outage',
      durationMs: options.redisOutageMs,
    });
    // The store stalls (no answer, nothing closed) longer than the lease: the bot's term ends on its
    // own clock, and its writes stuck in the stall arrive after it stood down (docs/scaling.md#leases).
    faults.push({
      // After the outage is over, so that one never hides the other.
      atMs: Math.max(
        Math.floor(activeEndMs * 0.7),
        Math.floor(activeEndMs * 0.3) + options.redisOutageMs + 5_000,
      ),
      kind: 'lease-lost-store-stall',
      durationMs: LEASE_STALL_MS,
    });
    // Before the outage, on a bot that holds its lease; moved clear of kills and the other store faults.
    faults.push({
      atMs: Math.floor(activeEndMs * 0.15),
      kind: 'redis-unresponsive',
      durationMs: STORE_UNRESPONSIVE_MS,
    });
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/**
 * Once, half-way, drawing nothing from `random` (the rest of a seed's plan stays as it was), and not
 * during the Discord outage: a SIGTERM there waits out the whole shutdown grace for Discord.
 */
function shardCountChange(activeEndMs: number, faults: readonly PlannedFault[]): PlannedFault {
  const outage = faults.find((fault) => fault.kind === 'discord-outage');
  let atMs = Math.floor(activeEndMs * 0.5);
  if (
    outage?.kind === 'discord-outage' &&
    atMs >= outage.atMs - 2_000 &&
    atMs <= outage.atMs + outage.durationMs
  )
    atMs = outage.atMs + outage.durationMs + 2_000;
  return { atMs, kind: 'shard-count-change', shardCount: 2 };
}

/** Kill moments spread over the active part of the run, one per slot, at least `minGapMs` apart. */
function planKills(options: CampaignOptions, random: Random, activeEndMs: number): PlannedKill[] {
  const minGapMs = 4_000;
  const start = 1_500;
  const span = Math.max(activeEndMs - start, options.kills * minGapMs);
  const slot = span / Math.max(1, options.kills);
  const kills: PlannedKill[] = [];
  let earliest = start;
  for (let i = 0; i < options.kills; i++) {
    const atMs = Math.max(earliest, Math.floor(start + i * slot + random.next() * slot * 0.8));
    kills.push({ atMs, downMs: random.int(0, 1500) });
    earliest = atMs + minGapMs;
  }
  return kills;
}

/**
 * A store stall must strike a bot that holds its lease: it is moved past any kill that would fall in
 * it, to when the restarted bot runs again (the dead one's 3-s lease expired, the new one started). An
 * unresponsive store is also kept clear of the other store faults, so each stays what it is.
 */
function stallsClearOfKills(faults: PlannedFault[], kills: readonly PlannedKill[]): PlannedFault[] {
  const settledMs = 8_000;
  const storeFaults = faults.filter((f) => f.kind === 'store-outage' || f.kind === 'lease-lost-store-stall');
  for (const fault of faults) {
    if (fault.kind !== 'lease-lost-store-stall' && fault.kind !== 'redis-unresponsive') continue;
    const blockers = [
      ...kills.map((kill) => ({ atMs: kill.atMs, endMs: kill.atMs + kill.downMs })),
      ...(fault.kind === 'redis-unresponsive'
        ? storeFaults.map((f) => ({ atMs: f.atMs, endMs: f.atMs + ('durationMs' in f ? f.durationMs : 0) }))
        : []),
    ];
    for (let moved = true; moved;) {
      const clash = blockers.find(
        (b) => b.endMs > fault.atMs - settledMs && b.atMs < fault.atMs + fault.durationMs + settledMs,
      );
      moved = clash !== undefined;
      if (clash) fault.atMs = clash.endMs + settledMs;
    }
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

export function buildPlan(options: CampaignOptions): CampaignPlan {
  if (options.tasks < 1 || options.channels < 1 || options.guilds < 1)
    throw new Error('a campaign needs at least one task, channel and guild');
  if (options.guilds > options.channels) throw new Error('every guild needs at least one channel');
  const random = createRandom(options.seed);
  const tasks = planTasks(options, random);
  const lastTaskEndMs = Math.max(...tasks.map((task) => task.trackAtMs + task.durationMs));
  // Faults and kills fall while tasks are being tracked and polled.
  const activeEndMs = Math.floor(lastTaskEndMs * 0.9);
  const kills = planKills(options, random, activeEndMs);
  return {
    options,
    tasks,
    faults: stallsClearOfKills(planFaults(options, random, activeEndMs, tasks), kills),
    kills,
    membersPerGuild: MEMBERS_PER_GUILD,
    lastTaskEndMs,
  };
}
