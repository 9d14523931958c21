import { ChannelType } from 'discord.js';
import {
  OPTIONAL_CHANNEL_PERMISSIONS,
  REQUIRED_CHANNEL_PERMISSIONS,
  renderMissingPermissions,
  renderUnsupportedChannel,
  type ChannelPermission,
  type OptionalChannelPermission,
  type TextPayload,
} from '../../../render/index.js';
import type { GuildCommand } from './guild-command.js';

const THREAD_TYPES = new Set([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);
const POSTABLE_TYPES = new Set([ChannelType.GuildText, ChannelType.GuildAnnouncement, ...THREAD_TYPES]);

/** Permissions the bot needs to post and keep editing the progress message (and later the video). */
export function missingPermissions(interaction: GuildCommand): ChannelPermission[] {
  const inThread = interaction.channel ? THREAD_TYPES.has(interaction.channel.type) : false;
  const needed = REQUIRED_CHANNEL_PERMISSIONS.filter((permission) =>
    inThread ? permission !== 'SendMessages' : permission !== 'SendMessagesInThreads',
  );
  return needed.filter((permission) => !interaction.appPermissions.has(permission));
}

/** Discord refused the post although `app_permissions` looked fine: name everything we need. */
export function missingPermissionsOrAll(interaction: GuildCommand): ChannelPermission[] {
  const missing = missingPermissions(interaction);
  return missing.length > 0 ? missing : ['ViewChannel', 'SendMessages', 'EmbedLinks', 'ReadMessageHistory'];
}

const isOptional = (permission: ChannelPermission): permission is OptionalChannelPermission =>
  (OPTIONAL_CHANNEL_PERMISSIONS as readonly string[]).includes(permission);

/** The permissions the bot lacks that only change how the result comes (see OPTIONAL_CHANNEL_PERMISSIONS). */
export function lackingOptionalPermissions(interaction: GuildCommand): OptionalChannelPermission[] {
  return missingPermissions(interaction).filter(isOptional);
}

/**
 * Why the bot cannot track in this channel before trying (a channel it cannot post in, permissions it
 * cannot do without), or undefined when nothing stands in the way.
 */
export function channelRefusal(interaction: GuildCommand): TextPayload | undefined {
  const channelType = interaction.channel?.type;
  if (channelType !== undefined && !POSTABLE_TYPES.has(channelType)) {
    return renderUnsupportedChannel(interaction.locale);
  }
  const missing = missingPermissions(interaction).filter((permission) => !isOptional(permission));
  return missing.length > 0 ? renderMissingPermissions(interaction.locale, missing) : undefined;
}
