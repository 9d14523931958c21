import { Client, GatewayIntentBits, Options, Status } from 'discord.js';
import type { ShardRef } from '../cluster/shard-ref.js';
import type { Logger } from '../ops/logger.js';
import { REST_TIMEOUT_MS, sizedRestTimeouts } from './rest-timeouts.js';

/**
 * The discord.js client of one shard: one gateway connection (this shard's guilds and, on shard 0, DMs),
 * REST on `apiUrl` (answers within `restTimeoutMs`, uploads given more by their size), no mentions unless
 * a payload asks, and no message cache.
 */
export function createDiscordClient(options: {
  shard: ShardRef;
  apiUrl: string;
  restTimeoutMs?: number;
}): Client {
  const { shard, apiUrl } = options;
  return new Client({
    intents: [GatewayIntentBits.Guilds],
    // Explicit, so the SHARDS and SHARD_COUNT that discord.js's ShardingManager sets never disagree
    // with the configuration.
    shards: [shard.id],
    shardCount: shard.count,
    rest: { api: apiUrl, ...sizedRestTimeouts(options.restTimeoutMs ?? REST_TIMEOUT_MS) },
    // Nothing the bot sends may ping anyone unless a payload says so explicitly.
    allowedMentions: { parse: [] },
    enforceNonce: true,
    // The bot edits messages by id and never reads them back: caching messages only costs memory.
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      PresenceManager: 0,
      ReactionManager: 0,
      ThreadMemberManager: 0,
    }),
  });
}

/** The gateway connection's status name, e.g. `Ready`. */
export function gatewayStatus(client: Client): string {
  return Status[client.ws.status] ?? String(client.ws.status);
}

export function isGatewayReady(client: Client): boolean {
  return client.ws.status === Status.Ready;
}

/** Logs what the client reports about itself: errors, warnings, gateway disconnects and resumes. */
export function logClientEvents(client: Client, logger: Logger): void {
  client.on('error', (error) => logger.error({ err: error }, 'discord client error'));
  client.on('warn', (message) => logger.warn({ message }, 'discord client warning'));
  client.on('shardDisconnect', (event, shardId) =>
    logger.warn({ shardId, code: event.code }, 'gateway disconnected'),
  );
  client.on('shardResume', (shardId) => logger.info({ shardId }, 'gateway resumed'));
}
