import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { httpUrl, requireEncrypted } from './config-urls.js';

/**
 * Every setting the bot reads, validated once at start. Names are part of the operator contract
 * (docs, .env.example and deployments rely on them), so rename nothing without a migration note.
 */

const positiveInt = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected ${what} (a whole number)`)
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n > 0, `expected ${what} greater than 0`);

const byteCount = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected ${what} (a whole number of bytes; 0 turns it off)`)
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n), `expected ${what} (a whole number of bytes; 0 turns it off)`);

const days = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `expected ${what} (a number of days, decimals allowed)`)
    .transform(Number)
    .refine((n) => n > 0 && n * 86_400_000 <= Number.MAX_SAFE_INTEGER, `expected ${what} greater than 0`);

const port = z
  .string()
  .trim()
  .regex(/^\d+$/, 'expected a TCP port between 0 and 65535 (0 turns it off)')
  .transform(Number)
  .refine((n) => n >= 0 && n <= 65535, 'expected a TCP port between 0 and 65535 (0 turns it off)');

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'expected true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const storeUrl = z
  .string()
  .trim()
  .refine(
    (v) => /^(sqlite:\/\/.+|redis:\/\/.+|rediss:\/\/.+|memory:\/\/.*)$/.test(v),
    'expected sqlite://<path>, redis://<host>:<port> or memory://',
  );

const shardList = z
  .string()
  .trim()
  .regex(/^\d+(\s*,\s*\d+)*$/, 'expected a comma-separated list of shard ids, e.g. 0,1')
  .transform((v) => [...new Set(v.split(',').map((id) => Number(id.trim())))].sort((a, b) => a - b));

const storeNamespace = z
  .string()
  .trim()
  .regex(/^[\w.-]+(:[\w.-]+)*$/, 'expected letters, digits, `_`, `-` or `.`, in parts separated by `:`');

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'expected one of fatal, error, warn, info, debug, trace, silent',
});

/** Variables shared by the bot and the operator CLIs (`npm run status` / `watch`). */
const videoApiShape = {
  SORA_API_KEY: z.string().trim().min(1, 'is required: the API key of your video API or relay'),
  SORA_BASE_URL: httpUrl("your relay's OpenAI-format base URL, e.g. https://relay.example.com/v1"),
  ALLOW_INSECURE_HTTP: boolean,
  ALLOW_PRIVATE_VIDEO_URLS: boolean,
  API_MAX_IN_FLIGHT: positiveInt('the most video API requests in flight at once'),
  API_TIMEOUT_MS: positiveInt('the video API timeout in milliseconds'),
  API_MAX_DOWNLOADS: positiveInt('the most video downloads in flight at once'),
  DOWNLOAD_TIMEOUT_MS: positiveInt('how long one video download may take in all, in milliseconds'),
  LOG_LEVEL: logLevel,
};

/** Variables of the command registration script (`npm run deploy-commands`). */
const discordShape = {
  DISCORD_TOKEN: z.string().trim().min(1, 'is required: the bot token from the Discord developer portal'),
  DISCORD_API_URL: httpUrl('the Discord REST base URL, e.g. https://discord.com/api'),
  ALLOW_INSECURE_HTTP: boolean,
  LOG_LEVEL: logLevel,
};

