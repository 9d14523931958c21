/**
 * Sharded runs with real processes: one local Discord with guilds on both shards of two, the fake video
 * API on a manual clock (tasks end when the test says so), bot processes each running the shards it is
 * given, on a Redis store under a namespace of the test's own.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { expect } from 'vitest';
import type { FakeChannel, FakeGuild, FakeUser } from '../../testkit/fake-discord/index.js';
import { shardForGuild } from '../../testkit/fake-discord/snowflake.js';
import { createManualClock, type ManualClock } from '../../testkit/clock/manual-clock.js';
import { embedText, freePort, type Stack } from './harness.js';
import { spawnBot, type BotProcess } from '../../testkit/process/process.js';

export const SHARD_COUNT = 2;
/** Short leases, so a killed process's shard is free again within seconds (production: 30 s). */
export const LEASE_MS = 3_000;

export interface ShardHealthReport {
  id: number;
  state: string;
  gateway: string;
  activeTasks: number;
  leaseHolder?: string;
}

export interface HealthAnswer {
  status: number;
  body: { status: string; reasons?: string[]; shards: ShardHealthReport[] };
}

export interface ShardProcess {
  bot: BotProcess;
  port: number;
  health(): Promise<HealthAnswer | undefined>;
  metrics(): Promise<string>;
  /** This process's report of one shard, when it answers. */
  shard(id: number): Promise<ShardHealthReport | undefined>;
}

export interface Tracked {
  taskId: string;
  channel: FakeChannel;
  user: FakeUser;
  notify: boolean;
}

