import { randomBytes } from 'node:crypto';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  DiscordAPIError,
  RESTJSONErrorCodes,
  Routes,
  type Client,
  type SendableChannels,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { rawRequest, useFakeDiscord } from '../../../../testkit/fake-discord/harness.js';
import type { FakeChannel } from '../../../../testkit/fake-discord/index.js';

const fake = useFakeDiscord();
const MiB = 1024 * 1024;

async function world(options: Parameters<typeof fake.start>[0] = {}) {
  const discord = await fake.start(options);
  const alice = discord.world.user({ username: 'alice' });
  const guild = discord.world.guild({ name: 'Studio', members: [alice] });
  const channel = discord.world.textChannel(guild, { name: 'renders' });
  const client = await fake.connect(discord);
  return { discord, alice, guild, channel, client, sendable: await sendableChannel(client, channel) };
}

async function sendableChannel(client: Client, channel: FakeChannel): Promise<SendableChannels> {
  const found = await client.channels.fetch(channel.id);
  if (!found?.isSendable()) throw new Error(`channel ${channel.id} is not sendable`);
  return found;
}

async function apiError(promise: Promise<unknown>): Promise<DiscordAPIError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DiscordAPIError))
    throw new Error(`expected a DiscordAPIError, got ${String(error)}`);
  return error;
}

