/**
 * `npm run chaos -- --seed <n>`: the fault campaign. Runs the real bot process against the local
 * Discord and the fake video API, tracks tasks across channels and guilds while faults strike and the
 * process is killed with SIGKILL, then prints one table of what people saw. Exits 1 unless nothing was
 * lost, duplicated or leaked and the bot neither crashed nor left a promise rejection unhandled.
 *
 *   npm run chaos -- --seed 7
 *   npm run chaos -- --seed 7 --tasks 200 --channels 20 --guilds 4 --kills 5
 *   npm run chaos -- --seed 7 --redis              # store on Redis (REDIS_URL), cut for 30 s mid-run
 *   npm run chaos -- --seed 7 --redis --redis-outage 10000   # a shorter Redis outage, in ms
 *   npm run chaos -- --seed 7 --logs ./chaos-logs  # keep every bot process's log
 *   npm run chaos -- --seed 7 --quiet              # the table only
 *
 * Without --seed a random one is drawn and printed; the same seed replays the same fault plan.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { defaultTimings, runCampaign } from './chaos/campaign.js';
import { MAX_SEED, parseSeed } from './chaos/random.js';
import { renderTable } from './chaos/report.js';

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`--${name} expects a whole number ≥ 1`);
  return Number(value);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      tasks: { type: 'string' },
      channels: { type: 'string' },
      guilds: { type: 'string' },
      kills: { type: 'string' },
      redis: { type: 'boolean', default: false },
      'redis-outage': { type: 'string' },
      logs: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const seed = values.seed === undefined ? randomInt(MAX_SEED) : parseSeed(values.seed);
  const tasks = positive('tasks', values.tasks, 200);
  const redisUrl = values.redis ? process.env.REDIS_URL : undefined;
  if (values.redis && !redisUrl) throw new Error('--redis needs REDIS_URL, e.g. redis://127.0.0.1:6379');

  process.stdout.write(`Chaos campaign, seed ${seed} (replay with: npm run chaos -- --seed ${seed})\n`);
  const result = await runCampaign({
    seed,
    tasks,
    channels: positive('channels', values.channels, 20),
    guilds: positive('guilds', values.guilds, 4),
    kills: positive('kills', values.kills, 5),
    ...defaultTimings(tasks),
    redisUrl,
    redisOutageMs: redisUrl ? positive('redis-outage', values['redis-outage'], 30_000) : undefined,
    // A 30-s store outage delays every delivery behind it.
    settleTimeoutMs: redisUrl ? 120_000 : 60_000,
    logDirectory: values.logs,
    progress: values.quiet ? undefined : (line) => process.stderr.write(`  ${line}\n`),
  });
  process.stdout.write(`\n${renderTable(result)}\n`);
  if (result.failures.length > 0) {
    process.stdout.write(`\nProblems (${result.failures.length}):\n`);
    for (const failure of result.failures.slice(0, 50)) process.stdout.write(`  - ${failure}\n`);
  }
  return result.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
