// The walk-through in README.md, kept runnable so the documentation cannot drift from the code.
import { Events, MessageFlags, type Client, type Interaction } from 'discord.js';
import { afterEach, expect, it } from 'vitest';
import { createManualClock } from '../../../../testkit/clock/manual-clock.js';
import { connectClient } from '../../../../testkit/fake-discord/client.js';
import { startFakeDiscord, type FakeDiscord } from '../../../../testkit/fake-discord/index.js';

let discord: FakeDiscord | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.destroy();
  await discord?.close();
});

/** A stand-in for the real bot: defer, post a progress message, edit it, point the user to it. */
function tinyBot(bot: Client) {
  bot.on(Events.InteractionCreate, (interaction) => void track(interaction));
  async function track(interaction: Interaction) {
    if (!interaction.isChatInputCommand() || !interaction.channel?.isSendable()) return;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const id = interaction.options.getString('id', true);
    const progress = await interaction.channel.send({
      embeds: [{ title: id, description: 'Queued' }],
      allowedMentions: { parse: [] },
    });
    await progress.edit({ embeds: [{ title: id, description: '40%' }], allowedMentions: { parse: [] } });
    await interaction.editReply(`Tracking ${id}: ${progress.url}`);
  }
}

it('runs the README walk-through', async () => {
  // 1. A world: a server with a channel and a member; the fake's clock moves only when told to.
  const clock = createManualClock();
  discord = await startFakeDiscord({ clock });
  const alice = discord.world.user({ username: 'alice', locale: 'zh-CN' });
  const guild = discord.world.guild({ name: 'Studio', premiumTier: 2, members: [alice] });
  const renders = discord.world.textChannel(guild, {
    name: 'renders',
    botPermissions: ['ViewChannel', 'SendMessages', 'EmbedLinks', 'ReadMessageHistory'],
  });

  // 2. The bot, configured as in production but for the REST base (DISCORD_API_URL = discord.apiUrl).
  client = await connectClient(discord);
  tinyBot(client);

  // 3. A user runs /sora track id:task_123.
  const command = discord.interactions.command({
    user: alice,
    channel: renders,
    name: 'sora',
    subcommand: 'track',
    options: { id: 'task_123' },
  });
  const first = await command.response();
  expect(first).toMatchObject({ type: 5, ephemeral: true, at: clock.now() });
  const reply = await command.waitForOriginal((m) => m.current.content.startsWith('Tracking'));

  // 4. What people saw: the progress message, version by version, and who was pinged.
  const [progress] = discord.messages.visibleIn(renders);
  expect(progress?.versions.map((v) => v.embeds[0]?.description)).toEqual(['Queued', '40%']);
  expect(progress?.current.pings).toEqual({ users: [], roles: [], everyone: false });
  expect(reply.current.content).toContain(progress?.id);
  expect(reply.ephemeralTo).toBe(alice.id);

  // 5. Nothing unexpected: no 429, no unknown route.
  expect(discord.counters.rateLimited()).toEqual({ user: 0, global: 0, shared: 0 });
  expect(discord.counters.unknownRoutes()).toEqual([]);
  expect(discord.counters.requestsByRoute()).toMatchObject({
    'POST /interactions/:interaction_id/:interaction_token/callback': 1,
    'POST /channels/:channel_id/messages': 1,
    'PATCH /channels/:channel_id/messages/:message_id': 1,
  });
});
