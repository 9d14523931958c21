import { Routes, type Client } from 'discord.js';
import type { Logger } from '../../ops/logger.js';
import { soraCommandDefinitions } from './definitions.js';

/** Registers /sora for the whole application (every guild, every shard); nothing before the client is ready. */
export async function registerCommandsGlobally(client: Client, logger: Logger): Promise<void> {
  const applicationId = client.application?.id;
  if (!applicationId) return;
  await client.rest.put(Routes.applicationCommands(applicationId), { body: soraCommandDefinitions });
  logger.info({ commands: soraCommandDefinitions.length }, 'slash commands registered globally');
}