describe('channel messages', () => {
  it('keeps every version of a message: create, edits, reply, delete', async () => {
    const { discord, channel, sendable } = await world();
    const progress = await sendable.send({
      content: 'Queued',
      embeds: [{ title: 'task_1', description: '0%' }],
      allowedMentions: { parse: [] },
    });
    await progress.edit({ content: 'Running', embeds: [{ title: 'task_1', description: '40%' }] });
    await progress.edit({ embeds: [{ title: 'task_1', description: '100%' }] });
    const result = await progress.reply({ content: 'Here is your video' });
    await progress.delete();

    const stored = discord.messages.get(progress.id)!;
    expect(stored.versions.map((v) => [v.content, v.embeds[0]?.description])).toEqual([
      ['Queued', '0%'],
      ['Running', '40%'],
      ['Running', '100%'],
    ]);
    expect(stored.versions[0]?.allowedMentions).toEqual({ parse: [] });
    expect(stored.deleted).toBe(true);
    expect(discord.messages.get(result.id)?.current.messageReference?.message_id).toBe(progress.id);
    expect(discord.messages.visibleIn(channel).map((m) => m.id)).toEqual([result.id]);
    const fetched = await sendable.messages.fetch({ message: result.id, force: true });
    expect(fetched.reference?.messageId).toBe(progress.id);
  });

  it('records who got pinged, after allowed_mentions', async () => {
    const { discord, alice, sendable } = await world();
    const quiet = await sendable.send({
      content: `<@${alice.id}> @everyone done`,
      allowedMentions: { parse: [] },
    });
    const loud = await sendable.send({ content: `<@${alice.id}> done` });

    expect(discord.messages.get(quiet.id)?.current.pings).toEqual({ users: [], roles: [], everyone: false });
    expect(discord.messages.get(loud.id)?.current.pings.users).toEqual([alice.id]);
  });

  it('keeps uploads byte-exact; on edit the attachments array decides which files stay', async () => {
    const { discord, sendable } = await world();
    const video = randomBytes(64 * 1024);
    const thumb = randomBytes(1000);
    const message = await sendable.send({
      content: 'done',
      files: [
        { attachment: video, name: 'video.mp4' },
        { attachment: thumb, name: 'thumb.png' },
      ],
    });
    const [videoAttachment] = message.attachments.values();

    // Keep the video, drop the thumbnail, add a new file.
    await message.edit({
      attachments: [videoAttachment!],
      files: [{ attachment: Buffer.from('log'), name: 'log.txt' }],
    });
    // discord.js sends only the new files when `attachments` is left out of an edit with files...
    await message.edit({ files: [{ attachment: Buffer.from('v2'), name: 'v2.txt' }] });
    // ...and an edit without files leaves them all alone.
    await message.edit({ content: 'done (edited)' });

    const versions = discord.messages.get(message.id)!.versions;
    expect(versions.map((v) => v.attachments.map((a) => a.filename))).toEqual([
      ['video.mp4', 'thumb.png'],
      ['video.mp4', 'log.txt'],
      ['v2.txt'],
      ['v2.txt'],
    ]);
    expect(versions[0]?.attachments[0]?.data.equals(video)).toBe(true);
    expect(versions[0]?.attachments[1]?.data.equals(thumb)).toBe(true);
    expect(versions[1]?.attachments[0]?.id).toBe(videoAttachment?.id);
    expect(discord.counters.bytesUploaded()).toBe(video.length + thumb.length + 3 + 2);
    // The attachment URL serves the same bytes, like Discord's CDN.
    const downloaded = Buffer.from(await (await fetch(videoAttachment!.url)).arrayBuffer());
    expect(downloaded.equals(video)).toBe(true);
  });

  it('returns the existing message for a repeated nonce with enforce_nonce', async () => {
    const { discord, channel, client } = await world();
    const body = { content: 'result', nonce: 'task_1:result', enforce_nonce: true };
    const first = (await client.rest.post(Routes.channelMessages(channel.id), { body })) as { id: string };
    const again = (await client.rest.post(Routes.channelMessages(channel.id), { body })) as { id: string };

    expect(again.id).toBe(first.id);
    expect(discord.messages.inChannel(channel)).toHaveLength(1);
  });

  it('creates a new message for a repeated nonce once it forgot its nonces, and lists messages after one', async () => {
    const { discord, channel, client } = await world();
    const body = { content: 'result', nonce: 'task_1:result', enforce_nonce: true };
    const first = (await client.rest.post(Routes.channelMessages(channel.id), { body })) as { id: string };
    discord.messages.forgetNonces();
    const again = (await client.rest.post(Routes.channelMessages(channel.id), { body })) as { id: string };

    expect(again.id).not.toBe(first.id);
    const query = new URLSearchParams({ after: first.id, limit: '50' });
    const after = (await client.rest.get(Routes.channelMessages(channel.id), { query })) as { id: string }[];
    expect(after.map((m) => m.id)).toEqual([again.id]);
  });

  it('answers 10008 for a deleted message and 10003 for a deleted channel', async () => {
    const { discord, channel, sendable } = await world();
    const message = await sendable.send('hi');
    await message.delete();
    expect((await apiError(sendable.messages.edit(message.id, 'again'))).code).toBe(
      RESTJSONErrorCodes.UnknownMessage,
    );

    discord.world.deleteChannel(channel);
    const gone = await apiError(sendable.send('hello?'));
    expect(gone.status).toBe(404);
    expect(gone.code).toBe(RESTJSONErrorCodes.UnknownChannel);
  });

  it('answers 50001 without View Channel and 50013 for each missing permission', async () => {
    const { discord, guild, client } = await world();
    const channelWith = async (permissions: Parameters<typeof discord.world.textChannel>[1]) => {
      const channel = discord.world.textChannel(guild, permissions);
      await discord.waitFor(() => client.channels.cache.get(channel.id));
      return { channel, sendable: await sendableChannel(client, channel) };
    };
    const hidden = await channelWith({ botPermissions: [] });
    const readOnly = await channelWith({ botPermissions: ['ViewChannel', 'ReadMessageHistory'] });
    const noEmbeds = await channelWith({
      botPermissions: ['ViewChannel', 'SendMessages', 'ReadMessageHistory'],
    });

    const noAccess = await apiError(
      client.rest.post(Routes.channelMessages(hidden.channel.id), { body: { content: 'x' } }),
    );
    expect([noAccess.status, noAccess.code]).toEqual([403, RESTJSONErrorCodes.MissingAccess]);
    expect((await apiError(readOnly.sendable.send('x'))).code).toBe(RESTJSONErrorCodes.MissingPermissions);
    expect((await apiError(noEmbeds.sendable.send({ embeds: [{ title: 'x' }] }))).code).toBe(
      RESTJSONErrorCodes.MissingPermissions,
    );
    expect(
      (await apiError(noEmbeds.sendable.send({ files: [{ attachment: Buffer.from('x'), name: 'x' }] }))).code,
    ).toBe(RESTJSONErrorCodes.MissingPermissions);
    expect((await noEmbeds.sendable.send('plain text is fine')).content).toBe('plain text is fine');
    expect(discord.counters.invalidRequests()).toBe(4);
  });

  it('refuses only the part of a post a channel overwrite denies: 50013 for a file or an embed, 160002 for a reply', async () => {
    const { discord, guild, channel, sendable } = await world();
    const progress = await sendable.send('progress');
    const botRole = guild.roles.get(guild.botRoleId)!;
    discord.world.setOverwrite(channel, botRole, {
      deny: ['AttachFiles', 'EmbedLinks', 'ReadMessageHistory'],
    });
    const file = { attachment: Buffer.from('x'), name: 'x.mp4' };

    const upload = await apiError(sendable.send({ content: 'video', files: [file] }));
    expect([upload.status, upload.code, upload.message]).toEqual([
      403,
      RESTJSONErrorCodes.MissingPermissions,
      'Missing Permissions',
    ]);
    const embed = await apiError(sendable.send({ embeds: [{ title: 'x' }] }));
    expect([embed.status, embed.code]).toEqual([403, RESTJSONErrorCodes.MissingPermissions]);
    const reply = await apiError(progress.reply({ content: 'video', failIfNotExists: false }));
    expect([reply.status, reply.code, reply.message]).toEqual([
      403,
      RESTJSONErrorCodes.CannotReplyWithoutPermissionToReadMessageHistory,
      'Cannot reply without permission to read message history',
    ]);
    // The same text, without the file, the embed or the reply, is posted.
    const plain = await sendable.send({ content: 'video: https://cdn.example/v.mp4' });
    expect(discord.messages.get(plain.id)?.current.content).toBe('video: https://cdn.example/v.mp4');
    expect(discord.messages.visibleIn(channel).map((m) => m.current.content)).toEqual([
      'progress',
      'video: https://cdn.example/v.mp4',
    ]);
  });

  it('refuses a file over the guild’s upload limit with 413 40005; boosts raise the limit', async () => {
    const { discord, guild, sendable } = await world();
    const elevenMiB = Buffer.alloc(11 * MiB);

    const refused = await apiError(sendable.send({ files: [{ attachment: elevenMiB, name: 'big.mp4' }] }));
    expect([refused.status, refused.code]).toEqual([413, RESTJSONErrorCodes.RequestEntityTooLarge]);

    discord.world.updateGuild(guild, { premiumTier: 2 });
    const accepted = await sendable.send({ files: [{ attachment: elevenMiB, name: 'big.mp4' }] });
    expect(discord.messages.get(accepted.id)?.current.attachments[0]?.size).toBe(11 * MiB);
  });

  it('refuses a request over 25 MiB with 413', async () => {
    const { discord, guild, channel } = await world();
    discord.world.updateGuild(guild, { uploadLimitBytes: 100 * MiB });
    const answer = await rawRequest(discord, 'POST', `/channels/${channel.id}/messages`, {
      body: { content: 'x' },
      files: [{ name: 'huge.mp4', data: new Uint8Array(25 * MiB + 1) }],
    });
    expect(answer.status).toBe(413);
    expect(answer.json.code).toBe(RESTJSONErrorCodes.RequestEntityTooLarge);
  });

  it('validates payloads with 400 50035 and Discord’s error tree', async () => {
    // Refused requests count against the channel's bucket too; short windows keep the test quick.
    const { sendable } = await world({ rateLimits: { messageWrites: { limit: 5, windowMs: 100 } } });
    const invalid = async (payload: Parameters<SendableChannels['send']>[0]) => {
      const error = await apiError(sendable.send(payload));
      expect([error.status, error.code]).toEqual([400, RESTJSONErrorCodes.InvalidFormBodyOrContentType]);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Discord's error tree, read loosely
      return error.rawError as { errors: Record<string, any> };
    };
    const button = (id: string) =>
      new ButtonBuilder().setCustomId(id).setLabel('b').setStyle(ButtonStyle.Primary);
    const row = (count: number) =>
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        Array.from({ length: count }, (_, i) => button(`b${i}`)),
      );

    expect((await invalid({ content: 'x'.repeat(2001) })).errors.content._errors[0].code).toBe(
      'BASE_TYPE_MAX_LENGTH',
    );
    expect(
      (await invalid({ embeds: [{ title: 't'.repeat(257) }] })).errors.embeds[0].title._errors,
    ).toHaveLength(1);
    expect(
      (await invalid({ embeds: [{ description: 'd'.repeat(4097) }] })).errors.embeds[0].description,
    ).toBeDefined();
    const fields = Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' }));
    expect((await invalid({ embeds: [{ fields }] })).errors.embeds[0].fields).toBeDefined();
    expect(
      (await invalid({ embeds: [{ fields: [{ name: 'n'.repeat(257), value: 'v' }] }] })).errors.embeds[0]
        .fields[0].name,
    ).toBeDefined();
    expect(
      (await invalid({ embeds: [{ fields: [{ name: 'n', value: 'v'.repeat(1025) }] }] })).errors.embeds[0]
        .fields[0].value,
    ).toBeDefined();
    expect(
      (await invalid({ embeds: [{ footer: { text: 'f'.repeat(2049) } }] })).errors.embeds[0].footer.text,
    ).toBeDefined();
    const big = { description: 'd'.repeat(4000) };
    expect((await invalid({ embeds: [big, big] })).errors.embeds._errors[0].code).toBe(
      'MAX_EMBED_SIZE_EXCEEDED',
    );
    expect(
      (await invalid({ embeds: Array.from({ length: 11 }, () => ({ title: 't' })) })).errors.embeds._errors,
    ).toBeDefined();
    const longId = { type: 1, components: [{ type: 2, style: 1, label: 'x', custom_id: 'c'.repeat(101) }] };
    expect(
      (await invalid({ components: [longId] as never })).errors.components[0].components[0].custom_id,
    ).toBeDefined();
    expect(
      (await invalid({ components: [row(5).addComponents(button('sixth'))] })).errors.components[0]
        .components,
    ).toBeDefined();
    expect(
      (await invalid({ components: Array.from({ length: 6 }, () => row(1)) })).errors.components._errors,
    ).toBeDefined();
    // At the limits everything passes.
    await sendable.send({ content: 'x'.repeat(2000), components: Array.from({ length: 5 }, () => row(5)) });
  });
});

