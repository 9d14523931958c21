/**
 * What the campaign proves, read from what people saw (every message and version in the local
 * Discord), what they were told (answers to their commands), what the video API served, and what the
 * bot processes wrote. Nothing here asks the bot itself.
 *
 * Rules ("expected" means exactly one, nothing else counts as delivered):
 * - A task is *tracked* in a channel when a person was told so (the answer links the progress message)
 *   or a progress message for it exists there (a kill can fall between posting and answering).
 * - A tracked pair is *exempt* when a fault took the channel from the bot while the pair was live: its
 *   progress message was deleted, or the bot's permissions there were removed at any moment between
 *   the pair's start (its first command that may have been handled) and its result (or the run's end).
 *   The bot rightly drops such a subscription, so an exempt pair expects no result; it may have one (the
 *   fault came after delivery), never two.
 * - Every other tracked pair expects exactly one result message in its channel (every planned task ends,
 *   completed or failed; too large to attach still gets a result with a link or an explanation).
 * - A DM is expected for a person who asked for one (`notify:true`, confirmed) in a tracked pair that is
 *   not exempt, when that person accepts DMs; exactly one per task and person, whatever the channels.
 * - Every tracked pair that is not exempt has exactly one progress message (deleted ones included); an
 *   exempt one tracked again after the fault (its first answer never came) rightly gets a new one.
 * - Attach Files removed is not an exemption: the result arrives all the same, as a link, and counts as
 *   delivered. A result posted while the channel lacked Attach Files must carry no file.
 * - A task whose file was not there, or could not be fetched, for a while (a few tries, far below the
 *   10 minutes the bot waits) must end attached wherever the channel could take the file.
 * - Lost = expected and missing; duplicated = every result, DM or progress message beyond the first.
 * - Crashes: bot processes that exited without our SIGKILL, or not with 0 after our SIGTERM.
 *   Unhandled rejections: the bot's 'unhandled promise rejection' log lines.
 */
import type { FakeDiscord, FakeMessage } from '../../testkit/fake-discord/index.js';
import { videoBytes, type FakeVideoApi } from '../../testkit/fake-video-api/index.js';
import type { BotRun } from './bot.js';
import type { AttachWindow, DeletedMessage, PermissionWindow } from './faults.js';
import { INJECTED_429_CODE } from './faults.js';
import type { CampaignPlan, FaultKind, PlannedTask } from './plan.js';
import { countSecrets, sumCounts, totalOf, type SecretCounts, type Secrets } from './secrets.js';
import type { Pair } from './users.js';
import type { ChaosWorld } from './world.js';

export type { Secrets } from './secrets.js';

export interface Figures {
  seed: number;
  tasks: { planned: number; tracked: number; gaveUp: number };
  channels: number;
  guilds: number;
  pairs: { tracked: number; exempt: number };
  results: {
    expected: number;
    delivered: number;
    lost: number;
    duplicated: number;
    attached: number;
    linkedOrExplained: number;
    corruptAttachments: number;
    inExemptPairs: number;
  };
  dms: { expected: number; delivered: number; lost: number; duplicated: number };
  progressMessages: { min: number; max: number; pairsNotOne: number };
  kills: number;
  restarts: number;
  /** Longest time from a restart's spawn to its first poll of a task that was active, ms. */
  longestRestartToFirstPollMs: number | undefined;
  discord429: { provoked: number; injected: number };
  invalidRequestsPer10Min: number;
  unhandledRejections: number;
  crashes: number;
  pingsBeyondRequester: number;
  unattributedMessages: number;
  secretsInLogs: number;
  secretsInDiscordPayloads: number;
  /** In the campaign's own report (set by the campaign once the report is written). */
  secretsInReport: number;
  /** Every kind, over the logs, Discord payloads and the report. */
  secretsByKind: SecretCounts;
  keySentElsewhere: number;
  quarantinedRecords: number;
  /** Redis runs only: outages injected, and how many /healthz reported. */
  storeOutages?: { injected: number; reportedByHealthz: number } | undefined;
  faults: Record<FaultKind, number>;
  /** Of the faults aimed at one task, how many met a request of it. */
  faultsStruck?: Partial<Record<FaultKind, number>> | undefined;
  durationMs: number;
}

export interface Accounting {
  figures: Figures;
  /** Why the run fails; empty when it passes. */
  failures: string[];
}

export interface AccountingInput {
  plan: CampaignPlan;
  world: ChaosWorld;
  discord: FakeDiscord;
  api: FakeVideoApi;
  pairs: readonly Pair[];
  runs: readonly BotRun[];
  output: string;
  faults: Record<FaultKind, number>;
  permissionWindows: readonly PermissionWindow[];
  deletedMessages: readonly DeletedMessage[];
  attachWindows?: readonly AttachWindow[] | undefined;
  delayedFileTasks?: ReadonlySet<string> | undefined;
  secrets: Secrets;
  startedAt: number;
  endedAt: number;
  /** Skip comparing attached files byte for byte (for the repeated looks while waiting). */
  skipAttachmentBytes?: boolean;
}

