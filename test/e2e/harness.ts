/**
 * The whole bot against the local Discord and the fake video API, as a user meets it: a real discord.js
 * client logged in to the fake, slash commands typed by fake users, and what people saw read back from
 * the fake's message history.
 */
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadBotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import { soraCommand } from '../../src/discord/commands/definitions.js';
import {
  startFakeDiscord,
  type FakeChannel,
  type FakeDiscord,
  type FakeGuild,
  type FakeUser,
} from '../../testkit/fake-discord/index.js';
import type { FakeMessage } from '../../testkit/fake-discord/index.js';
import { startFakeVideoApi, type FakeVideoApi } from '../../testkit/fake-video-api/index.js';
import type { Clock } from '../../src/scheduling/clock.js';

export const API_KEY = 'sk-e2e-test-key-0123456789abcdef';

export interface Stack {
  discord: FakeDiscord;
  api: FakeVideoApi;
  guild: FakeGuild;
  channel: FakeChannel;
  alice: FakeUser;
  bob: FakeUser;
  /** Every log line the bot wrote (JSON). */
  logs: string[];
  env: Record<string, string>;
  dataDir: string;
  app: App | undefined;
  /** Starts (or restarts) the bot in this process on the stack's store; `clock`: the bot's own (default the system's). */
  startBot(overrides?: Record<string, string>, options?: { clock?: Clock }): Promise<App>;
  stopBot(): Promise<void>;
  /** `/sora <subcommand>` typed by `user` in `channel`. */
  sora(
    subcommand: 'track' | 'status' | 'untrack' | 'list',
    options?: Record<string, string | boolean>,
    who?: { user?: FakeUser; channel?: FakeChannel; locale?: string },
  ): ReturnType<FakeDiscord['interactions']['command']>;
  /** The bot's messages people can see in a channel (not ephemeral, not deleted). */
  botMessages(channel?: FakeChannel): FakeMessage[];
  /** The progress messages among them (the result messages are replies). */
  progressMessages(channel?: FakeChannel): FakeMessage[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Builds a stack per test and tears down everything it opened. Call at module level. */
export function useStack() {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  return async function createStack(
    options: {
      guildLocale?: string;
      store?: 'sqlite' | 'memory';
      /** The fake API's clock: a manual one lets a test move tasks on exactly when it wants. */
      apiClock?: Clock;
      /** Hold the bot to the relay documents' required headers (default true: see strict-headers.ts). */
      strictHeaders?: boolean;
    } = {},
  ): Promise<Stack> {
    const discord = await startFakeDiscord();
    cleanups.push(() => discord.close());
    const api = await startFakeVideoApi({
      apiKey: API_KEY,
      strictHeaders: options.strictHeaders ?? true,
      ...(options.apiClock ? { clock: options.apiClock } : {}),
    });
    cleanups.push(() => api.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'sora-e2e-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    const alice = discord.world.user({ username: 'alice' });
    const bob = discord.world.user({ username: 'bob' });
    const guild = discord.world.guild({
      name: 'Studio',
      locale: options.guildLocale ?? 'en-US',
      members: [alice, bob],
    });
    const channel = discord.world.textChannel(guild, { name: 'renders' });

    const logs: string[] = [];
    const env: Record<string, string> = {
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      SORA_API_KEY: API_KEY,
      SORA_BASE_URL: api.baseUrl,
      // The fake's "CDN" is another origin on 127.0.0.1.
      ALLOW_PRIVATE_VIDEO_URLS: 'true',
      STORE_URL: options.store === 'memory' ? 'memory://' : `sqlite://${join(dataDir, 'store.sqlite')}`,
      POLL_INTERVAL_MS: '100',
      POLL_MAX_INTERVAL_MS: '400',
      API_TIMEOUT_MS: '2000',
      HTTP_PORT: '0',
      REGISTER_COMMANDS: 'true',
      LOG_LEVEL: 'debug',
      // The stack's own folder: a bot of another test never sweeps this one's downloads.
      DOWNLOAD_DIR: join(dataDir, 'downloads'),
    };

    const stack: Stack = {
      discord,
      api,
      guild,
      channel,
      alice,
      bob,
      logs,
      env,
      dataDir,
      app: undefined,
      async startBot(overrides = {}, botOptions = {}) {
        const config = loadBotConfig({ ...env, ...overrides });
        const logger = createLogger({
          level: config.logLevel,
          secrets: [config.apiKey, config.discordToken],
          destination: new Writable({
            write(chunk: Buffer, _encoding, callback) {
              logs.push(chunk.toString());
              callback();
            },
          }),
        });
        const app = await createApp({ config, logger, ...botOptions });
        stack.app = app;
        await app.start();
        // Ready once the command is registered (REGISTER_COMMANDS=true registers it after the gateway).
        await discord.waitFor(() => discord.commands.global().some((c) => c.name === soraCommand.name), {
          description: 'the bot to register /sora',
        });
        return app;
      },
      async stopBot() {
        const app = stack.app;
        stack.app = undefined;
        await app?.stop({ graceMs: 2_000 });
      },
      sora(subcommand, opts = {}, who = {}) {
        return discord.interactions.command({
          user: who.user ?? alice,
          channel: who.channel ?? channel,
          name: 'sora',
          subcommand,
          options: opts,
          ...(who.locale ? { locale: who.locale } : {}),
        });
      },
      botMessages(target = channel) {
        return discord.messages
          .visibleIn(target)
          .filter((m) => m.authorId === discord.bot.id && !m.webhookId);
      },
      progressMessages(target = channel) {
        return stack.botMessages(target).filter((m) => !m.versions[0]?.messageReference);
      },
    };
    cleanups.push(() => stack.stopBot());
    return stack;
  };
}

/** The text of an embed-only message version, for readable assertions. */
export function embedText(message: FakeMessage, version = message.current): string {
  return version.embeds
    .map((embed) => {
      const e = embed as {
        title?: string;
        description?: string;
        fields?: { name: string; value: string }[];
        footer?: { text: string };
      };
      return [e.title, e.description, ...(e.fields ?? []).map((f) => `${f.name}: ${f.value}`), e.footer?.text]
        .filter(Boolean)
        .join('\n');
    })
    .join('\n---\n');
}
