/**
 * One fault campaign: the local Discord and the fake video API in this process, the real bot as a
 * separate process on a SQLite (or Redis) store, people tracking the planned tasks, faults and SIGKILLs
 * at their planned moments, then the accounting of what people saw.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@keyv/redis';
import { soraCommand } from '../../src/discord/commands/definitions.js';
import { startFakeDiscord, type FakeDiscord } from '../../testkit/fake-discord/index.js';
import {
  rampSteps,
  startFakeVideoApi,
  type FakeVideoApi,
  type TaskStep,
} from '../../testkit/fake-video-api/index.js';
import { account, type Accounting, type Secrets } from './accounting.js';
import { windowsLogged } from './logged.js';
import { renderTable } from './report.js';
import { countSecrets, sumCounts, totalOf } from './secrets.js';
import { createBotSupervisor, type BotSupervisor } from './bot.js';
import { createFaultInjector, type FaultInjector } from './faults.js';
import { freePort, startTcpRelay, type TcpRelay } from '../../testkit/net/net.js';
import { buildPlan, type CampaignOptions, type CampaignPlan, type PlannedTask } from './plan.js';
import { writeRunRecord } from './record.js';
import { createUserSimulation } from './users.js';
import { buildWorld } from './world.js';

export interface RunOptions extends CampaignOptions {
  /** A real Redis (`redis://host:port`): the bot's store, reached through a relay the campaign cuts. */
  redisUrl?: string | undefined;
  /** Progress lines while the campaign runs. */
  progress?: ((line: string) => void) | undefined;
  /** Writes every bot process's output there at the end. */
  logDirectory?: string | undefined;
  /** Longest wait for the last deliveries once every task has ended. */
  settleTimeoutMs?: number | undefined;
}

export interface CampaignResult extends Accounting {
  plan: CampaignPlan;
}

/** Sensible timings for a campaign of `tasks` tasks: about 0.3 s between commands, tasks of seconds. */
export function defaultTimings(tasks: number): Pick<CampaignOptions, 'trackWindowMs' | 'taskDurationMs'> {
  return {
    trackWindowMs: Math.max(5_000, tasks * 300),
    taskDurationMs: tasks <= 50 ? { min: 2_000, max: 5_000 } : { min: 3_000, max: 10_000 },
  };
}

function distinctiveSecrets(): Secrets {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  return {
    apiKey: `sk-chaos-${hex(12)}-APIKEY`,
    discordToken: `MTIzNDU2Nzg5MDEyMzQ1Njc4.chaos.${hex(16)}-DISCORDTOKEN`,
    upstreamSecret: `upstream-${hex(12)}-HEADER`,
  };
}

function taskSteps(task: PlannedTask, apiKey: string): TaskStep[] {
  const failure =
    task.outcome === 'moderated'
      ? {
          code: 'moderation_blocked',
          message: 'Your request was blocked by our moderation system.',
          moderation: true,
        }
      : {
          // Relays quote upstream errors, key included; the bot must show the reason without it.
          message:
            task.index % 2 === 0
              ? `Video generation failed: upstream rejected key ${apiKey} (@everyone <@&123456789012345678>)`
              : 'Video generation failed.',
        };
  const end = task.outcome === 'completed' ? 'completed' : 'failed';
  if (task.finishedBeforeTrack) {
    return [
      end === 'completed'
        ? { atMs: 0, status: 'completed', progress: 100 }
        : { atMs: 0, status: 'failed', failure },
    ];
  }
  return rampSteps(task.durationMs, { steps: 2 + (task.index % 4), end, failure });
}

