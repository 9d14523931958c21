import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  DiscordAPIError,
  Events,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type Client,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../../testkit/clock/manual-clock.js';
import { useFakeDiscord } from '../../../../testkit/fake-discord/harness.js';
import { CallbackType, MessageFlag } from '../../../../testkit/fake-discord/constants.js';

const fake = useFakeDiscord();

const sora = new SlashCommandBuilder()
  .setName('sora')
  .setDescription('Track Sora videos')
  .addSubcommand((sub) =>
    sub
      .setName('track')
      .setDescription('Track a task')
      .addStringOption((o) =>
        o.setName('id').setDescription('Task id').setRequired(true).setAutocomplete(true),
      )
      .addBooleanOption((o) => o.setName('notify').setDescription('DM me when done')),
  );

async function world(options: Parameters<typeof fake.start>[0] = {}) {
  const discord = await fake.start(options);
  const alice = discord.world.user({ username: 'alice', locale: 'en-US' });
  const guild = discord.world.guild({ name: 'Studio', locale: 'en-GB', members: [alice] });
  const channel = discord.world.textChannel(guild, { name: 'renders' });
  const client = await fake.connect(discord);
  await client.application.commands.set([sora.toJSON()]);
  return { discord, alice, guild, channel, client };
}

/** Runs `handler` for the next slash command and reports what it threw, if anything. */
function onNextCommand(
  client: Client,
  handler: (interaction: ChatInputCommandInteraction) => Promise<unknown>,
) {
  return new Promise<unknown>((resolve) => {
    client.once(Events.InteractionCreate, (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      handler(interaction).then(
        () => resolve(undefined),
        (error: unknown) => resolve(error),
      );
    });
  });
}