const botShape = {
  ...videoApiShape,
  ...discordShape,
  STORE_URL: storeUrl,
  POLL_INTERVAL_MS: positiveInt('the shortest gap between two polls of one task, in milliseconds'),
  POLL_MAX_INTERVAL_MS: positiveInt('the longest gap between two polls of one task, in milliseconds'),
  HTTP_PORT: port,
  HTTP_HOST: z.string().trim().min(1, 'expected the address the ops server listens on, e.g. 127.0.0.1'),
  REGISTER_COMMANDS: boolean,
  TASK_IDLE_TIMEOUT_MS: positiveInt('how long a task may go without any change, in milliseconds'),
  TASK_MAX_AGE_MS: positiveInt('how long a task may be tracked in all, in milliseconds'),
  MAX_TASKS_PER_USER: positiveInt('the most active tasks one user may track'),
  MAX_TASKS_PER_GUILD: positiveInt('the most active tasks one server may track'),
  SHARD_COUNT: positiveInt('the total number of Discord shards'),
  SHARD_IDS: shardList.optional(),
  SHARD_LEASE_MS: positiveInt('how long a shard lease lasts without renewal, in milliseconds').refine(
    (n) => n >= 1_000,
    'expected at least 1000 (milliseconds)',
  ),
  STORE_NAMESPACE: storeNamespace,
  STORE_COMMAND_TIMEOUT_MS: positiveInt('how long one Redis store operation may wait, in milliseconds'),
  DOWNLOAD_DIR: z.string().trim().min(1),
  DOWNLOAD_DIR_MAX_BYTES: byteCount('the most bytes of videos kept in DOWNLOAD_DIR between tries'),
  RETENTION_DAYS: days('how long ended tasks are kept'),
};

export const DEFAULTS = {
  API_MAX_IN_FLIGHT: '8',
  API_TIMEOUT_MS: '30000',
  API_MAX_DOWNLOADS: '4',
  DOWNLOAD_TIMEOUT_MS: String(10 * 60_000),
  LOG_LEVEL: 'info',
  DISCORD_API_URL: 'https://discord.com/api',
  STORE_URL: 'sqlite://data/sora-tracker.sqlite',
  POLL_INTERVAL_MS: '10000',
  POLL_MAX_INTERVAL_MS: '60000',
  HTTP_PORT: '9464',
  // Loopback only: /healthz and /metrics have no authentication (docs/operations.md#exposing-metrics).
  HTTP_HOST: '127.0.0.1',
  ALLOW_INSECURE_HTTP: 'false',
  ALLOW_PRIVATE_VIDEO_URLS: 'false',
  REGISTER_COMMANDS: 'false',
  TASK_IDLE_TIMEOUT_MS: String(2 * 60 * 60 * 1000),
  TASK_MAX_AGE_MS: String(24 * 60 * 60 * 1000),
  MAX_TASKS_PER_USER: '25',
  MAX_TASKS_PER_GUILD: '500',
  SHARD_COUNT: '1',
  SHARD_LEASE_MS: '30000',
  STORE_NAMESPACE: 'sora-tracker',
  STORE_COMMAND_TIMEOUT_MS: '5000',
  DOWNLOAD_DIR: join(tmpdir(), 'sora-tracker'),
  DOWNLOAD_DIR_MAX_BYTES: String(2 * 1024 ** 3),
  RETENTION_DAYS: '30',
} as const;

export interface VideoApiConfig {
  apiKey: string;
  baseUrl: string;
  /** Fetch relay-supplied links to private and loopback addresses (refused by default). */
  allowPrivateVideoUrls: boolean;
  maxInFlight: number;
  timeoutMs: number;
  /** Downloads in flight at once, apart from status requests. */
  maxDownloads: number;
  /** One download, first request to last byte. */
  downloadTimeoutMs: number;
  logLevel: z.infer<typeof logLevel>;
}

