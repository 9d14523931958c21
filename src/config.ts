import { z } from 'zod';

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

const port = z
  .string()
  .trim()
  .regex(/^\d+$/, 'expected a TCP port between 0 and 65535 (0 turns it off)')
  .transform(Number)
  .refine((n) => n >= 0 && n <= 65535, 'expected a TCP port between 0 and 65535 (0 turns it off)');

const httpUrl = (what: string) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    }, `expected ${what} (an http:// or https:// URL)`)
    // One canonical form: no trailing slash, so `${base}/videos/…` never doubles it.
    .transform((value) => value.replace(/\/+$/, ''));

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

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'expected one of fatal, error, warn, info, debug, trace, silent',
});

/** Variables shared by the bot and the operator CLIs (`npm run status` / `watch`). */
const videoApiShape = {
  SORA_API_KEY: z.string().trim().min(1, 'is required: the API key of your video API or relay'),
  SORA_BASE_URL: httpUrl('the video API base URL, e.g. https://api.openai.com/v1'),
  API_MAX_IN_FLIGHT: positiveInt('the most video API requests in flight at once'),
  API_TIMEOUT_MS: positiveInt('the video API timeout in milliseconds'),
  LOG_LEVEL: logLevel,
};

/** Variables of the command registration script (`npm run deploy-commands`). */
const discordShape = {
  DISCORD_TOKEN: z.string().trim().min(1, 'is required: the bot token from the Discord developer portal'),
  DISCORD_API_URL: httpUrl('the Discord REST base URL, e.g. https://discord.com/api'),
  LOG_LEVEL: logLevel,
};

const botShape = {
  ...videoApiShape,
  ...discordShape,
  STORE_URL: storeUrl,
  POLL_INTERVAL_MS: positiveInt('the shortest gap between two polls of one task, in milliseconds'),
  POLL_MAX_INTERVAL_MS: positiveInt('the longest gap between two polls of one task, in milliseconds'),
  HTTP_PORT: port,
  REGISTER_COMMANDS: boolean,
  TASK_IDLE_TIMEOUT_MS: positiveInt('how long a task may go without any change, in milliseconds'),
  TASK_MAX_AGE_MS: positiveInt('how long a task may be tracked in all, in milliseconds'),
  MAX_TASKS_PER_USER: positiveInt('the most active tasks one user may track'),
  MAX_TASKS_PER_GUILD: positiveInt('the most active tasks one server may track'),
};

export const DEFAULTS = {
  SORA_BASE_URL: 'https://api.openai.com/v1',
  API_MAX_IN_FLIGHT: '8',
  API_TIMEOUT_MS: '30000',
  LOG_LEVEL: 'info',
  DISCORD_API_URL: 'https://discord.com/api',
  STORE_URL: 'sqlite://data/sora-tracker.sqlite',
  POLL_INTERVAL_MS: '10000',
  POLL_MAX_INTERVAL_MS: '60000',
  HTTP_PORT: '9464',
  REGISTER_COMMANDS: 'false',
  TASK_IDLE_TIMEOUT_MS: String(2 * 60 * 60 * 1000),
  TASK_MAX_AGE_MS: String(24 * 60 * 60 * 1000),
  MAX_TASKS_PER_USER: '25',
  MAX_TASKS_PER_GUILD: '500',
} as const;

export interface VideoApiConfig {
  apiKey: string;
  baseUrl: string;
  maxInFlight: number;
  timeoutMs: number;
  logLevel: z.infer<typeof logLevel>;
}

export interface BotConfig extends VideoApiConfig {
  discordToken: string;
  discordApiUrl: string;
  storeUrl: string;
  pollIntervalMs: number;
  pollMaxIntervalMs: number;
  httpPort: number;
  registerCommands: boolean;
  taskIdleTimeoutMs: number;
  taskMaxAgeMs: number;
  maxTasksPerUser: number;
  maxTasksPerGuild: number;
}

/** Raised for a missing or malformed variable; `message` is the one line an operator sees. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    expectation: string,
  ) {
    super(`Configuration error: ${variable} ${expectation}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** What to say when a required variable is missing altogether. */
const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  SORA_API_KEY: 'is required: the API key of your video API or relay (OPENAI_API_KEY also works)',
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
  return {
    apiKey: raw.SORA_API_KEY,
    baseUrl: raw.SORA_BASE_URL,
    maxInFlight: raw.API_MAX_IN_FLIGHT,
    timeoutMs: raw.API_TIMEOUT_MS,
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
  return { discordToken: raw.DISCORD_TOKEN, discordApiUrl: raw.DISCORD_API_URL, logLevel: raw.LOG_LEVEL };
}

export function loadBotConfig(env: Env): BotConfig {
  const raw = parse(botShape, env);
  if (raw.POLL_MAX_INTERVAL_MS < raw.POLL_INTERVAL_MS) {
    throw new ConfigError(
      'POLL_MAX_INTERVAL_MS',
      `expected at least POLL_INTERVAL_MS (${raw.POLL_INTERVAL_MS})`,
    );
  }
  return {
    ...loadVideoApiConfig(env),
    discordToken: raw.DISCORD_TOKEN,
    discordApiUrl: raw.DISCORD_API_URL,
    storeUrl: raw.STORE_URL,
    pollIntervalMs: raw.POLL_INTERVAL_MS,
    pollMaxIntervalMs: raw.POLL_MAX_INTERVAL_MS,
    httpPort: raw.HTTP_PORT,
    registerCommands: raw.REGISTER_COMMANDS,
    taskIdleTimeoutMs: raw.TASK_IDLE_TIMEOUT_MS,
    taskMaxAgeMs: raw.TASK_MAX_AGE_MS,
    maxTasksPerUser: raw.MAX_TASKS_PER_USER,
    maxTasksPerGuild: raw.MAX_TASKS_PER_GUILD,
  };
}