/** A Redis database nobody uses (the bot writes under a fixed namespace), and a cleanup for it. */
async function claimRedisDatabase(url: string): Promise<{ db: number; release: () => Promise<void> }> {
  for (let db = 15; db >= 1; db--) {
    const client = createClient({ url, database: db });
    client.on('error', () => undefined);
    await client.connect();
    const size = await client.dbSize();
    await client.quit();
    if (size === 0) {
      return {
        db,
        release: async () => {
          const cleaner = createClient({ url, database: db });
          cleaner.on('error', () => undefined);
          await cleaner.connect();
          const keys = await cleaner.keys('sora-tracker:*');
          if (keys.length > 0) await cleaner.del(keys);
          await cleaner.quit();
        },
      };
    }
  }
  throw new Error('no empty Redis database (1–15) to run the campaign in');
}

const MOVED_TASKS_LINE = 'moved the tracked tasks to the new SHARD_COUNT';
/** A store operation's timeout (store/backends/backend.ts). */
const STORE_TIMEOUT_TEXT = 'Redis did not answer within';

/** The campaign's own report (its table and problems) leaks nothing either. */
function countSecretsInReport(result: Accounting, secrets: Secrets, interactionTokens: string[]): void {
  const report = `${renderTable(result)}\n${result.failures.join('\n')}`;
  const counts = countSecrets(report, secrets, interactionTokens);
  const figures = result.figures;
  figures.secretsInReport = totalOf(counts);
  figures.secretsByKind = sumCounts(figures.secretsByKind, counts);
  if (figures.secretsInReport > 0)
    result.failures.push(`${figures.secretsInReport} secret(s) found in the campaign's report`);
}

/** Resolves once the bot's ops server answers (it starts there once its shards are set up), or after 30 s. */
async function opsAnswers(opsPort: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const answered = await fetch(`http://127.0.0.1:${opsPort}/healthz`).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await sleep(100);
  }
}

