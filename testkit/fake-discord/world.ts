/**
 * The world a test sets up: users, guilds, roles, members, text channels with permission overwrites,
 * DM channels. It computes permissions the way Discord does (topics/permissions.mdx, "Permission
 * Hierarchy") and tells the gateway when something the bot would hear about changes.
 */
import {
  ALL_PERMISSIONS,
  ChannelType,
  DEFAULT_BOT_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  Limits,
  Permission,
  type PermissionName,
} from './constants.js';
import type { SnowflakeFactory } from './snowflake.js';
import { isoTime } from './time.js';

/** Permissions as a bitfield (e.g. discord.js `PermissionFlagsBits.X | …`) or a list of names. */
export type PermissionInput = bigint | readonly PermissionName[];

export function toPermissionBits(input: PermissionInput): bigint {
  if (typeof input === 'bigint') return input;
  return input.reduce((bits, name) => bits | Permission[name], 0n);
}

export interface FakeUser {
  readonly id: string;
  username: string;
  globalName: string | null;
  bot: boolean;
  /** Whether the user accepts DMs from the bot; when false, sending a DM fails with 50007. */
  dmsOpen: boolean;
  /** The client language sent as an interaction's `locale`. */
  locale: string;
}

export interface FakeRole {
  readonly id: string;
  readonly guildId: string;
  name: string;
  permissions: bigint;
  position: number;
  managed: boolean;
}

export interface PermissionOverwrite {
  /** Role id (type 0) or user id (type 1). */
  id: string;
  type: 0 | 1;
  allow: bigint;
  deny: bigint;
}

export interface FakeChannel {
  readonly id: string;
  readonly type: number;
  readonly guildId: string | null;
  name: string;
  position: number;
  overwrites: PermissionOverwrite[];
  /** The other user of a DM channel. */
  readonly recipientId: string | null;
  deleted: boolean;
}

export interface FakeMember {
  readonly userId: string;
  readonly guildId: string;
  roleIds: string[];
  joinedAt: number;
  nick: string | null;
}

export interface FakeGuild {
  readonly id: string;
  name: string;
  ownerId: string;
  premiumTier: number;
  preferredLocale: string;
  /** Per-file upload limit; null means "what the boost tier gives". */
  uploadLimitBytes: number | null;
  /** The managed role Discord creates when the bot is invited. */
  readonly botRoleId: string;
  readonly roles: Map<string, FakeRole>;
  readonly channelIds: string[];
  readonly members: Map<string, FakeMember>;
  deleted: boolean;
}

/** Something the bot hears about over the gateway (with the Guilds intent). */
export interface WorldEvent {
  t: string;
  guildId: string;
  d: unknown;
}

export interface GuildOptions {
  name?: string;
  owner?: FakeUser;
  premiumTier?: number;
  /** `preferred_locale`, e.g. 'en-US' or 'zh-CN'. */
  locale?: string;
  uploadLimitBytes?: number;
  /** What the bot's managed role grants server-wide (default: view, send, embed, attach, history). */
  botPermissions?: PermissionInput;
  everyonePermissions?: PermissionInput;
  /** Users who are members from the start. */
  members?: readonly FakeUser[];
}

export interface TextChannelOptions {
  name?: string;
  /** Exactly what the bot may do in this channel (written as a member overwrite for the bot). */
  botPermissions?: PermissionInput;
}

export interface UserOptions {
  username?: string;
  globalName?: string;
  dmsOpen?: boolean;
  locale?: string;
  bot?: boolean;
}

export type World = ReturnType<typeof createWorld>;

