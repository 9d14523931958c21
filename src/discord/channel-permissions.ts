import type { Client } from 'discord.js';

/**
 * What the bot may do in a channel, read from the gateway's cache (the guild's roles, the bot's member
 * and the channel's overwrites, kept current by the guild and channel update events): no request is made. A cache can
 * be stale, so callers still handle Discord's 403 answers.
 */
export interface BotChannelPermissions {
  /** View Channel and Send Messages (Send Messages in Threads in a thread): a plain message can be posted. */
  post: boolean;
  embedLinks: boolean;
  attachFiles: boolean;
  readMessageHistory: boolean;
}

export type ChannelPermissionsLookup = (channelId: string) => BotChannelPermissions | undefined;

/** Reads the bot's permissions in a guild channel from the client's cache; undefined when it does not know. */
export function cachedBotPermissions(client: Client): ChannelPermissionsLookup {
  return (channelId) => {
    const channel = client.channels.cache.get(channelId);
    if (!channel || channel.isDMBased()) return undefined;
    const me = channel.guild.members.me;
    const bits = me ? channel.permissionsFor(me) : null;
    if (!bits) return undefined;
    const send = channel.isThread() ? 'SendMessagesInThreads' : 'SendMessages';
    // discord.js applies overwrites, not Discord's implicit denials: without Send Messages, nothing else.
    const post = bits.has(['ViewChannel', send]);
    return {
      post,
      embedLinks: post && bits.has('EmbedLinks'),
      attachFiles: post && bits.has('AttachFiles'),
      readMessageHistory: bits.has(['ViewChannel', 'ReadMessageHistory']),
    };
  };
}
