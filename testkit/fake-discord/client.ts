/**
 * Logs a real discord.js client in to the fake, configured exactly as the bot configures itself for a
 * custom `DISCORD_API_URL`: the REST base is the only thing that changes; the gateway URL comes from
 * GET /api/v10/gateway/bot.
 */
import { Client, Events, GatewayIntentBits, type ClientOptions } from 'discord.js';

export async function connectClient(
  discord: { apiUrl: string; token: string },
  options: Partial<ClientOptions> = {},
): Promise<Client<true>> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    ...options,
    rest: { ...options.rest, api: discord.apiUrl },
  });
  const ready = new Promise<Client<true>>((resolve) => client.once(Events.ClientReady, resolve));
  try {
    await client.login(discord.token);
    return await ready;
  } catch (error) {
    await client.destroy();
    throw error;
  }
}
