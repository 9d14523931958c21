import type { Client } from 'discord.js';
import { afterEach, expect, it } from 'vitest';
import { createDiscordClient } from '../../../src/discord/client.js';
import { createDiscordPort } from '../../../src/discord/port.js';
import { startFakeDiscord, type FakeDiscord } from '../../../testkit/fake-discord/index.js';

/**
 * The REST timeout is sized by the request: an upload Discord takes slowly is waited for past the
 * timeout of ordinary requests (which still applies to them), through the one REST manager. The base
 * timeout is made small here so that "slow" is a second, not minutes.
 */
const BASE_TIMEOUT_MS = 300;
const SLOW_MS = 1_200;
const MESSAGES = '/channels/:channel_id/messages';

let discord: FakeDiscord | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.destroy();
  await discord?.close();
});

it('waits for a slow upload past the base timeout, once, while a slow plain request still times out', async () => {
  discord = await startFakeDiscord();
  const guild = discord.world.guild({ name: 'Studio' });
  const channel = discord.world.textChannel(guild, {
    name: 'renders',
    botPermissions: ['ViewChannel', 'SendMessages', 'AttachFiles', 'ReadMessageHistory'],
  });
  client = createDiscordClient({
    shard: { id: 0, count: 1 },
    apiUrl: discord.apiUrl,
    restTimeoutMs: BASE_TIMEOUT_MS,
  });
  client.rest.setToken(discord.token);
  const port = createDiscordPort(client.rest);
  const body = { content: 'Done', allowed_mentions: { parse: [] } };
  const video = { name: 'video.mp4', contentType: 'video/mp4', data: Buffer.alloc(256 * 1024, 7) };

  // Slow for every try discord.js makes (the first and 3 retries).
  discord.faults.delayNext({ method: 'POST', route: MESSAGES, withFiles: true, delayMs: SLOW_MS, count: 4 });
  const started = Date.now();
  const posted = await port.createMessage(channel.id, body, [video]);
  // The first try was waited for: answered after the delay, not cut off and sent again.
  expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_MS);
  expect(discord.counters.requests('POST', MESSAGES)).toBe(1);
  discord.faults.clear();
  const message = discord.messages.get(posted.id);
  expect(message?.current.attachments.map((a) => a.data.length)).toEqual([video.data.length]);

  // Every try of a plain message is cut off at the base timeout; the last failure reaches the caller.
  discord.faults.delayNext({ method: 'POST', route: MESSAGES, delayMs: SLOW_MS, count: 10 });
  await expect(port.createMessage(channel.id, body)).rejects.toThrow(/abort/i);
  expect(discord.messages.inChannel(channel)).toHaveLength(1);
}, 20_000);
