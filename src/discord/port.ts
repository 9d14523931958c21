import {
  Routes,
  type REST,
  type RawFile,
  type RESTPatchAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessageResult,
  type RESTPostAPICurrentUserCreateDMChannelResult,
  type RESTGetAPIChannelMessagesResult,
} from 'discord.js';
import type { OwnMessage } from './posted-lookup.js';

/**
 * Every side effect the bot has on Discord outside of interaction replies, in one small module.
 * Bodies are raw API payloads built by the pure renderers, so what is sent is exactly what was
 * rendered (including an explicit `allowed_mentions` on every create and edit).
 */
export interface PostedMessage {
  id: string;
  channelId: string;
  createdAt: number;
}

export interface DiscordPort {
  createMessage(
    channelId: string,
    body: RESTPostAPIChannelMessageJSONBody,
    files?: readonly RawFile[],
  ): Promise<PostedMessage>;
  editMessage(channelId: string, messageId: string, body: RESTPatchAPIChannelMessageJSONBody): Promise<void>;
  /** The DM channel with a user (created on first use). */
  openDm(userId: string): Promise<string>;
  /**
   * The bot's own messages among a channel's recent ones (after `after` when given, else the newest);
   * none while the bot does not know who it is.
   */
  ownMessages?(
    channelId: string,
    options: { after?: string | undefined; limit: number },
  ): Promise<OwnMessage[]>;
}

export function createDiscordPort(
  rest: REST,
  selfId: () => string | undefined = () => undefined,
): DiscordPort {
  return {
    async createMessage(channelId, body, files) {
      if (body.allowed_mentions === undefined)
        throw new Error('refusing to post without explicit allowed_mentions');
      const message = (await rest.post(Routes.channelMessages(channelId), {
        body,
        ...(files && files.length > 0 ? { files: [...files] } : {}),
      })) as RESTPostAPIChannelMessageResult;
      return { id: message.id, channelId: message.channel_id, createdAt: Date.parse(message.timestamp) };
    },
    async editMessage(channelId, messageId, body) {
      if (body.allowed_mentions === undefined)
        throw new Error('refusing to edit without explicit allowed_mentions');
      await rest.patch(Routes.channelMessage(channelId, messageId), { body });
    },
    async openDm(userId) {
      const channel = (await rest.post(Routes.userChannels(), {
        body: { recipient_id: userId },
      })) as RESTPostAPICurrentUserCreateDMChannelResult;
      return channel.id;
    },
    async ownMessages(channelId, { after, limit }) {
      const self = selfId();
      if (self === undefined) return [];
      const query = new URLSearchParams({ limit: String(limit), ...(after ? { after } : {}) });
      const page = (await rest.get(Routes.channelMessages(channelId), {
        query,
      })) as RESTGetAPIChannelMessagesResult;
      return page
        .filter((m) => m.author.id === self)
        .map((m) => ({ id: m.id, content: m.content, replyToId: m.message_reference?.message_id }));
    },
  };
}