export interface BotConfig extends VideoApiConfig {
  discordToken: string;
  discordApiUrl: string;
  storeUrl: string;
  pollIntervalMs: number;
  pollMaxIntervalMs: number;
  httpPort: number;
  /** Address the ops server listens on; loopback by default. */
  httpHost: string;
  registerCommands: boolean;
  taskIdleTimeoutMs: number;
  taskMaxAgeMs: number;
  maxTasksPerUser: number;
  maxTasksPerGuild: number;
  /** Total number of Discord shards (`SHARD_COUNT`); 1 = no sharding. */
  shardCount: number;
  /** The shards this process runs, ascending, each below `shardCount`. */
  shardIds: number[];
  /** Lifetime of a shard lease in Redis; renewed at a third of it. */
  shardLeaseMs: number;
  /** Prefix of every store key (and lease key). */
  storeNamespace: string;
  /** Redis: one store operation rejects after this long without an answer (a connection that hangs). */
  storeCommandTimeoutMs: number;
  /** Where videos are downloaded; each shard has a folder of its own in it. */
  downloadDir: string;
  /** The most bytes of downloads a shard's folder keeps between tries of a delivery; 0 keeps none. */
  downloadDirMaxBytes: number;
  /** How long an ended task (and a quarantined record) is kept after it ended, in milliseconds. */
  retentionMs: number;
}

export { ConfigError } from './config-error.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What to say when a required variable is missing altogether. */
const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  SORA_API_KEY: 'is required: the API key of your video API or relay (OPENAI_API_KEY also works)',
  // No default: OpenAI's own Sora API was shut down, so only the operator knows which relay to ask.
  SORA_BASE_URL:
    "is required: your relay's OpenAI-format base URL, e.g. https://relay.example.com/v1 (OpenAI's own Sora API was shut down on 2026-09-24; OPENAI_BASE_URL also works)",
  DISCORD_TOKEN: 'is required: the bot token from the Discord developer portal',
};

/** Empty strings count as unset, so `FOO=` in a .env file falls back to the default. */
function pick(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return value;
  }
  return undefined;
}

function resolveRaw(env: Env, keys: readonly string[]): Record<string, string | undefined> {
  const fallbacks: Record<string, string[]> = {
    SORA_API_KEY: ['SORA_API_KEY', 'OPENAI_API_KEY'],
    SORA_BASE_URL: ['SORA_BASE_URL', 'OPENAI_BASE_URL'],
    // discord.js's ShardingManager starts each child with SHARDING_MANAGER, SHARDS=<id> and SHARD_COUNT;
    // its own SHARD_IDS (inherited from the manager's environment) names the manager's shards, not its.
    SHARD_IDS: env.SHARDING_MANAGER !== undefined ? ['SHARDS'] : ['SHARD_IDS', 'SHARDS'],
  };
  const raw: Record<string, string | undefined> = {};
  for (const key of keys) {
    raw[key] = pick(env, ...(fallbacks[key] ?? [key])) ?? (DEFAULTS as Record<string, string>)[key];
  }
  return raw;
}

function parse<S extends z.ZodRawShape>(shape: S, env: Env): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(resolveRaw(env, Object.keys(shape)));
  if (result.success) return result.data;
  // Report the first problem only: one line, naming the variable.
  const issue = result.error.issues[0];
  const variable = String(issue?.path[0] ?? 'configuration');
  const expectation =
    issue?.code === 'invalid_type'
      ? (REQUIRED_HINTS[variable] ?? 'is required')
      : (issue?.message ?? 'is invalid').replace(/^Invalid input: /, '');
  throw new ConfigError(variable, expectation);
}

export function loadVideoApiConfig(env: Env): VideoApiConfig {
  const raw = parse(videoApiShape, env);
  requireEncrypted('SORA_BASE_URL', raw.SORA_BASE_URL, raw.ALLOW_INSECURE_HTTP);
  return {
    apiKey: raw.SORA_API_KEY,
    baseUrl: raw.SORA_BASE_URL,
    allowPrivateVideoUrls: raw.ALLOW_PRIVATE_VIDEO_URLS,
    maxInFlight: raw.API_MAX_IN_FLIGHT,
    timeoutMs: raw.API_TIMEOUT_MS,
    maxDownloads: raw.API_MAX_DOWNLOADS,
    downloadTimeoutMs: raw.DOWNLOAD_TIMEOUT_MS,
    logLevel: raw.LOG_LEVEL,
  };
}

export interface DiscordConfig {
  discordToken: string;
  discordApiUrl: string;
  logLevel: z.infer<typeof logLevel>;
}

