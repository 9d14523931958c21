/**
 * Registers the /sora command with Discord.
 *   npm run deploy-commands                 → globally (can take up to an hour to show everywhere)
 *   npm run deploy-commands -- --guild <id> → to one server at once, for development
 * Reads DISCORD_TOKEN and DISCORD_API_URL. Exit code 0 on success, 1 on failure.
 */
import { REST, Routes, type RESTGetCurrentApplicationResult } from 'discord.js';
import { soraCommandDefinitions } from '../discord/commands/definitions.js';
import { ConfigError, loadDiscordConfig } from '../config.js';

function guildArgument(argv: readonly string[]): string | undefined {
  const index = argv.indexOf('--guild');
  if (index === -1) return undefined;
  const guildId = argv[index + 1];
  if (!guildId || !/^\d{17,20}$/.test(guildId)) {
    throw new Error('--guild needs a server id (17–20 digits; right-click the server → Copy Server ID)');
  }
  return guildId;
}

async function main(): Promise<number> {
  try {
    const config = loadDiscordConfig(process.env);
    const guildId = guildArgument(process.argv.slice(2));
    const rest = new REST({ api: config.discordApiUrl }).setToken(config.discordToken);
    const application = (await rest.get(Routes.currentApplication())) as RESTGetCurrentApplicationResult;
    const route = guildId
      ? Routes.applicationGuildCommands(application.id, guildId)
      : Routes.applicationCommands(application.id);
    await rest.put(route, { body: soraCommandDefinitions });
    console.log(
      guildId
        ? `Registered ${soraCommandDefinitions.length} command(s) in server ${guildId}.`
        : `Registered ${soraCommandDefinitions.length} command(s) globally (Discord may take up to an hour to show them).`,
    );
    return 0;
  } catch (error) {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
    console.error(`Could not register commands: ${message}`);
    return 1;
  }
}

process.exitCode = await main();