/** Polls an async condition until it yields something, or fails naming what was awaited. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function createShardWorld(
  createStack: (options: { apiClock: ManualClock }) => Promise<Stack>,
  /** A redis:// URL, or undefined for a SQLite file of the test's own (no leases). */
  redisUrl: string | undefined,
) {
  const apiClock = createManualClock(Date.now());
  const stack = await createStack({ apiClock });
  const { discord } = stack;
  const namespace = `sora-tracker-shard-e2e:${randomUUID()}`;

  // A guild's shard comes from its id's timestamp: guilds made a millisecond apart may land elsewhere.
  const guildOn = async (shard: number): Promise<FakeGuild> => {
    for (;;) {
      const guild = discord.world.guild({
        name: `Shard ${shard} studio`,
        members: [stack.alice, stack.bob],
      });
      if (shardForGuild(guild.id, SHARD_COUNT) === shard) return guild;
      discord.world.removeGuild(guild);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  const guilds = [await guildOn(0), await guildOn(1)] as const;
  const channels = guilds.map((guild, shard) => [
    discord.world.textChannel(guild, { name: `s${shard}-a` }),
    discord.world.textChannel(guild, { name: `s${shard}-b` }),
  ]) as [FakeChannel[], FakeChannel[]];

  const processes: ShardProcess[] = [];

  function spawnShards(shardIds: number[], extra: Record<string, string> = {}): Promise<ShardProcess> {
    return freePort().then((port) => {
      const bot = spawnBot({
        ...stack.env,
        STORE_URL: redisUrl ?? stack.env.STORE_URL ?? '',
        STORE_NAMESPACE: namespace,
        SHARD_COUNT: String(SHARD_COUNT),
        SHARD_IDS: shardIds.join(','),
        SHARD_LEASE_MS: String(LEASE_MS),
        HTTP_PORT: String(port),
        ...extra,
      });
      const health = async (): Promise<HealthAnswer | undefined> => {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`);
          return { status: response.status, body: (await response.json()) as HealthAnswer['body'] };
        } catch {
          return undefined;
        }
      };
      const shardProcess: ShardProcess = {
        bot,
        port,
        health,
        metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
        shard: async (id) => (await health())?.body.shards.find((s) => s.id === id),
      };
      processes.push(shardProcess);
      return shardProcess;
    });
  }

  /** Resolves once the process runs the shard: lease held, gateway ready. */
  async function running(proc: ShardProcess, shard: number, timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => (await proc.shard(shard))?.state === 'running',
      `shard ${shard} to run in pid ${proc.bot.child.pid}`,
      timeoutMs,
    );
  }

  async function track(entry: Tracked): Promise<void> {
    const handle = stack.sora(
      'track',
      { id: entry.taskId, ...(entry.notify ? { notify: true } : {}) },
      { user: entry.user, channel: entry.channel },
    );
    await handle.waitForOriginal((m) => m.current.content.startsWith('Tracking'), { timeoutMs: 15_000 });
    // One gateway session got it: the shard's, in one process.
    expect(handle.deliveredTo).toBe(1);
  }

  /** The task ids whose progress message the bot posted in a channel. */
  function progressOf(channel: FakeChannel, taskId: string) {
    return stack.progressMessages(channel).filter((m) => embedText(m).includes(taskId));
  }

  function resultsOf(channel: FakeChannel, taskId: string) {
    const progressIds = new Set(progressOf(channel, taskId).map((m) => m.id));
    return stack
      .botMessages(channel)
      .filter((m) => progressIds.has(m.versions[0]?.messageReference?.message_id ?? ''));
  }

  /**
   * Waits until every tracked pair shows its final state with a result and every shard has emptied its
   * index of active tasks, then checks what people saw: one progress message and one result per pair,
   * one DM per task and person who asked, nothing else.
   */
  async function expectDeliveredOnce(tracked: Tracked[], runners: ShardProcess[]): Promise<void> {
    for (const entry of tracked) {
      await stack.discord.waitFor(
        () => {
          const [progress] = progressOf(entry.channel, entry.taskId);
          return (
            progress !== undefined &&
            /Completed/.test(embedText(progress)) &&
            resultsOf(entry.channel, entry.taskId).length > 0
          );
        },
        { description: `the result of ${entry.taskId} in #${entry.channel.name}`, timeoutMs: 30_000 },
      );
    }
    // Delivery is over once no shard has an active task left: anything doubled would be there by now.
    await eventually(async () => {
      const reports = await Promise.all(runners.map((r) => r.health()));
      return reports.every((report) => report?.body.shards.every((s) => s.activeTasks === 0));
    }, 'every shard to finish its tasks');

    const channels = new Set(tracked.map((entry) => entry.channel));
    for (const channel of channels) {
      const here = tracked.filter((entry) => entry.channel === channel);
      for (const entry of here) {
        expect(
          progressOf(channel, entry.taskId),
          `progress of ${entry.taskId} in #${channel.name}`,
        ).toHaveLength(1);
        expect(
          resultsOf(channel, entry.taskId),
          `results of ${entry.taskId} in #${channel.name}`,
        ).toHaveLength(1);
      }
      expect(stack.botMessages(channel), `messages in #${channel.name}`).toHaveLength(here.length * 2);
    }
    for (const user of [stack.alice, stack.bob]) {
      const asked = tracked.filter((entry) => entry.notify && entry.user === user);
      const dms = stack.discord.messages.dmsTo(user);
      expect(dms, `DMs to ${user.username}`).toHaveLength(asked.length);
      for (const entry of asked) {
        expect(dms.filter((dm) => dm.current.content.includes(entry.taskId))).toHaveLength(1);
      }
    }
  }

  async function cleanup(): Promise<void> {
    for (const proc of processes.splice(0)) await proc.bot.kill('SIGKILL');
    if (redisUrl === undefined) return;
    const admin = createClient({ url: redisUrl, socket: { reconnectStrategy: false } });
    admin.on('error', () => undefined);
    try {
      await admin.connect();
      const keys = await admin.keys(`${namespace}:*`);
      if (keys.length > 0) await admin.del(keys);
      await admin.quit();
    } catch {
      // A private Redis that is gone already.
    }
  }

  return {
    stack,
    apiClock,
    guilds,
    channels,
    namespace,
    spawnShards,
    running,
    track,
    expectDeliveredOnce,
    cleanup,
    processes,
  };
}

/** A task that runs until the API clock moves on by 1 s, then completes. */
export function addTwoStepTask(stack: Stack, taskId: string): void {
  stack.api.addTask({
    id: taskId,
    steps: [
      { atMs: 0, status: 'in_progress', progress: 10 },
      { atMs: 1_000, status: 'completed', progress: 100 },
    ],
  });
}