describe('slash commands', () => {
  it('stores the commands the bot registers and delivers subcommand, options, locale and limits', async () => {
    const { discord, alice, channel, client } = await world();
    expect(discord.commands.global().map((c) => c.name)).toEqual(['sora']);
    const seen = new Promise<ChatInputCommandInteraction>((resolve) =>
      client.once(Events.InteractionCreate, (i) => {
        if (i.isChatInputCommand()) resolve(i);
      }),
    );

    discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'task_123', notify: true },
      locale: 'zh-CN',
      attachmentSizeLimit: 8 * 1024 * 1024,
    });
    const interaction = await seen;

    expect(interaction.commandName).toBe('sora');
    expect(interaction.commandId).toBe(discord.commands.global()[0]?.id);
    expect(interaction.options.getSubcommand()).toBe('track');
    expect(interaction.options.getString('id')).toBe('task_123');
    expect(interaction.options.getBoolean('notify')).toBe(true);
    expect(interaction.locale).toBe('zh-CN');
    expect(interaction.guildLocale).toBe('en-GB');
    expect(interaction.attachmentSizeLimit).toBe(8 * 1024 * 1024);
    expect(interaction.user.id).toBe(alice.id);
    expect(interaction.appPermissions.has(PermissionFlagsBits.SendMessages)).toBe(true);
  });

  it('stores guild commands apart from global ones, keeps ids on overwrite, and prefers them in that guild', async () => {
    const { discord, alice, guild, channel, client } = await world();
    const dev = new SlashCommandBuilder()
      .setName('sora')
      .setDescription('Development build')
      .addSubcommand((sub) => sub.setName('list').setDescription('List tracked tasks'));
    const [first] = (await client.application.commands.set([dev.toJSON()], guild.id)).values();
    const [again] = (await client.application.commands.set([dev.toJSON()], guild.id)).values();
    const seen = new Promise<string | null>((resolve) =>
      client.once(Events.InteractionCreate, (i) => {
        if (i.isChatInputCommand()) resolve(i.commandGuildId);
      }),
    );

    discord.interactions.command({ user: alice, channel, name: 'sora', subcommand: 'list' });

    expect(discord.commands.guild(guild).map((c) => c.description)).toEqual(['Development build']);
    expect(discord.commands.global().map((c) => c.description)).toEqual(['Track Sora videos']);
    expect(again?.id).toBe(first?.id);
    expect(await seen).toBe(guild.id);
  });

  it('computes app_permissions from the bot’s permissions in the channel, unless the test overrides them', async () => {
    const { discord, alice, guild, client } = await world();
    const readOnly = discord.world.textChannel(guild, {
      botPermissions: ['ViewChannel', 'ReadMessageHistory'],
    });
    const permissions: bigint[] = [];
    client.on(Events.InteractionCreate, (i) => {
      permissions.push(i.appPermissions.bitfield);
    });

    discord.interactions.command({
      user: alice,
      channel: readOnly,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'a' },
    });
    discord.interactions.command({
      user: alice,
      channel: readOnly,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'b' },
      appPermissions: ['ViewChannel', 'SendMessages'],
    });
    await discord.waitFor(() => permissions.length === 2);

    expect(permissions[0]).toBe(PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory);
    expect(permissions[1]).toBe(PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages);
  });

  it('delivers a command sent in the bot’s DMs, with the user and no guild', async () => {
    const { discord, alice, client } = await world();
    const dm = discord.world.dmChannel(alice);
    const replied = onNextCommand(client, async (i) => {
      expect(i.inGuild()).toBe(false);
      expect(i.context).toBe(InteractionContextType.BotDM);
      expect(i.user.id).toBe(alice.id);
      await i.reply('Tracking in DMs');
    });

    discord.interactions.command({
      user: alice,
      channel: dm,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'x' },
    });

    expect(await replied).toBeUndefined();
    expect(discord.messages.dmsTo(alice).map((m) => m.current.content)).toEqual(['Tracking in DMs']);
  });

  it('refuses to invoke a subcommand or option the bot never registered', async () => {
    const { discord, alice, channel } = await world();
    expect(() =>
      discord.interactions.command({ user: alice, channel, name: 'sora', subcommand: 'delete', options: {} }),
    ).toThrow(/no subcommand/);
    expect(() =>
      discord.interactions.command({
        user: alice,
        channel,
        name: 'sora',
        subcommand: 'track',
        options: { id: 'x', colour: 'red' },
      }),
    ).toThrow(/no option "colour"/);
  });

  it('records a reply with its type, content, embeds, ephemeral flag and time', async () => {
    const clock = createManualClock();
    const { discord, alice, channel, client } = await world({ clock });
    void onNextCommand(client, (i) =>
      i.reply({ content: 'Tracking task_123', embeds: [{ title: 'Queued' }], flags: MessageFlags.Ephemeral }),
    );

    const command = discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'task_123' },
    });
    const response = await command.response();

    expect(response.type).toBe(CallbackType.ChannelMessageWithSource);
    expect(response.ephemeral).toBe(true);
    expect(response.at).toBe(clock.now());
    const reply = command.original()!;
    expect(reply.current.content).toBe('Tracking task_123');
    expect(reply.current.embeds[0]?.title).toBe('Queued');
    expect(reply.ephemeralTo).toBe(alice.id);
    // Ephemeral: nobody else sees it in the channel.
    expect(discord.messages.visibleIn(channel)).toEqual([]);
  });

  it('shows "thinking…" after a defer, then the edited reply; follow-ups are separate messages', async () => {
    const { discord, alice, channel, client } = await world();
    let release!: () => void;
    const edited = new Promise<void>((resolve) => (release = resolve));
    void onNextCommand(client, async (i) => {
      await i.deferReply();
      await edited;
      await i.editReply({ content: 'Progress: 40%' });
      await i.followUp({ content: 'Done!', flags: MessageFlags.Ephemeral });
    });

    const command = discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'x' },
    });
    expect((await command.response()).type).toBe(CallbackType.DeferredChannelMessageWithSource);
    const thinking = await command.waitForOriginal();
    expect(thinking.current.flags & MessageFlag.Loading).toBe(MessageFlag.Loading);
    release();

    const reply = await command.waitForOriginal((m) => m.current.content === 'Progress: 40%');
    const followUp = await command.waitForFollowUp();

    expect(reply.versions.map((v) => [v.content, v.flags & MessageFlag.Loading])).toEqual([
      ['', MessageFlag.Loading],
      ['Progress: 40%', 0],
    ]);
    expect(followUp.current.content).toBe('Done!');
    expect(followUp.ephemeral).toBe(true);
    expect(discord.messages.visibleIn(channel).map((m) => m.current.content)).toEqual(['Progress: 40%']);
  });

  it('returns the callback resource when asked with_response=true', async () => {
    const { discord, alice, channel, client } = await world();
    const checked = onNextCommand(client, async (i) => {
      const response = await i.reply({ content: 'Queued', withResponse: true });
      expect(response.interaction.responseMessageId).toBe(response.resource?.message?.id);
      expect(response.resource?.message?.content).toBe('Queued');
    });

    const command = discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'x' },
    });

    expect(await checked).toBeUndefined();
    expect(command.original()?.current.content).toBe('Queued');
  });

  it('serves @original by GET and DELETE (it arrives URL-encoded as %40original)', async () => {
    const { discord, alice, channel, client } = await world();
    const done = onNextCommand(client, async (i) => {
      await i.reply('hello');
      const fetched = await i.fetchReply();
      expect(fetched.content).toBe('hello');
      await i.deleteReply();
    });

    const command = discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'x' },
    });

    expect(await done).toBeUndefined();
    expect(command.original()?.deleted).toBe(true);
    expect(
      discord.counters.requests('GET', '/webhooks/:webhook_id/:webhook_token/messages/:message_id'),
    ).toBe(1);
    expect(
      discord.counters.requests('DELETE', '/webhooks/:webhook_id/:webhook_token/messages/:message_id'),
    ).toBe(1);
  });

  it('answers a second callback with 40060', async () => {
    const { discord, alice, channel, client } = await world();
    const outcome = onNextCommand(client, async (i) => {
      await i.deferReply();
      // Pretend discord.js forgot it answered, as two handlers racing on one interaction would.
      i.deferred = false;
      await i.reply('again');
    });

    discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'x' },
    });

    const error = await outcome;
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).code).toBe(RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged);
  });

  it('fails an interaction not answered within 3 s: the late callback gets 404 10062', async () => {
    const clock = createManualClock();
    const { discord, alice, channel, client } = await world({ clock });
    let received!: () => void;
    const busy = new Promise<void>((resolve) => (received = resolve));
    let proceed!: () => void;
    const gate = new Promise<void>((resolve) => (proceed = resolve));
    const outcome = onNextCommand(client, async (i) => {
      received();
      await gate; // the bot does slow work before answering
      await i.deferReply();
    });

    const command = discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'x' },
    });
    await busy;
    await clock.advance(3001);
    await command.failed();
    proceed();

    const error = await outcome;
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).status).toBe(404);
    expect((error as DiscordAPIError).code).toBe(RESTJSONErrorCodes.UnknownInteraction);
    expect(command.status()).toBe('failed');
  });

  it('lets the token work for 15 minutes, then answers 401 50027 without logging the bot out', async () => {
    const clock = createManualClock();
    const { discord, alice, channel, client } = await world({ clock });
    let fourteenMinutesLater!: () => void;
    const first = new Promise<void>((resolve) => (fourteenMinutesLater = resolve));
    let fifteenMinutesLater!: () => void;
    const second = new Promise<void>((resolve) => (fifteenMinutesLater = resolve));
    const outcome = onNextCommand(client, async (i) => {
      await i.deferReply();
      await first;
      await i.editReply('14 minutes in');
      await second;
      await i.editReply('too late');
    });

    const command = discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'x' },
    });
    await command.response();
    await clock.advance(14 * 60_000);
    fourteenMinutesLater();
    await command.waitForOriginal((m) => m.current.content === '14 minutes in');
    await clock.advance(60_001);
    fifteenMinutesLater();

    const error = await outcome;
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).status).toBe(401);
    expect((error as DiscordAPIError).code).toBe(RESTJSONErrorCodes.InvalidWebhookToken);
    expect(command.original()?.current.content).toBe('14 minutes in');
    // A 401 on a webhook route (auth: false) must not clear the bot's token.
    const sent = await client.channels.fetch(channel.id);
    expect(sent?.id).toBe(channel.id);
  });

  it('accepts a multipart callback and enforces attachment_size_limit with 413 40005', async () => {
    const { discord, alice, channel, client } = await world();
    const small = Buffer.from('small video bytes');
    const outcome = onNextCommand(client, async (i) => {
      await i.reply({ files: [{ attachment: small, name: 'clip.mp4' }] });
      await i.followUp({ files: [{ attachment: Buffer.alloc(2048), name: 'big.mp4' }] });
    });

    const command = discord.interactions.command({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'x' },
      attachmentSizeLimit: 1024,
    });

    const error = await outcome;
    expect(command.original()?.current.attachments[0]?.data.equals(small)).toBe(true);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).status).toBe(413);
    expect((error as DiscordAPIError).code).toBe(RESTJSONErrorCodes.RequestEntityTooLarge);
  });
});

