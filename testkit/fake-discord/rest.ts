/**
 * Bot routes (they need `Authorization: Bot <token>`): gateway info, users, the application and its
 * commands, channels and their messages, DM channels. Each answers with Discord's JSON and, where the
 * state says so, Discord's errors: 10003 channel gone, 10008 message gone, 50001 no access, 50013 a
 * missing permission, 160002 a reply without Read Message History, 50007 / 50278 DMs not possible,
 * 413 40005 file over the upload limit.
 */
import { ChannelType, Limits, Permission } from './constants.js';
import type { CommandStore } from './commands.js';
import { Errors } from './errors.js';
import type { RestRequest, RouteDefinition } from './http.js';
import { PARSE_ALL, type FakeMessage, type MessageStore, type UploadedFile } from './messages.js';
import { messageWriteCheck, oldMessageEditCheck, type RateLimitOptions } from './rate-limits.js';
import { invalidFormBody, isObject, text, validateMessageBody } from './validate.js';
import type { FakeChannel, World } from './world.js';

export interface RestContext {
  world: World;
  messages: MessageStore;
  commands: CommandStore;
  limits: RateLimitOptions;
  now: () => number;
  gatewayUrl: () => string;
  recommendedShards: number;
  /** Shards that may identify at once (`session_start_limit.max_concurrency`). */
  maxConcurrency: number;
}

/** Refuses files larger than `limit` bytes, as Discord does: 413 with code 40005. */
export function checkUploadLimit(files: readonly UploadedFile[], limit: number): void {
  if (files.some((file) => file.data.length > limit)) throw Errors.entityTooLarge();
}