export function loadDiscordConfig(env: Env): DiscordConfig {
  const raw = parse(discordShape, env);
  requireEncrypted('DISCORD_API_URL', raw.DISCORD_API_URL, raw.ALLOW_INSECURE_HTTP);
  return { discordToken: raw.DISCORD_TOKEN, discordApiUrl: raw.DISCORD_API_URL, logLevel: raw.LOG_LEVEL };
}

export function loadBotConfig(env: Env): BotConfig {
  const raw = parse(botShape, env);
  requireEncrypted('DISCORD_API_URL', raw.DISCORD_API_URL, raw.ALLOW_INSECURE_HTTP);
  if (raw.POLL_MAX_INTERVAL_MS < raw.POLL_INTERVAL_MS) {
    throw new ConfigError(
      'POLL_MAX_INTERVAL_MS',
      `expected at least POLL_INTERVAL_MS (${raw.POLL_INTERVAL_MS})`,
    );
  }
  const shardIds = raw.SHARD_IDS ?? Array.from({ length: raw.SHARD_COUNT }, (_, i) => i);
  const outOfRange = shardIds.find((id) => id >= raw.SHARD_COUNT);
  if (outOfRange !== undefined) {
    const variable =
      env.SHARDING_MANAGER !== undefined || pick(env, 'SHARD_IDS') === undefined ? 'SHARDS' : 'SHARD_IDS';
    throw new ConfigError(
      variable,
      `expected shard ids below SHARD_COUNT (${raw.SHARD_COUNT}); ${outOfRange} is not`,
    );
  }
  // Under discord.js's ShardingManager every child gets the same HTTP_PORT: shard n serves on port + n.
  const httpPort =
    env.SHARDING_MANAGER !== undefined && raw.HTTP_PORT !== 0
      ? raw.HTTP_PORT + (shardIds[0] ?? 0)
      : raw.HTTP_PORT;
  if (httpPort > 65535) {
    throw new ConfigError(
      'HTTP_PORT',
      `expected a TCP port between 0 and 65535 (${httpPort} for this shard)`,
    );
  }
  return {
    ...loadVideoApiConfig(env),
    discordToken: raw.DISCORD_TOKEN,
    discordApiUrl: raw.DISCORD_API_URL,
    storeUrl: raw.STORE_URL,
    pollIntervalMs: raw.POLL_INTERVAL_MS,
    pollMaxIntervalMs: raw.POLL_MAX_INTERVAL_MS,
    httpPort,
    httpHost: raw.HTTP_HOST,
    registerCommands: raw.REGISTER_COMMANDS,
    taskIdleTimeoutMs: raw.TASK_IDLE_TIMEOUT_MS,
    taskMaxAgeMs: raw.TASK_MAX_AGE_MS,
    maxTasksPerUser: raw.MAX_TASKS_PER_USER,
    maxTasksPerGuild: raw.MAX_TASKS_PER_GUILD,
    shardCount: raw.SHARD_COUNT,
    shardIds,
    shardLeaseMs: raw.SHARD_LEASE_MS,
    storeNamespace: raw.STORE_NAMESPACE,
    storeCommandTimeoutMs: raw.STORE_COMMAND_TIMEOUT_MS,
    downloadDir: raw.DOWNLOAD_DIR,
    downloadDirMaxBytes: raw.DOWNLOAD_DIR_MAX_BYTES,
    retentionMs: Math.round(raw.RETENTION_DAYS * 86_400_000),
  };
}

/** The password (if any) in a store URL such as redis://:secret@host:6379, to keep it out of the logs. */
export function storeUrlSecrets(storeUrl: string): string[] {
  try {
    const url = new URL(storeUrl);
    const password = url.password;
    if (password === '') return [];
    return [...new Set([password, decodeURIComponent(password)])];
  } catch {
    return [];
  }
}