describe('autocomplete and buttons', () => {
  it('sends the focused option and records the choices', async () => {
    const { discord, alice, channel, client } = await world();
    client.once(Events.InteractionCreate, (i) => {
      if (!i.isAutocomplete()) return;
      const typed = i.options.getFocused(true);
      void i.respond([{ name: `${typed.name}: ${typed.value}_1`, value: `${typed.value}_1` }]);
    });

    const typing = discord.interactions.autocomplete({
      user: alice,
      channel,
      name: 'sora',
      subcommand: 'track',
      options: { id: 'task' },
      focused: 'id',
    });
    const response = await typing.response();

    expect(response.type).toBe(CallbackType.AutocompleteResult);
    expect(response.choices).toEqual([{ name: 'id: task_1', value: 'task_1' }]);
  });

  it('delivers a click on a button of the bot’s message; the bot updates that message', async () => {
    const { discord, alice, channel, client } = await world();
    const sendable = await client.channels.fetch(channel.id);
    if (!sendable?.isSendable()) throw new Error('channel not sendable');
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder()
        .setCustomId('notify:task_1')
        .setLabel('🔔 Notify me')
        .setStyle(ButtonStyle.Secondary),
    );
    const posted = await sendable.send({ content: 'Progress 10%', components: [row] });
    client.once(Events.InteractionCreate, (i) => {
      if (i.isButton()) void i.update({ content: `Progress 10% (notifying ${i.user.username})` });
    });

    const click = discord.interactions.button({
      user: alice,
      message: discord.messages.get(posted.id)!,
      customId: 'notify:task_1',
    });
    const response = await click.response();

    expect(response.type).toBe(CallbackType.UpdateMessage);
    expect(discord.messages.get(posted.id)?.versions.map((v) => v.content)).toEqual([
      'Progress 10%',
      'Progress 10% (notifying alice)',
    ]);
    expect(() =>
      discord.interactions.button({
        user: alice,
        message: discord.messages.get(posted.id)!,
        customId: 'nope',
      }),
    ).toThrow(/no button/);
  });
});
