const SNOWFLAKE = /^\d{15,21}$/;

/**
 * The jump link to a message. Only real snowflakes are accepted, so a stored id can never turn the link
 * into something else.
 */
export function messageUrl(guildId: string, channelId: string, messageId: string): string | undefined {
  if (![guildId, channelId, messageId].every((id) => SNOWFLAKE.test(id))) return undefined;
  return `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;
}