async function tasksTracked(opsPort: number): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    const match = /^sora_tracker_tasks_tracked (\d+)$/m.exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function runCampaign(options: RunOptions): Promise<CampaignResult> {
  const plan = buildPlan(options);
  const say = options.progress ?? (() => undefined);
  const secrets = distinctiveSecrets();
  const cleanups: (() => Promise<unknown>)[] = [];
  let supervisor: BotSupervisor | undefined;
  let injector: FaultInjector | undefined;

  try {
    const discord: FakeDiscord = await startFakeDiscord({
      botToken: secrets.discordToken,
      botName: 'Sora Tracker',
    });
    cleanups.push(() => discord.close());
    const api: FakeVideoApi = await startFakeVideoApi({ apiKey: secrets.apiKey });
    cleanups.push(() => api.close());
    const world = buildWorld(discord, plan);

    // With --logs the store is kept next to the logs, for looking into a failure afterwards.
    let dataDir: string;
    if (options.logDirectory) {
      dataDir = options.logDirectory;
      await rm(join(dataDir, 'store.sqlite'), { force: true });
      await mkdir(dataDir, { recursive: true });
    } else {
      const temp = await mkdtemp(join(tmpdir(), 'sora-chaos-'));
      cleanups.push(() => rm(temp, { recursive: true, force: true }));
      dataDir = temp;
    }
    let storeUrl = `sqlite://${join(dataDir, 'store.sqlite')}`;
    let relay: TcpRelay | undefined;
    if (options.redisUrl) {
      const target = new URL(options.redisUrl);
      const claimed = await claimRedisDatabase(options.redisUrl);
      cleanups.push(claimed.release);
      relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 6379) });
      cleanups.push(() => relay!.close());
      storeUrl = `redis://127.0.0.1:${relay.port}/${claimed.db}`;
    }

    const opsPort = await freePort();
    const env = {
      DISCORD_TOKEN: secrets.discordToken,
      DISCORD_API_URL: discord.apiUrl,
      SORA_API_KEY: secrets.apiKey,
      SORA_BASE_URL: api.baseUrl,
      // The fake's "CDN" is another origin on 127.0.0.1.
      ALLOW_PRIVATE_VIDEO_URLS: 'true',
      STORE_URL: storeUrl,
      // Time compressed: tasks last seconds, so polls come every 0.4–1.5 s instead of 10–60 s.
      POLL_INTERVAL_MS: '400',
      POLL_MAX_INTERVAL_MS: '1500',
      API_TIMEOUT_MS: '1500',
      // A download's overall deadline, compressed like the polls (10 min in production): a dripping
      // download is cut off here and tried again.
      DOWNLOAD_TIMEOUT_MS: '8000',
      // Under the unresponsive store's 1.2 s (plan.ts): its operations give up instead of waiting it out.
      STORE_COMMAND_TIMEOUT_MS: '600',
      HTTP_PORT: String(opsPort),
      REGISTER_COMMANDS: 'true',
      MAX_TASKS_PER_USER: '500',
      MAX_TASKS_PER_GUILD: '5000',
      LOG_LEVEL: 'debug',
      // The run's own download folder, so that one run never sweeps another's files.
      DOWNLOAD_DIR: join(dataDir, 'downloads'),
      // On Redis the bot holds a shard lease: a process restarted after SIGKILL waits for the dead one's
      // lease to expire. Time compressed like the polls: 3 s instead of 30 s.
      SHARD_LEASE_MS: '3000',
    };
    const bot = createBotSupervisor({
      env,
      onCrash: (run) => say(`bot process #${run.index} exited by itself (${String(run.exit)}); restarted`),
    });
    supervisor = bot;
    cleanups.push(async () => {
      for (const run of bot.runs) await run.process.kill('SIGKILL');
    });

    say(
      `seed ${plan.options.seed}: ${plan.tasks.length} tasks, ${plan.options.channels} channels, ` +
        `${plan.options.guilds} guilds, ${plan.faults.length} faults, ${plan.kills.length} kills`,
    );
    bot.start();
    await discord
      .waitFor(() => discord.commands.global().some((c) => c.name === soraCommand.name), {
        timeoutMs: 60_000,
        description: 'the bot to connect and register /sora',
      })
      .catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n${bot.output().slice(-4000)}`);
      });

    const startedAt = Date.now();
    const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
    const at = async (ms: number) => {
      const wait = startedAt + ms - Date.now();
      if (wait > 0) await sleep(wait);
    };
    const users = createUserSimulation({
      discord,
      world,
      now: Date.now,
      sleep: (ms) => sleep(ms),
      patienceMs: 45_000,
      answerTimeoutMs: 12_000,
    });
    // One change of the bot's process at a time: a kill and its restart, or a SHARD_COUNT change.
    let lifecycle: Promise<void> = Promise.resolve();
    const oneAtATime = (change: () => Promise<void>) => (lifecycle = lifecycle.then(change, change));
    const faults = createFaultInjector({
      changeShardCount: (shardCount) =>
        oneAtATime(async () => {
          // An operator's restart: of a process that is up (a SIGTERM before it has started kills it).
          await opsAnswers(opsPort);
          await bot.restartWith({ SHARD_COUNT: String(shardCount) });
        }),
      discord,
      api,
      world,
      pairs: users.pairs,
      apiKey: secrets.apiKey,
      upstreamSecret: secrets.upstreamSecret,
      relay,
      healthUrl: `http://127.0.0.1:${opsPort}/healthz`,
      now: Date.now,
    });
    injector = faults;

    const work: Promise<unknown>[] = [];
    for (const task of plan.tasks) {
      work.push(
        (async () => {
          await at(task.trackAtMs);
          api.addTask({
            id: task.id,
            dialect: task.dialect,
            steps: taskSteps(task, secrets.apiKey),
            video: { bytes: task.videoBytes },
            prompt: task.prompt,
            expiresAfterMs: 60 * 60_000,
          });
          await users.trackTask(task);
        })(),
      );
    }
    for (const fault of plan.faults) {
      work.push(
        (async () => {
          await at(fault.atMs);
          await faults.apply(fault);
          say(`${elapsed()}  fault ${fault.kind}`);
        })(),
      );
    }
    work.push(
      (async () => {
        for (const [n, kill] of plan.kills.entries()) {
          await at(kill.atMs);
          await oneAtATime(async () => {
            await bot.kill();
            say(`${elapsed()}  SIGKILL #${n + 1}; down for ${kill.downMs} ms`);
            await sleep(kill.downMs);
            bot.start();
          });
        }
      })(),
    );
    await Promise.all(work);
    await faults.closeAll();
    say(`${elapsed()}  every command answered or given up; waiting for the last deliveries`);

    // Settled: nothing expected is missing and the bot tracks nothing any more (or the deadline passed).
    await at(plan.lastTaskEndMs);
    const deadline = Date.now() + (options.settleTimeoutMs ?? 60_000);
    const snapshot = () =>
      account({
        plan,
        world,
        discord,
        api,
        pairs: users.pairs,
        runs: bot.runs,
        output: '',
        faults: faults.applied,
        permissionWindows: faults.permissionWindows,
        deletedMessages: faults.deletedMessages,
        attachWindows: faults.attachWindows,
        delayedFileTasks: faults.delayedFileTasks,
        secrets,
        startedAt,
        endedAt: Date.now(),
        skipAttachmentBytes: true,
      }).figures;
    while (Date.now() < deadline) {
      const figures = snapshot();
      const missing = figures.results.lost + figures.dms.lost;
      if (missing === 0 && (await tasksTracked(opsPort)) === 0) break;
      await sleep(500);
    }
    // A last look for late duplicates: nothing the bot still had queued may post twice.
    await sleep(2_000);
    say(`${elapsed()}  settled; stopping the bot with SIGTERM`);
    await bot.stop();

    const result = account({
      plan,
      world,
      discord,
      api,
      pairs: users.pairs,
      runs: bot.runs,
      output: bot.output(),
      faults: faults.applied,
      permissionWindows: faults.permissionWindows,
      deletedMessages: faults.deletedMessages,
      attachWindows: faults.attachWindows,
      delayedFileTasks: faults.delayedFileTasks,
      secrets,
      startedAt,
      endedAt: Date.now(),
    });
    if (options.logDirectory) {
      await writeRunRecord(options.logDirectory, {
        discord,
        world,
        pairs: users.pairs,
        faults,
        runs: bot.runs,
      });
    }
    const output = bot.output();
    result.figures.faultsStruck = {
      ...faults.struck(),
      // Struck when a store operation gave up waiting (the bot logged its timeout).
      'redis-unresponsive': windowsLogged(
        output,
        STORE_TIMEOUT_TEXT,
        faults.windows['redis-unresponsive'],
        2_000,
      ),
      // Struck when a started process moved the tasks to the new count (its one info line).
      'shard-count-change': bot
        .output()
        .split('\n')
        .filter((line) => line.includes(MOVED_TASKS_LINE)).length,
    };
    result.figures.storeOutages = {
      injected: faults.applied['store-outage'],
      reportedByHealthz: faults.storeOutagesReported,
    };
    if (result.figures.storeOutages.reportedByHealthz < result.figures.storeOutages.injected)
      result.failures.push('/healthz did not report a store outage as 503 naming the store');
    if (
      (result.figures.faultsStruck['lease-lost-store-stall'] ?? 0) < faults.applied['lease-lost-store-stall']
    )
      result.failures.push('the bot did not stand down while the store stalled past its lease');
    if (discord.internalErrors().length > 0)
      result.failures.push(`${discord.internalErrors().length} internal error(s) in the local Discord`);
    countSecretsInReport(result, secrets, discord.interactions.tokens());
    return { ...result, plan };
  } finally {
    await injector?.closeAll();
    if (supervisor && options.logDirectory) {
      await mkdir(options.logDirectory, { recursive: true });
      for (const run of supervisor.runs) {
        await writeFile(
          join(options.logDirectory, `bot-${run.index}.log`),
          run.process.stdout() + run.process.stderr(),
        );
      }
    }
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