const key = (taskId: string, where: string) => `${taskId}\u0000${where}`;

/** The planned task a bot message is about: its id appears in inline code in every render. */
function taskOf(message: FakeMessage, tasks: ReadonlyMap<string, PlannedTask>): PlannedTask | undefined {
  const first = message.versions[0];
  if (!first) return undefined;
  const text = `${first.content}\n${JSON.stringify(first.embeds)}`;
  for (const match of text.matchAll(/`([^`\s]+)`/g)) {
    const task = tasks.get(match[1] ?? '');
    if (task) return task;
  }
  return undefined;
}

/** Most events within any window of `windowMs`. */
function peakInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

function occurrences(haystack: string, needles: readonly string[]): number {
  let count = 0;
  for (const needle of needles) if (needle.length > 0) count += haystack.split(needle).length - 1;
  return count;
}

export function account(input: AccountingInput): Accounting {
  const { plan, world, discord, api, pairs, runs, secrets } = input;
  const botId = discord.bot.id;
  const tasks = new Map(plan.tasks.map((task) => [task.id, task]));
  const failures: string[] = [];

  // --- what people saw --------------------------------------------------------------------------
  const progressByPair = new Map<string, FakeMessage[]>();
  const resultsByPair = new Map<string, FakeMessage[]>();
  const dmsByTaskUser = new Map<string, FakeMessage[]>();
  let unattributed = 0;
  let pingsBeyondRequester = 0;
  const add = (map: Map<string, FakeMessage[]>, k: string, message: FakeMessage) =>
    map.set(k, [...(map.get(k) ?? []), message]);

  const requesterOf = new Map<string, string>();
  for (const pair of pairs) requesterOf.set(key(pair.task.id, pair.channel.id), pair.user.id);

  for (const channel of world.channels) {
    for (const message of discord.messages.inChannel(channel)) {
      if (message.authorId !== botId || message.ephemeral || message.webhookId !== null) continue;
      const task = taskOf(message, tasks);
      if (!task) {
        unattributed += 1;
        continue;
      }
      const pairKey = key(task.id, channel.id);
      const isProgress = (message.versions[0]?.embeds.length ?? 0) > 0;
      add(isProgress ? progressByPair : resultsByPair, pairKey, message);
      // Progress messages ping nobody; a result pings its requester and nobody else.
      const allowed = isProgress ? [] : [requesterOf.get(pairKey)];
      for (const version of message.versions) {
        const { pings } = version;
        if (pings.everyone || pings.roles.length > 0 || pings.users.some((id) => !allowed.includes(id)))
          pingsBeyondRequester += 1;
      }
    }
  }
  for (const user of world.users()) {
    for (const message of discord.messages.dmsTo(user)) {
      if (message.authorId !== botId) continue;
      const task = taskOf(message, tasks);
      if (!task) {
        unattributed += 1;
        continue;
      }
      add(dmsByTaskUser, key(task.id, user.id), message);
      for (const version of message.versions) {
        if (version.pings.everyone || version.pings.roles.length > 0) pingsBeyondRequester += 1;
      }
    }
  }

  // --- pairs: tracked, exempt, expected ----------------------------------------------------------
  const pairStart = (pair: Pair): number | undefined => {
    const moments = [
      pair.confirmedAt,
      progressByPair.get(key(pair.task.id, pair.channel.id))?.[0]?.createdAt,
      // A command without an answer (or one that failed mid-way) may have been handled in part.
      ...pair.attempts
        .filter((a) => a.kind === 'failed' || a.kind === 'no_answer' || /Something went wrong/.test(a.text))
        .map((a) => a.issuedAt),
    ].filter((moment): moment is number => moment !== undefined);
    return moments.length === 0 ? undefined : Math.min(...moments);
  };
  const isTracked = (pair: Pair) =>
    pair.confirmedAt !== undefined ||
    (progressByPair.get(key(pair.task.id, pair.channel.id))?.length ?? 0) > 0;
  const isExempt = (pair: Pair): boolean => {
    const k = key(pair.task.id, pair.channel.id);
    if (input.deletedMessages.some((d) => key(d.taskId, d.channelId) === k)) return true;
    const start = pairStart(pair) ?? input.endedAt;
    const end = resultsByPair.get(k)?.[0]?.createdAt ?? input.endedAt;
    return input.permissionWindows.some(
      (w) => w.channelId === pair.channel.id && w.from <= end && (w.to ?? Infinity) >= start,
    );
  };

  const tracked = pairs.filter(isTracked);
  const exempt = new Set(tracked.filter(isExempt));
  const results = {
    expected: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    attached: 0,
    linkedOrExplained: 0,
    corruptAttachments: 0,
    inExemptPairs: 0,
  };
  const progressCounts: number[] = [];
  for (const pair of tracked) {
    const k = key(pair.task.id, pair.channel.id);
    const found = resultsByPair.get(k) ?? [];
    // Tracked again after the fault (the first answer never came), an exempt pair rightly gets a new one.
    if (!exempt.has(pair)) progressCounts.push(progressByPair.get(k)?.length ?? 0);
    results.duplicated += Math.max(0, found.length - 1);
    if (exempt.has(pair)) {
      results.inExemptPairs += Math.min(1, found.length);
    } else {
      results.expected += 1;
      if (found.length > 0) results.delivered += 1;
      else {
        results.lost += 1;
        failures.push(`lost: no result for ${pair.task.id} in #${pair.channel.name}`);
      }
    }
    for (const message of found) {
      const files = message.current.attachments;
      const noAttach = (input.attachWindows ?? []).some(
        (w) =>
          w.channelId === pair.channel.id &&
          w.from <= message.createdAt &&
          (w.to ?? Infinity) >= message.createdAt,
      );
      if (noAttach && files.length > 0)
        failures.push(`attached in #${pair.channel.name} without Attach Files: ${pair.task.id}`);
      if (files.length === 0) {
        results.linkedOrExplained += 1;
        if (!noAttach && !exempt.has(pair) && input.delayedFileTasks?.has(pair.task.id) === true)
          failures.push(
            `linked, not attached, after the file came late: ${pair.task.id} in #${pair.channel.name}`,
          );
        continue;
      }
      results.attached += 1;
      const file = files[0]!;
      const intact =
        file.size === pair.task.videoBytes &&
        (input.skipAttachmentBytes === true || file.data.equals(videoBytes(pair.task.videoBytes)));
      if (!intact) {
        results.corruptAttachments += 1;
        failures.push(`corrupt attachment for ${pair.task.id} in #${pair.channel.name}: ${file.size} bytes`);
      }
    }
    if (found.length > 1)
      failures.push(`duplicated: ${found.length} results for ${pair.task.id} in #${pair.channel.name}`);
  }
  // Results for a task in a channel nobody tracked it in would be strays: duplicates of nothing.
  for (const [k, found] of resultsByPair) {
    if (!tracked.some((pair) => key(pair.task.id, pair.channel.id) === k)) {
      results.duplicated += found.length;
      failures.push(`duplicated: ${found.length} result(s) where the task was never tracked`);
    }
  }

  const notOne = progressCounts.filter((count) => count !== 1).length;
  if (notOne > 0) failures.push(`${notOne} tracked pair(s) without exactly one progress message`);

  // --- DMs --------------------------------------------------------------------------------------
  const dms = { expected: 0, delivered: 0, lost: 0, duplicated: 0 };
  const expectedDms = new Set<string>();
  for (const pair of tracked) {
    if (pair.track.notify && pair.confirmedAt !== undefined && !exempt.has(pair) && pair.user.dmsOpen)
      expectedDms.add(key(pair.task.id, pair.user.id));
  }
  for (const k of expectedDms) {
    dms.expected += 1;
    if ((dmsByTaskUser.get(k)?.length ?? 0) > 0) dms.delivered += 1;
    else {
      dms.lost += 1;
      failures.push(`lost: no DM for ${k.replace('\u0000', ' to user ')}`);
    }
  }
  for (const [k, found] of dmsByTaskUser) {
    dms.duplicated += Math.max(0, found.length - 1);
    if (found.length > 1)
      failures.push(`duplicated: ${found.length} DMs for ${k.replace('\u0000', ' to user ')}`);
  }

  // --- restarts ---------------------------------------------------------------------------------
  let longestRestartToFirstPollMs: number | undefined;
  for (const run of runs.slice(1)) {
    const resultAt = (pair: Pair) => resultsByPair.get(key(pair.task.id, pair.channel.id))?.[0]?.createdAt;
    // Tasks the restarted process had to resume, and nobody typed a command for meanwhile (a command
    // reads the task too, which is not the resumed polling being measured).
    const next = runs[run.index + 1];
    const runEnd = next?.startedAtWall ?? input.endedAt;
    const typedDuringRun = new Set(
      pairs
        .filter((pair) => pair.attempts.some((a) => a.issuedAt >= run.startedAtWall && a.issuedAt < runEnd))
        .map((pair) => pair.task.id),
    );
    const active = new Set(
      tracked
        .filter((pair) => {
          const start = pairStart(pair);
          const delivered = resultAt(pair);
          return (
            start !== undefined &&
            start < run.startedAtWall &&
            (delivered === undefined || delivered > run.startedAtWall) &&
            !typedDuringRun.has(pair.task.id)
          );
        })
        .map((pair) => pair.task.id),
    );
    if (active.size === 0) continue;
    // A poll is a status read (GET /videos/{id}) of a task the restarted process had to resume.
    const first = api.requests.find(
      (r) =>
        r.route === 'status' &&
        r.receivedAt >= run.startedAt &&
        r.taskId !== undefined &&
        active.has(r.taskId) &&
        (next === undefined || r.receivedAt < next.startedAt),
    );
    if (first) {
      longestRestartToFirstPollMs = Math.max(
        longestRestartToFirstPollMs ?? 0,
        first.receivedAt - run.startedAt,
      );
    }
  }

  // --- Discord's view of the bot ------------------------------------------------------------------
  const log = discord.counters.log();
  const tooMany = log.filter((entry) => entry.status === 429);
  const injected = tooMany.filter((entry) => entry.code === INJECTED_429_CODE).length;
  const invalid = log
    .filter((e) => e.status === 401 || e.status === 403 || (e.status === 429 && e.scope !== 'shared'))
    .map((e) => e.at);

  // --- the bot processes ------------------------------------------------------------------------
  const output = input.output;
  const unhandledRejections = occurrences(output, ['"msg":"unhandled promise rejection"']);
  const crashes = runs.filter(
    (run) => run.endedBy === 'crash' || (run.endedBy === 'sigterm' && run.exit !== 0),
  ).length;
  if (unhandledRejections > 0) failures.push(`${unhandledRejections} unhandled promise rejection(s) logged`);
  if (crashes > 0)
    failures.push(`${crashes} crash(es): a bot process exited without being killed, or uncleanly`);

  // --- secrets ----------------------------------------------------------------------------------
  // Interaction tokens: the local Discord knows every one it handed out.
  const interactionTokens = discord.interactions.tokens();
  const inLogs = countSecrets(output, secrets, interactionTokens);
  const payloads = [
    ...[...world.channels, ...world.users().map((user) => discord.world.dmChannel(user))].flatMap((channel) =>
      discord.messages.inChannel(channel).map((message) =>
        JSON.stringify(
          message.versions.map(({ attachments, ...version }) => ({
            ...version,
            files: attachments.map((file) => file.filename),
          })),
        ),
      ),
    ),
    JSON.stringify(discord.commands.global()),
  ].join('\n');
  const inPayloads = countSecrets(payloads, secrets, interactionTokens);
  const secretsInLogs = totalOf(inLogs);
  const secretsInDiscordPayloads = totalOf(inPayloads);
  const keySentElsewhere = api.requests.filter(
    (r) => r.server === 'cdn' && r.headers.authorization !== undefined,
  ).length;
  if (secretsInLogs > 0) failures.push(`${secretsInLogs} secret(s) found in the bot's logs`);
  if (secretsInDiscordPayloads > 0)
    failures.push(`${secretsInDiscordPayloads} secret(s) found in Discord payloads`);
  if (keySentElsewhere > 0) failures.push(`the API key was sent to another host ${keySentElsewhere} time(s)`);
  if (pingsBeyondRequester > 0)
    failures.push(`${pingsBeyondRequester} message version(s) pinged someone they should not`);
  if (unattributed > 0) failures.push(`${unattributed} bot message(s) about no planned task`);

  const figures: Figures = {
    seed: plan.options.seed,
    tasks: {
      planned: plan.tasks.length,
      tracked: new Set(tracked.map((pair) => pair.task.id)).size,
      gaveUp: new Set(pairs.filter((pair) => !isTracked(pair)).map((pair) => pair.task.id)).size,
    },
    channels: plan.options.channels,
    guilds: plan.options.guilds,
    pairs: { tracked: tracked.length, exempt: exempt.size },
    results,
    dms,
    progressMessages: {
      min: progressCounts.length === 0 ? 0 : Math.min(...progressCounts),
      max: progressCounts.length === 0 ? 0 : Math.max(...progressCounts),
      pairsNotOne: notOne,
    },
    kills: runs.filter((run) => run.endedBy === 'sigkill').length,
    restarts: runs.length - 1,
    longestRestartToFirstPollMs,
    discord429: { provoked: tooMany.length - injected, injected },
    invalidRequestsPer10Min: peakInWindow(invalid, 10 * 60_000),
    unhandledRejections,
    crashes,
    pingsBeyondRequester,
    unattributedMessages: unattributed,
    secretsInLogs,
    secretsInDiscordPayloads,
    secretsInReport: 0,
    secretsByKind: sumCounts(inLogs, inPayloads),
    keySentElsewhere,
    quarantinedRecords: occurrences(output, ['moved aside and treated as absent']),
    faults: input.faults,
    durationMs: input.endedAt - input.startedAt,
  };
  return { figures, failures };
}