export function createBotRoutes(ctx: RestContext): RouteDefinition[] {
  const { world, messages, commands, limits, now } = ctx;
  const bot = world.bot;

  /** A channel the bot can see: 10003 when gone, 50001 without View Channel. */
  function visibleChannel(id: string | undefined): FakeChannel {
    const channel = world.getChannel(id ?? '');
    if (!channel || channel.deleted) throw Errors.unknownChannel();
    if (channel.type === ChannelType.DM) {
      if (channel.recipientId === null) throw Errors.unknownChannel();
      return channel;
    }
    if (!(world.permissionsIn(channel, bot.id) & Permission.ViewChannel)) throw Errors.missingAccess();
    return channel;
  }

  function requirePermission(channel: FakeChannel, bit: bigint) {
    if (!(world.permissionsIn(channel, bot.id) & bit)) throw Errors.missingPermissions();
  }

  /** A message people can see in this channel (not deleted, not ephemeral). */
  function visibleMessage(channel: FakeChannel, id: string | undefined): FakeMessage {
    const message = messages.get(id ?? '');
    if (!message || message.channelId !== channel.id || message.deleted || message.ephemeral)
      throw Errors.unknownMessage();
    return message;
  }

  function canMentionEveryone(channel: FakeChannel) {
    return (world.permissionsIn(channel, bot.id) & Permission.MentionEveryone) !== 0n;
  }

  function checkApplication(request: RestRequest) {
    if (request.params.application_id !== world.application.id) throw Errors.missingAccess();
    const guildId = request.params.guild_id;
    if (guildId === undefined) return null;
    if (!world.getGuild(guildId)?.members.has(bot.id)) throw Errors.missingAccess();
    return guildId;
  }

  function sendMessage(request: RestRequest) {
    const channel = visibleChannel(request.params.channel_id);
    const { body, files } = request;
    if (channel.type === ChannelType.DM) {
      const recipient = world.getUser(channel.recipientId ?? '');
      if (!recipient) throw Errors.unknownChannel();
      if (!world.sharesGuildWithBot(recipient)) throw Errors.noMutualGuilds();
      if (!recipient.dmsOpen) throw Errors.cannotSendToUser();
    } else {
      requirePermission(channel, Permission.SendMessages);
      if (Array.isArray(body.embeds) && body.embeds.length > 0)
        requirePermission(channel, Permission.EmbedLinks);
      if (files.length > 0) requirePermission(channel, Permission.AttachFiles);
      // A reply needs Read Message History; Discord names that one (160002, 403), not 50013.
      if (
        isObject(body.message_reference) &&
        !(world.permissionsIn(channel, bot.id) & Permission.ReadMessageHistory)
      )
        throw Errors.cannotReplyWithoutHistory();
    }
    checkUploadLimit(files, world.uploadLimit(channel));
    validateMessageBody(body);
    const nonce = body.nonce;
    if (body.enforce_nonce === true && (typeof nonce === 'string' || typeof nonce === 'number')) {
      const existing = messages.findByNonce(channel.id, bot.id, nonce);
      if (existing) return { status: 200, body: messages.toApi(existing) };
    }
    let effectiveBody = body;
    if (isObject(body.message_reference)) {
      const referenced = messages.get(text(body.message_reference.message_id));
      if (!referenced || referenced.channelId !== channel.id || referenced.deleted) {
        if (body.message_reference.fail_if_not_exists !== false)
          throw invalidFormBody(
            ['message_reference'],
            'MESSAGE_REFERENCE_UNKNOWN_MESSAGE',
            'Unknown message',
          );
        const { message_reference: _dropped, ...rest } = body;
        effectiveBody = rest;
      }
    }
    const message = messages.create({
      channel,
      authorId: bot.id,
      body: effectiveBody,
      files,
      defaultParse: PARSE_ALL,
      canMentionEveryone: canMentionEveryone(channel),
    });
    return { status: 200, body: messages.toApi(message) };
  }

  function editMessage(request: RestRequest) {
    const channel = visibleChannel(request.params.channel_id);
    const message = visibleMessage(channel, request.params.message_id);
    if (message.authorId !== bot.id) throw Errors.cannotEditOthers();
    const { body, files } = request;
    if (channel.type !== ChannelType.DM) {
      if (Array.isArray(body.embeds) && body.embeds.length > 0)
        requirePermission(channel, Permission.EmbedLinks);
      if (files.length > 0) requirePermission(channel, Permission.AttachFiles);
    }
    checkUploadLimit(files, world.uploadLimit(channel));
    validateMessageBody(body);
    messages.edit(message, body, files, {
      defaultParse: message.webhookId ? ['users'] : PARSE_ALL,
      canMentionEveryone: canMentionEveryone(channel),
    });
    return { status: 200, body: messages.toApi(message) };
  }

  function listMessages(request: RestRequest) {
    const channel = visibleChannel(request.params.channel_id);
    if (
      channel.type !== ChannelType.DM &&
      !(world.permissionsIn(channel, bot.id) & Permission.ReadMessageHistory)
    )
      return { status: 200, body: [] };
    const limit = Math.min(100, Math.max(1, Number(request.query.get('limit') ?? 50) || 50));
    const before = request.query.get('before');
    const after = request.query.get('after');
    const newestFirst = messages
      .inChannel(channel.id)
      .filter((m) => !m.deleted && !m.ephemeral)
      .filter((m) => (before ? BigInt(m.id) < BigInt(before) : true))
      .filter((m) => (after ? BigInt(m.id) > BigInt(after) : true))
      .reverse();
    const page = after ? newestFirst.slice(-limit) : newestFirst.slice(0, limit);
    return { status: 200, body: page.map((m) => messages.toApi(m)) };
  }

  const gatewayBot = () => ({
    url: ctx.gatewayUrl(),
    shards: ctx.recommendedShards,
    session_start_limit: {
      total: 1000,
      remaining: 999,
      reset_after: 14_400_000,
      max_concurrency: ctx.maxConcurrency,
    },
  });

  return [
    {
      method: 'GET',
      route: '/gateway',
      auth: false,
      handle: () => ({ status: 200, body: { url: ctx.gatewayUrl() } }),
    },
    { method: 'GET', route: '/gateway/bot', auth: true, handle: () => ({ status: 200, body: gatewayBot() }) },
    {
      method: 'GET',
      route: '/users/@me',
      auth: true,
      handle: () => ({
        status: 200,
        body: { ...world.apiUser(bot), verified: true, mfa_enabled: false, flags: 0, locale: 'en-US' },
      }),
    },
    {
      method: 'POST',
      route: '/users/@me/channels',
      auth: true,
      handle: (request) => {
        const recipient = world.getUser(text(request.body.recipient_id));
        if (!recipient) throw Errors.unknownUser();
        return { status: 200, body: world.apiChannel(world.dmChannel(recipient)) };
      },
    },
    {
      method: 'GET',
      route: '/users/:user_id',
      auth: true,
      handle: (request) => {
        const user = world.getUser(request.params.user_id ?? '');
        if (!user) throw Errors.unknownUser();
        return { status: 200, body: world.apiUser(user) };
      },
    },
    {
      method: 'GET',
      route: '/applications/@me',
      auth: true,
      handle: () => ({
        status: 200,
        body: {
          id: world.application.id,
          name: world.application.name,
          icon: null,
          description: '',
          summary: '',
          type: null,
          bot_public: true,
          bot_require_code_grant: false,
          verify_key: '0'.repeat(64),
          flags: 0,
          team: null,
          owner: world.apiUser(bot),
          bot: world.apiUser(bot),
          approximate_guild_count: world.guilds().length,
          integration_types_config: { '0': {}, '1': {} },
        },
      }),
    },
    ...[
      '/applications/:application_id/commands',
      '/applications/:application_id/guilds/:guild_id/commands',
    ].flatMap((route): RouteDefinition[] => [
      {
        method: 'GET',
        route,
        auth: true,
        handle: (request) => ({ status: 200, body: commands.list(checkApplication(request)) }),
      },
      {
        method: 'PUT',
        route,
        auth: true,
        handle: (request) => ({
          status: 200,
          body: commands.overwrite(checkApplication(request), request.bodyArray ?? request.body),
        }),
      },
      {
        method: 'POST',
        route,
        auth: true,
        handle: (request) => ({
          status: 201,
          body: commands.upsert(checkApplication(request), request.body),
        }),
      },
    ]),
    {
      method: 'GET',
      route: '/channels/:channel_id',
      auth: true,
      handle: (request) => ({
        status: 200,
        body: world.apiChannel(visibleChannel(request.params.channel_id)),
      }),
    },
    { method: 'GET', route: '/channels/:channel_id/messages', auth: true, handle: listMessages },
    {
      method: 'POST',
      route: '/channels/:channel_id/messages',
      auth: true,
      limits: (request) => [messageWriteCheck(request.params.channel_id ?? '', limits)],
      handle: sendMessage,
    },
    {
      method: 'GET',
      route: '/channels/:channel_id/messages/:message_id',
      auth: true,
      handle: (request) => {
        const channel = visibleChannel(request.params.channel_id);
        if (
          channel.type !== ChannelType.DM &&
          !(world.permissionsIn(channel, bot.id) & Permission.ReadMessageHistory)
        )
          throw Errors.missingAccess();
        return { status: 200, body: messages.toApi(visibleMessage(channel, request.params.message_id)) };
      },
    },
    {
      method: 'PATCH',
      route: '/channels/:channel_id/messages/:message_id',
      auth: true,
      limits: (request) => {
        const channelId = request.params.channel_id ?? '';
        const message = messages.get(request.params.message_id ?? '');
        const old =
          message && message.channelId === channelId && now() - message.createdAt > Limits.oldMessageAgeMs;
        return [
          messageWriteCheck(channelId, limits),
          ...(old ? [oldMessageEditCheck(channelId, limits)] : []),
        ];
      },
      handle: editMessage,
    },
    {
      method: 'DELETE',
      route: '/channels/:channel_id/messages/:message_id',
      auth: true,
      handle: (request) => {
        const channel = visibleChannel(request.params.channel_id);
        const message = visibleMessage(channel, request.params.message_id);
        if (message.authorId !== bot.id) requirePermission(channel, Permission.ManageMessages);
        messages.delete(message);
        return { status: 204 };
      },
    },
  ];
}
