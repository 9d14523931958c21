/**
 * Runs the local Discord as its own process, with a small demo world:
 *
 *   npx tsx testkit/fake-discord/main.ts [--port 8787]
 *
 * prints `DISCORD_API_URL=…` and `DISCORD_TOKEN=…` (export them for the bot) and the ids of the demo
 * guild, channel and user; drive it through the control API described in control.ts. Stops on Ctrl-C.
 */
import { startFakeDiscord } from './index.js';

function portArgument(): number {
  const at = process.argv.indexOf('--port');
  const value = at >= 0 ? Number(process.argv[at + 1]) : 0;
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

const discord = await startFakeDiscord({ port: portArgument() });
const alice = discord.world.user({ username: 'alice' });
const guild = discord.world.guild({ name: 'Demo Server', members: [alice] });
const channel = discord.world.textChannel(guild, { name: 'renders' });

console.log(`DISCORD_API_URL=${discord.apiUrl}`);
console.log(`DISCORD_TOKEN=${discord.token}`);
console.log(
  `# guild ${guild.id} (${guild.name}), channel ${channel.id} (#${channel.name}), user ${alice.id} (alice)`,
);
console.log(`# control API: ${discord.origin}/_fake/state`);

const stop = () => {
  void discord.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
