/**
 * Everything the demo runs, in this one process and on 127.0.0.1 only: the local Discord (a fake of
 * Discord's REST API and gateway), the fake video API, and the real bot configured against both.
 */
import type { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.js';
import { soraCommand } from '../../src/discord/commands/definitions.js';
import { loadBotConfig } from '../../src/config.js';
import { createLogger } from '../../src/ops/logger.js';
import {
  startFakeDiscord,
  type FakeChannel,
  type FakeDiscord,
  type FakeGuild,
  type FakeUser,
} from '../../testkit/fake-discord/index.js';
import { startFakeVideoApi, type FakeVideoApi } from '../../testkit/fake-video-api/index.js';

/** The fake API accepts this key and the bot sends it; it opens nothing anywhere else. */
const LOCAL_API_KEY = 'sk-local-demo-key-not-a-secret';

export interface DemoStack {
  discord: FakeDiscord;
  api: FakeVideoApi;
  guild: FakeGuild;
  channel: FakeChannel;
  alice: FakeUser;
  app: App;
  /** The bot's settings that matter for the story. */
  pollIntervalMs: number;
  pollMaxIntervalMs: number;
  close(): Promise<void>;
}

export interface DemoStackOptions {
  guildName: string;
  channelName: string;
  userName: string;
  botName: string;
  logLevel: 'silent' | 'debug' | 'info';
  /** Where the bot's JSON log lines go. */
  logDestination: Writable;
  /** How long to wait for the bot to connect and register its command. */
  readyTimeoutMs: number;
}

export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const discord = await startFakeDiscord({ botName: options.botName });
    closers.push(() => discord.close());
    const api = await startFakeVideoApi({ apiKey: LOCAL_API_KEY });
    closers.push(() => api.close());

    const alice = discord.world.user({ username: options.userName });
    const guild = discord.world.guild({ name: options.guildName, members: [alice] });
    const channel = discord.world.textChannel(guild, { name: options.channelName });

    // Only literal settings: nothing from the caller's environment (a real token, a real store) leaks in.
    const config = loadBotConfig({
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      SORA_API_KEY: LOCAL_API_KEY,
      SORA_BASE_URL: api.baseUrl,
      // The fake's "CDN" is another origin on 127.0.0.1.
      ALLOW_PRIVATE_VIDEO_URLS: 'true',
      STORE_URL: 'memory://',
      // Production polls every 10–60 s; the demo's task lasts seconds.
      POLL_INTERVAL_MS: '500',
      POLL_MAX_INTERVAL_MS: '1000',
      API_TIMEOUT_MS: '5000',
      HTTP_PORT: '0',
      REGISTER_COMMANDS: 'true',
      LOG_LEVEL: options.logLevel,
    });
    const logger = createLogger({
      level: config.logLevel,
      secrets: [config.apiKey, config.discordToken],
      destination: options.logDestination,
    });
    const app = await createApp({ config, logger });
    closers.push(() => app.stop({ graceMs: 2_000 }));
    await app.start();
    // Ready once /sora is registered: the bot does that right after connecting to the gateway.
    await discord.waitFor(
      () => discord.commands.global().some((command) => command.name === soraCommand.name),
      {
        timeoutMs: options.readyTimeoutMs,
        description: 'the bot to connect and register /sora',
      },
    );

    return {
      discord,
      api,
      guild,
      channel,
      alice,
      app,
      pollIntervalMs: config.pollIntervalMs,
      pollMaxIntervalMs: config.pollMaxIntervalMs,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