export function createWorld(options: { ids: SnowflakeFactory; now: () => number; botName?: string }) {
  const { ids, now } = options;
  const users = new Map<string, FakeUser>();
  const guilds = new Map<string, FakeGuild>();
  const channels = new Map<string, FakeChannel>();
  const dmChannelByUser = new Map<string, string>();
  const listeners = new Set<(event: WorldEvent) => void>();
  let counter = 0;

  const emit = (t: string, guildId: string, d: unknown) => {
    for (const listener of listeners) listener({ t, guildId, d });
  };

  const bot: FakeUser = {
    id: ids.next(),
    username: options.botName ?? 'sora-tracker',
    globalName: null,
    bot: true,
    dmsOpen: false,
    locale: 'en-US',
  };
  users.set(bot.id, bot);

  function guildOf(channel: FakeChannel): FakeGuild | undefined {
    return channel.guildId === null ? undefined : guilds.get(channel.guildId);
  }

  function requireGuild(guild: FakeGuild): FakeGuild {
    const found = guilds.get(guild.id);
    if (!found) throw new Error(`Unknown guild ${guild.id}`);
    return found;
  }

  // ---- serialisation: the shapes Discord sends -------------------------------------------------

  function apiUser(user: FakeUser) {
    return {
      id: user.id,
      username: user.username,
      global_name: user.globalName,
      discriminator: '0',
      avatar: null,
      bot: user.bot,
      public_flags: 0,
    };
  }

  function apiRole(role: FakeRole) {
    return {
      id: role.id,
      name: role.name,
      color: 0,
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position: role.position,
      permissions: role.permissions.toString(),
      managed: role.managed,
      mentionable: false,
      flags: 0,
      ...(role.managed ? { tags: { bot_id: bot.id } } : {}),
    };
  }

  function apiChannel(channel: FakeChannel) {
    if (channel.type === ChannelType.DM) {
      const recipient = users.get(channel.recipientId ?? '');
      return {
        id: channel.id,
        type: channel.type,
        last_message_id: null,
        flags: 0,
        recipients: recipient ? [apiUser(recipient)] : [],
      };
    }
    return {
      id: channel.id,
      type: channel.type,
      guild_id: channel.guildId,
      name: channel.name,
      position: channel.position,
      parent_id: null,
      topic: null,
      nsfw: false,
      last_message_id: null,
      rate_limit_per_user: 0,
      flags: 0,
      permission_overwrites: channel.overwrites.map((o) => ({
        id: o.id,
        type: o.type,
        allow: o.allow.toString(),
        deny: o.deny.toString(),
      })),
    };
  }

  function apiMember(member: FakeMember, withUser = true) {
    const user = users.get(member.userId);
    return {
      ...(withUser && user ? { user: apiUser(user) } : {}),
      nick: member.nick,
      avatar: null,
      roles: [...member.roleIds],
      joined_at: isoTime(member.joinedAt),
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      communication_disabled_until: null,
    };
  }

  /** GUILD_CREATE's `d`: the whole guild as the bot first sees it. */
  function apiGuild(guild: FakeGuild) {
    const botMember = guild.members.get(bot.id);
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: guild.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      vanity_url_code: null,
      application_id: null,
      features: [],
      premium_tier: guild.premiumTier,
      premium_subscription_count: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: guild.preferredLocale,
      max_members: 500_000,
      max_video_channel_users: 25,
      roles: [...guild.roles.values()].map(apiRole),
      emojis: [],
      stickers: [],
      joined_at: isoTime(botMember?.joinedAt ?? now()),
      large: false,
      unavailable: false,
      member_count: guild.members.size,
      members: [...guild.members.values()].map((m) => apiMember(m)),
      channels: guild.channelIds.flatMap((id) => {
        const channel = channels.get(id);
        return channel && !channel.deleted ? [apiChannel(channel)] : [];
      }),
      threads: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  // ---- permissions -----------------------------------------------------------------------------

  function basePermissions(guild: FakeGuild, member: FakeMember): bigint {
    if (guild.ownerId === member.userId) return ALL_PERMISSIONS;
    let bits = guild.roles.get(guild.id)?.permissions ?? 0n;
    for (const roleId of member.roleIds) bits |= guild.roles.get(roleId)?.permissions ?? 0n;
    return bits & Permission.Administrator ? ALL_PERMISSIONS : bits;
  }

  /** What `userId` may do in `channel`, overwrites and implicit denials included. */
  function permissionsIn(channel: FakeChannel, userId: string): bigint {
    if (channel.type === ChannelType.DM) {
      return channel.recipientId === userId || userId === bot.id
        ? Permission.ViewChannel |
            Permission.SendMessages |
            Permission.EmbedLinks |
            Permission.AttachFiles |
            Permission.ReadMessageHistory |
            Permission.AddReactions |
            Permission.UseExternalEmojis |
            Permission.UseApplicationCommands
        : 0n;
    }
    const guild = guildOf(channel);
    const member = guild?.members.get(userId);
    if (!guild || !member) return 0n;
    let bits = basePermissions(guild, member);
    if (bits & Permission.Administrator) return ALL_PERMISSIONS;
    const apply = (overwrite: { allow: bigint; deny: bigint } | undefined) => {
      if (overwrite) bits = (bits & ~overwrite.deny) | overwrite.allow;
    };
    apply(channel.overwrites.find((o) => o.type === 0 && o.id === guild.id));
    const roleOverwrites = channel.overwrites.filter((o) => o.type === 0 && member.roleIds.includes(o.id));
    apply({
      allow: roleOverwrites.reduce((all, o) => all | o.allow, 0n),
      deny: roleOverwrites.reduce((all, o) => all | o.deny, 0n),
    });
    apply(channel.overwrites.find((o) => o.type === 1 && o.id === userId));
    // Implicit denials: no View Channel means nothing; no Send Messages means no send-related extras.
    if (!(bits & Permission.ViewChannel)) return 0n;
    if (!(bits & Permission.SendMessages)) {
      bits &= ~(
        Permission.SendTTSMessages |
        Permission.EmbedLinks |
        Permission.AttachFiles |
        Permission.MentionEveryone
      );
    }
    return bits;
  }

  function setOverwrite(channel: FakeChannel, overwrite: PermissionOverwrite | { id: string; remove: true }) {
    channel.overwrites = channel.overwrites.filter((o) => o.id !== overwrite.id);
    if (!('remove' in overwrite)) channel.overwrites.push(overwrite);
    if (channel.guildId && !channel.deleted) emit('CHANNEL_UPDATE', channel.guildId, apiChannel(channel));
  }

  // ---- builders --------------------------------------------------------------------------------

  function user(opts: UserOptions = {}): FakeUser {
    counter += 1;
    const created: FakeUser = {
      id: ids.next(),
      username: opts.username ?? `user${counter}`,
      globalName: opts.globalName ?? null,
      bot: opts.bot ?? false,
      dmsOpen: opts.dmsOpen ?? true,
      locale: opts.locale ?? 'en-US',
    };
    users.set(created.id, created);
    return created;
  }

  function member(
    guild: FakeGuild,
    who: FakeUser,
    opts: { roles?: readonly FakeRole[]; nick?: string } = {},
  ) {
    const target = requireGuild(guild);
    const created: FakeMember = {
      userId: who.id,
      guildId: target.id,
      roleIds: (opts.roles ?? []).map((r) => r.id),
      joinedAt: now(),
      nick: opts.nick ?? null,
    };
    target.members.set(who.id, created);
    return created;
  }

  function guild(opts: GuildOptions = {}): FakeGuild {
    counter += 1;
    const owner = opts.owner ?? user({ username: `owner${counter}` });
    const id = ids.next();
    const botRoleId = ids.next();
    const created: FakeGuild = {
      id,
      name: opts.name ?? `Guild ${counter}`,
      ownerId: owner.id,
      premiumTier: opts.premiumTier ?? 0,
      preferredLocale: opts.locale ?? 'en-US',
      uploadLimitBytes: opts.uploadLimitBytes ?? null,
      botRoleId,
      roles: new Map(),
      channelIds: [],
      members: new Map(),
      deleted: false,
    };
    created.roles.set(id, {
      id,
      guildId: id,
      name: '@everyone',
      permissions: toPermissionBits(opts.everyonePermissions ?? DEFAULT_EVERYONE_PERMISSIONS),
      position: 0,
      managed: false,
    });
    created.roles.set(botRoleId, {
      id: botRoleId,
      guildId: id,
      name: bot.username,
      permissions: toPermissionBits(opts.botPermissions ?? DEFAULT_BOT_PERMISSIONS),
      position: 1,
      managed: true,
    });
    guilds.set(id, created);
    member(created, owner);
    member(created, bot).roleIds.push(botRoleId);
    for (const extra of opts.members ?? []) member(created, extra);
    emit('GUILD_CREATE', id, apiGuild(created));
    return created;
  }

  function role(guildRef: FakeGuild, opts: { name?: string; permissions?: PermissionInput } = {}): FakeRole {
    const target = requireGuild(guildRef);
    const created: FakeRole = {
      id: ids.next(),
      guildId: target.id,
      name: opts.name ?? `role${target.roles.size}`,
      permissions: toPermissionBits(opts.permissions ?? 0n),
      position: target.roles.size,
      managed: false,
    };
    target.roles.set(created.id, created);
    emit('GUILD_ROLE_CREATE', target.id, { guild_id: target.id, role: apiRole(created) });
    return created;
  }

  function textChannel(guildRef: FakeGuild, opts: TextChannelOptions = {}): FakeChannel {
    const target = requireGuild(guildRef);
    const created: FakeChannel = {
      id: ids.next(),
      type: ChannelType.GuildText,
      guildId: target.id,
      name: opts.name ?? `channel-${target.channelIds.length + 1}`,
      position: target.channelIds.length,
      overwrites: [],
      recipientId: null,
      deleted: false,
    };
    if (opts.botPermissions !== undefined) {
      const allow = toPermissionBits(opts.botPermissions);
      created.overwrites.push({ id: bot.id, type: 1, allow, deny: ALL_PERMISSIONS & ~allow });
    }
    channels.set(created.id, created);
    target.channelIds.push(created.id);
    emit('CHANNEL_CREATE', target.id, apiChannel(created));
    return created;
  }

  return {
    bot,
    /** The application is the bot's: same id, as for every app created since 2016. */
    application: { id: bot.id, name: bot.username },
    user,
    guild,
    role,
    member,
    textChannel,

    /** Makes `permissions` exactly what the bot may do in `channel`; null removes that override. */
    setBotPermissions(channel: FakeChannel, permissions: PermissionInput | null) {
      if (permissions === null) {
        setOverwrite(channel, { id: bot.id, remove: true });
        return;
      }
      const allow = toPermissionBits(permissions);
      setOverwrite(channel, { id: bot.id, type: 1, allow, deny: ALL_PERMISSIONS & ~allow });
    },

    /** A permission overwrite on `channel` for a role or a member, as in the channel's settings. */
    setOverwrite(
      channel: FakeChannel,
      target: FakeRole | FakeUser,
      change: { allow?: PermissionInput; deny?: PermissionInput },
    ) {
      setOverwrite(channel, {
        id: target.id,
        type: 'guildId' in target ? 0 : 1,
        allow: toPermissionBits(change.allow ?? 0n),
        deny: toPermissionBits(change.deny ?? 0n),
      });
    },

    setRolePermissions(roleRef: FakeRole, permissions: PermissionInput) {
      const guildRef = guilds.get(roleRef.guildId);
      const found = guildRef?.roles.get(roleRef.id);
      if (!guildRef || !found) throw new Error(`Unknown role ${roleRef.id}`);
      found.permissions = toPermissionBits(permissions);
      emit('GUILD_ROLE_UPDATE', guildRef.id, { guild_id: guildRef.id, role: apiRole(found) });
    },

    updateGuild(
      guildRef: FakeGuild,
      change: { name?: string; premiumTier?: number; locale?: string; uploadLimitBytes?: number | null },
    ) {
      const target = requireGuild(guildRef);
      if (change.name !== undefined) target.name = change.name;
      if (change.premiumTier !== undefined) target.premiumTier = change.premiumTier;
      if (change.locale !== undefined) target.preferredLocale = change.locale;
      if (change.uploadLimitBytes !== undefined) target.uploadLimitBytes = change.uploadLimitBytes;
      const { channels: _c, members: _m, ...rest } = apiGuild(target);
      emit('GUILD_UPDATE', target.id, rest);
    },

    /** Someone deletes the channel: later requests for it answer 404 10003. */
    deleteChannel(channel: FakeChannel) {
      channel.deleted = true;
      if (channel.guildId) emit('CHANNEL_DELETE', channel.guildId, apiChannel(channel));
    },

    /** The bot is removed from the guild (GUILD_DELETE without `unavailable`). */
    removeGuild(guildRef: FakeGuild) {
      const target = requireGuild(guildRef);
      emit('GUILD_DELETE', target.id, { id: target.id });
      target.deleted = true;
      guilds.delete(target.id);
    },

    setDmsOpen(who: FakeUser, open: boolean) {
      who.dmsOpen = open;
    },

    /** The bot's DM channel with `who`, created on first use (POST /users/@me/channels). */
    dmChannel(who: FakeUser): FakeChannel {
      const existing = dmChannelByUser.get(who.id);
      const found = existing === undefined ? undefined : channels.get(existing);
      if (found) return found;
      const created: FakeChannel = {
        id: ids.next(),
        type: ChannelType.DM,
        guildId: null,
        name: '',
        position: 0,
        overwrites: [],
        recipientId: who.id,
        deleted: false,
      };
      channels.set(created.id, created);
      dmChannelByUser.set(who.id, created.id);
      return created;
    },

    getUser: (id: string) => users.get(id),
    getGuild: (id: string) => guilds.get(id),
    getChannel: (id: string) => channels.get(id),
    guilds: () => [...guilds.values()],
    users: () => [...users.values()],
    channels: () => [...channels.values()],
    guildOf,
    permissionsIn,

    /** Whether `who` shares at least one guild with the bot (else DMs fail with 50278). */
    sharesGuildWithBot(who: FakeUser): boolean {
      for (const g of guilds.values()) if (g.members.has(who.id) && g.members.has(bot.id)) return true;
      return false;
    },

    /** The largest file the bot may upload in `channel`. */
    uploadLimit(channel: FakeChannel): number {
      const g = guildOf(channel);
      if (!g) return Limits.dmUploadBytes;
      return g.uploadLimitBytes ?? Limits.uploadBytesByPremiumTier[g.premiumTier] ?? Limits.dmUploadBytes;
    },

    onEvent(listener: (event: WorldEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    apiUser,
    apiRole,
    apiChannel,
    apiGuild,
    apiMember,
  };
}
