import { Events, PermissionFlagsBits, ShardClientUtil } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../../testkit/clock/manual-clock.js';
import { useFakeDiscord } from '../../../../testkit/fake-discord/harness.js';
import { shardForGuild } from '../../../../testkit/fake-discord/snowflake.js';

const fake = useFakeDiscord();

describe('gateway', () => {
  it('gets a real discord.js client ready with every guild, its channels, roles and members', async () => {
    const discord = await fake.start();
    const alice = discord.world.user({ username: 'alice' });
    const studio = discord.world.guild({ name: 'Studio', premiumTier: 2, locale: 'zh-CN', members: [alice] });
    const renders = discord.world.textChannel(studio, { name: 'renders' });
    const editor = discord.world.role(studio, { name: 'editor', permissions: ['ManageMessages'] });
    discord.world.member(studio, discord.world.user({ username: 'bob' }), { roles: [editor] });

    const client = await fake.connect(discord);

    expect(client.user.id).toBe(discord.bot.id);
    expect(client.application.id).toBe(discord.application.id);
    const guild = client.guilds.cache.get(studio.id)!;
    expect(guild.name).toBe('Studio');
    expect(guild.premiumTier).toBe(2);
    expect(guild.preferredLocale).toBe('zh-CN');
    expect(guild.channels.cache.get(renders.id)?.name).toBe('renders');
    expect(guild.roles.cache.get(editor.id)?.permissions.has(PermissionFlagsBits.ManageMessages)).toBe(true);
    expect(guild.members.cache.get(alice.id)?.user.username).toBe('alice');
    expect(guild.members.me?.id).toBe(discord.bot.id);
    for (const id of [client.user.id, guild.id, renders.id, editor.id]) expect(id).toMatch(/^\d{17,19}$/);
  });

  it('numbers dispatches with strictly increasing sequence numbers, READY first', async () => {
    const discord = await fake.start();
    discord.world.guild();
    discord.world.guild();
    await fake.connect(discord);
    const [session] = discord.gateway.sessions();
    const sent = discord.gateway.sent(session!.id);
    expect(sent.map((d) => d.t)).toEqual(['READY', 'GUILD_CREATE', 'GUILD_CREATE']);
    expect(sent.map((d) => d.s)).toEqual([1, 2, 3]);
  });

  it('keeps the client in sync with the world: a permission change arrives as CHANNEL_UPDATE', async () => {
    const discord = await fake.start();
    const guild = discord.world.guild();
    const channel = discord.world.textChannel(guild);
    const client = await fake.connect(discord);
    const updated = new Promise((resolve) => client.once(Events.ChannelUpdate, resolve));

    discord.world.setBotPermissions(channel, ['ViewChannel']);
    await updated;

    const cached = client.channels.cache.get(channel.id);
    const permissions = cached && 'permissionsFor' in cached ? cached.permissionsFor(client.user) : null;
    expect(permissions?.has(PermissionFlagsBits.ViewChannel)).toBe(true);
    expect(permissions?.has(PermissionFlagsBits.SendMessages)).toBe(false);
  });

  it('lets a client resume after a dropped connection and replays the events it missed', async () => {
    const clock = createManualClock();
    const discord = await fake.start({ clock });
    const alice = discord.world.user();
    const guild = discord.world.guild({ members: [alice] });
    const channel = discord.world.textChannel(guild);
    const client = await fake.connect(discord);
    client.on(Events.InteractionCreate, (interaction) => {
      if (interaction.isChatInputCommand()) void interaction.reply('still here');
    });
    const [before] = discord.gateway.sessions();
    const resumed = new Promise<number>((resolve) =>
      client.once(Events.ShardResume, (_id, replayed) => resolve(replayed)),
    );

    expect(discord.gateway.drop()).toBe(1);
    // While the bot is away: a channel appears and a user runs a command.
    const late = discord.world.textChannel(guild, { name: 'late' });
    const command = discord.interactions.command({ user: alice, channel, name: 'ping' });

    // discord.js counts RESUMED itself among the replayed events.
    expect(await resumed).toBe(3);
    expect(client.channels.cache.get(late.id)?.id).toBe(late.id);
    expect((await command.response()).data.content).toBe('still here');
    const [after] = discord.gateway.sessions();
    expect(after?.id).toBe(before?.id);
    expect(after?.connected).toBe(true);
  });

  it('withholds heartbeat ACKs: the client notices the zombie connection and resumes', async () => {
    const discord = await fake.start({ heartbeatIntervalMs: 100 });
    discord.world.guild();
    const client = await fake.connect(discord);
    const zombie: string[] = [];
    client.on(Events.Debug, (line) => {
      if (line.includes('Zombie connection')) zombie.push(line);
    });
    const resumed = new Promise((resolve) => client.once(Events.ShardResume, resolve));

    discord.gateway.withholdHeartbeatAcks();
    await resumed;

    expect(zombie.length).toBeGreaterThan(0);
    expect(discord.gateway.sessions()).toHaveLength(1);
  });

  it('answers RESUME of an unknown session with INVALID_SESSION, and the client identifies again', async () => {
    const discord = await fake.start();
    const guild = discord.world.guild({ name: 'Studio' });
    const client = await fake.connect(discord);
    const invalidated: string[] = [];
    client.on(Events.Debug, (line) => {
      if (line.includes('Invalid session')) invalidated.push(line);
    });
    // discord.js spaces IDENTIFYs 5 s apart, so the client is ready again only after a few seconds.
    const readyAgain = new Promise((resolve) => client.once(Events.ShardReady, resolve));
    const [old] = discord.gateway.sessions();

    discord.gateway.drop();
    discord.gateway.invalidateSessions();
    await readyAgain;

    const [fresh] = discord.gateway.sessions();
    expect(fresh?.id).not.toBe(old?.id);
    expect(invalidated.length).toBeGreaterThan(0);
    expect(discord.gateway.sent(fresh!.id)[0]?.t).toBe('READY');
    expect(client.guilds.cache.get(guild.id)?.name).toBe('Studio');
  }, 20_000);

  it('routes each guild to its shard, (guild_id >> 22) % shard_count, one connection per shard', async () => {
    const clock = createManualClock();
    const discord = await fake.start({ clock, maxConcurrency: 2 });
    const alice = discord.world.user();
    const guilds = [];
    // Snowflakes carry their creation time; guilds made a millisecond apart land on different shards.
    for (let i = 0; i < 4; i++) {
      guilds.push(discord.world.guild({ members: [alice] }));
      await clock.advance(1);
    }
    const onShardOne = guilds.find((g) => shardForGuild(g.id, 2) === 1)!;
    const channel = discord.world.textChannel(onShardOne);
    const client = await fake.connect(discord, { shards: [0, 1], shardCount: 2 });
    const seenOnShard = new Promise<number>((resolve) =>
      client.once(Events.InteractionCreate, (interaction) => resolve(interaction.guild!.shardId)),
    );

    discord.interactions.command({ user: alice, channel, name: 'ping' });

    expect(await seenOnShard).toBe(1);
    const sessions = discord.gateway.sessions();
    expect(sessions.map((s) => s.shard).sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    for (const guild of guilds) {
      expect(client.guilds.cache.get(guild.id)?.shardId).toBe(ShardClientUtil.shardIdForGuildId(guild.id, 2));
    }
  });
});
