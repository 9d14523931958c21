/**
 * `npm run shard-run`: one two-shard run with real processes on a real Redis (REDIS_URL, default
 * redis://127.0.0.1:6379), the production lease (SHARD_LEASE_MS, default 30 s), against the local Discord
 * and the fake video API. Tasks are tracked in guilds on both shards (two of them from guilds on both),
 * then shard 1's process is killed with SIGKILL and a new one started (a crash and its restart), and
 * shard 0 is handed over to a second process with SIGTERM (a rolling deploy). Prints what people saw:
 * results expected and delivered, duplicates, DMs, and how long each shard took to be taken over.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { createClient } from '@keyv/redis';
import { startFakeDiscord, type FakeChannel, type FakeUser } from '../testkit/fake-discord/index.js';
import { shardForGuild } from '../testkit/fake-discord/snowflake.js';
import { rampSteps, startFakeVideoApi } from '../testkit/fake-video-api/index.js';
import { spawnBot, type BotProcess } from '../testkit/process/process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEASE_MS = Number(process.env.SHARD_LEASE_MS ?? 30_000);
const API_KEY = `sk-shard-run-${randomUUID()}`;
const SHARD_COUNT = 2;
const TASKS_PER_CHANNEL = 3;

const started = Date.now();
const at = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (line: string) => process.stdout.write(`${at()}  ${line}\n`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function until<T>(probe: () => Promise<T | undefined | false>, what: string, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Shard {
  id: number;
  state: string;
  activeTasks: number;
}

async function main(): Promise<void> {
  const discord = await startFakeDiscord({ maxConcurrency: 2 });
  const api = await startFakeVideoApi({ apiKey: API_KEY });
  const namespace = `sora-tracker-shard-run:${randomUUID()}`;
  const users = ['alice', 'bob', 'carol'].map((username) => discord.world.user({ username }));

  // Two guilds per shard, two channels each.
  const channels: { shard: number; channel: FakeChannel }[] = [];
  for (const shard of [0, 1]) {
    for (let made = 0; made < 2;) {
      const guild = discord.world.guild({ name: `studio ${shard}.${made}`, members: users });
      if (shardForGuild(guild.id, SHARD_COUNT) !== shard) {
        discord.world.removeGuild(guild);
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      made += 1;
      for (const name of ['renders', 'drafts']) {
        channels.push({ shard, channel: discord.world.textChannel(guild, { name }) });
      }
    }
  }

  const processes: BotProcess[] = [];
  const spawnShard = async (shard: number) => {
    const port = await freePort();
    const bot = spawnBot({
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      SORA_API_KEY: API_KEY,
      SORA_BASE_URL: api.baseUrl,
      // The fake's "CDN" is another origin on 127.0.0.1.
      ALLOW_PRIVATE_VIDEO_URLS: 'true',
      STORE_URL: REDIS_URL,
      STORE_NAMESPACE: namespace,
      SHARD_COUNT: String(SHARD_COUNT),
      SHARD_IDS: String(shard),
      SHARD_LEASE_MS: String(LEASE_MS),
      POLL_INTERVAL_MS: '1000',
      POLL_MAX_INTERVAL_MS: '3000',
      HTTP_PORT: String(port),
      REGISTER_COMMANDS: 'true',
      LOG_LEVEL: 'info',
    });
    processes.push(bot);
    const shardState = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      const body = (await response.json()) as { shards: Shard[] };
      return body.shards.find((s) => s.id === shard);
    };
    return { bot, shardState };
  };

  try {
    say(`two shards, lease ${LEASE_MS / 1000} s, Redis store, namespace ${namespace}`);
    const a0 = await spawnShard(0);
    const b1 = await spawnShard(1);
    await until(async () => (await a0.shardState())?.state === 'running', 'shard 0');
    await until(async () => (await b1.shardState())?.state === 'running', 'shard 1');
    await until(() => Promise.resolve(discord.commands.global().length > 0), '/sora to be registered');
    say(
      'shard 0 (pid ' +
        String(a0.bot.child.pid) +
        ') and shard 1 (pid ' +
        String(b1.bot.child.pid) +
        ') running',
    );

    // Tasks of 20–50 s; some people ask for a DM.
    const pairs: { taskId: string; channel: FakeChannel; user: FakeUser; notify: boolean }[] = [];
    let n = 0;
    for (const { channel } of channels) {
      for (let i = 0; i < TASKS_PER_CHANNEL; i++, n++) {
        const taskId = `video_run_${n}`;
        api.addTask({ id: taskId, steps: rampSteps(20_000 + ((n * 7_919) % 30_000), { steps: 5 }) });
        pairs.push({ taskId, channel, user: users[n % users.length]!, notify: n % 4 === 0 });
      }
    }
    // Two tasks tracked from guilds on both shards: each shard polls and delivers to its own channel.
    for (const [k, [c0, c1]] of [
      [0, [channels[0]!, channels[4]!]],
      [1, [channels[3]!, channels[7]!]],
    ] as const) {
      const taskId = `video_both_${k}`;
      api.addTask({ id: taskId, steps: rampSteps(35_000, { steps: 5 }) });
      pairs.push({ taskId, channel: c0.channel, user: users[k]!, notify: false });
      pairs.push({ taskId, channel: c1.channel, user: users[k + 1]!, notify: false });
    }
    await Promise.all(
      pairs.map((pair) =>
        discord.interactions
          .command({
            user: pair.user,
            channel: pair.channel,
            name: 'sora',
            subcommand: 'track',
            options: { id: pair.taskId, ...(pair.notify ? { notify: true } : {}) },
          })
          .waitForOriginal((m) => m.current.content.startsWith('Tracking'), { timeoutMs: 60_000 }),
      ),
    );
    const tasks = new Set(pairs.map((p) => p.taskId)).size;
    say(
      `${tasks} tasks tracked in ${pairs.length} channel pairs (${pairs.filter((p) => p.notify).length} DMs asked)`,
    );

    // A crash: shard 1's process killed, a new one started at once (what Kubernetes would do).
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await b1.bot.kill('SIGKILL');
    const killedAt = Date.now();
    say('shard 1 killed with SIGKILL; a new process started for it');
    const b2 = await spawnShard(1);
    await until(async () => (await b2.shardState())?.state === 'running', 'shard 1 to be taken over');
    const killTakeoverMs = Date.now() - killedAt;
    say(
      `shard 1 running in the new process (pid ${String(b2.bot.child.pid)}) after ${(killTakeoverMs / 1000).toFixed(1)} s`,
    );

    // A rolling deploy: a second process for shard 0 waits, then the first stops with SIGTERM.
    const a2 = await spawnShard(0);
    await until(async () => (await a2.shardState())?.state === 'standby', 'the standby for shard 0');
    say('second process for shard 0 waiting (standby)');
    await a0.bot.kill('SIGTERM');
    const stoppedAt = Date.now();
    await until(async () => (await a2.shardState())?.state === 'running', 'shard 0 to be handed over');
    const handoverMs = Date.now() - stoppedAt;
    say(`shard 0 handed over after SIGTERM in ${(handoverMs / 1000).toFixed(1)} s`);

    // Every task ends; delivery is over once both shards have no active task left.
    await until(
      async () => {
        const states = await Promise.all([a2.shardState(), b2.shardState()]);
        return (
          states.every((s) => s?.activeTasks === 0) &&
          pairs.every((p) => api.currentState(p.taskId)?.status === 'completed')
        );
      },
      'every task to be delivered',
      180_000,
    );

    const botMessages = (channel: FakeChannel) =>
      discord.messages.visibleIn(channel).filter((m) => m.authorId === discord.bot.id && !m.webhookId);
    let results = 0;
    let lost = 0;
    let duplicates = 0;
    for (const pair of pairs) {
      const progress = botMessages(pair.channel).filter(
        (m) => !m.versions[0]?.messageReference && JSON.stringify(m.current.embeds).includes(pair.taskId),
      );
      const ids = new Set(progress.map((m) => m.id));
      const replies = botMessages(pair.channel).filter((m) =>
        ids.has(m.versions[0]?.messageReference?.message_id ?? ''),
      );
      results += replies.length;
      if (replies.length === 0) lost += 1;
      duplicates += Math.max(0, progress.length - 1) + Math.max(0, replies.length - 1);
    }
    let dms = 0;
    for (const user of users) {
      const asked = pairs.filter((p) => p.notify && p.user === user);
      const got = discord.messages.dmsTo(user);
      dms += got.length;
      for (const pair of asked) {
        const count = got.filter((dm) => dm.current.content.includes(pair.taskId)).length;
        if (count === 0) lost += 1;
        duplicates += Math.max(0, count - 1);
      }
    }
    const leaked = processes.some((p) => p.stdout().includes(API_KEY) || p.stdout().includes(discord.token));
    say('done');
    const rows: [string, string][] = [
      ['Shards / processes', `2 / 4 over the run (shard 1 killed and replaced, shard 0 handed over)`],
      ['Tasks (channel pairs)', `${tasks} (${pairs.length}; 2 tasks tracked from guilds on both shards)`],
      ['Results expected / delivered', `${pairs.length} / ${results}`],
      ['DMs expected / delivered', `${pairs.filter((p) => p.notify).length} / ${dms}`],
      ['Lost / duplicated', `${lost} / ${duplicates}`],
      [`Takeover after SIGKILL (lease ${LEASE_MS / 1000} s)`, `${(killTakeoverMs / 1000).toFixed(1)} s`],
      ['Handover after SIGTERM (standby waiting)', `${(handoverMs / 1000).toFixed(1)} s`],
      ['Secrets in logs', leaked ? 'FOUND' : 'none'],
    ];
    for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(42)} ${value}\n`);
    if (lost > 0 || duplicates > 0 || results !== pairs.length || leaked) process.exitCode = 1;
  } finally {
    for (const bot of processes) await bot.kill('SIGKILL');
    await discord.close();
    await api.close();
    const admin = createClient({ url: REDIS_URL });
    admin.on('error', () => undefined);
    await admin.connect();
    const keys = await admin.keys(`${namespace}:*`);
    if (keys.length > 0) await admin.del(keys);
    await admin.quit();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`shard run failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