describe('DMs', () => {
  it('opens a DM channel and delivers; closed DMs answer 50007; no shared guild answers 50278', async () => {
    const { discord, alice, client } = await world();
    const stranger = discord.world.user({ username: 'stranger' });

    await (await client.users.fetch(alice.id)).send('Your video is ready');
    expect(discord.messages.dmsTo(alice).map((m) => m.current.content)).toEqual(['Your video is ready']);

    discord.world.setDmsOpen(alice, false);
    const closed = await apiError((await client.users.fetch(alice.id)).send('again'));
    expect([closed.status, closed.code]).toEqual([403, RESTJSONErrorCodes.CannotSendMessagesToThisUser]);
    const noGuild = await apiError((await client.users.fetch(stranger.id)).send('hi'));
    expect(noGuild.code).toBe(RESTJSONErrorCodes.CannotSendMessagesToThisUserDueToHavingNoMutualGuilds);
  });
});

describe('faults and counters', () => {
  it('answers the bot’s own lookups: /users/@me, /applications/@me, /channels/{id}', async () => {
    const { discord, channel, client } = await world();

    const me = (await client.rest.get(Routes.user())) as { id: string; bot: boolean };
    const application = await client.application.fetch();
    const fetched = await client.channels.fetch(channel.id, { force: true });

    expect(me).toMatchObject({ id: discord.bot.id, bot: true });
    expect(application.id).toBe(discord.application.id);
    expect(fetched?.id).toBe(channel.id);
    expect(discord.counters.requests('GET', '/channels/:channel_id')).toBe(1);
    expect(discord.counters.unknownRoutes()).toEqual([]);
  });
  it('injects 5xx answers: discord.js retries a single 500 and gives up after four', async () => {
    const { discord, channel, sendable } = await world();
    const route = '/channels/:channel_id/messages';
    discord.faults.failNext({ method: 'POST', route, status: 500 });
    expect((await sendable.send('after one 500')).content).toBe('after one 500');

    discord.faults.failNext({ method: 'POST', route, status: 502, count: 4 });
    const error = await sendable.send('never').then(
      () => undefined,
      (e: unknown) => e as { status?: number },
    );
    expect(error?.status).toBe(502);
    expect(discord.counters.requests('POST', route)).toBe(2 + 4);
    expect(discord.messages.inChannel(channel).map((m) => m.current.content)).toEqual(['after one 500']);
  });

  it('holds an outage on the routes named until it is ended; other routes still answer', async () => {
    const { discord, channel, sendable, client } = await world();
    const end = discord.faults.outage({ routes: ['/channels/:channel_id/messages'], status: 503 });
    for (let i = 0; i < 2; i++) {
      const error = await sendable.send('during').then(
        () => undefined,
        (e: unknown) => e as { status?: number },
      );
      expect(error?.status).toBe(503);
    }
    expect(((await client.rest.get(Routes.user())) as { id: string }).id).toBe(discord.bot.id);

    end();
    expect((await sendable.send('after')).content).toBe('after');
    expect(discord.messages.inChannel(channel).map((m) => m.current.content)).toEqual(['after']);
  });

  it('injects a 429 with headers: discord.js waits Retry-After and retries', async () => {
    const { discord, sendable } = await world();
    discord.faults.failNext({
      method: 'POST',
      route: '/channels/:channel_id/messages',
      status: 429,
      retryAfterMs: 200,
    });

    expect((await sendable.send('after a 429')).content).toBe('after a 429');
    expect(discord.counters.rateLimited().user).toBe(1);
    expect(discord.counters.log().map((e) => e.status)).toContain(429);
  });

  it('answers an unknown route with 404 and lists it', async () => {
    const { discord, client } = await world();
    await client.rest.get('/guilds/123/widget.json').catch(() => undefined);

    expect(discord.counters.unknownRoutes().map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v10/guilds/123/widget.json',
    ]);
  });

  it('answers 401 to a bot route without the token, and counts it as an invalid request', async () => {
    const { discord } = await world();
    const answer = await rawRequest(discord, 'GET', '/users/@me', { auth: false });

    expect(answer.status).toBe(401);
    expect(discord.counters.invalidRequests()).toBe(1);
  });
});
