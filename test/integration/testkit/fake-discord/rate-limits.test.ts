import { RateLimitError, RESTEvents, type RateLimitData } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../../testkit/clock/manual-clock.js';
import { ErrorCode } from '../../../../testkit/fake-discord/constants.js';
import { rawRequest, useFakeDiscord } from '../../../../testkit/fake-discord/harness.js';
import { Buckets } from '../../../../testkit/fake-discord/rate-limits.js';

const fake = useFakeDiscord();
const HOUR = 60 * 60_000;

async function channelWorld(options: Parameters<typeof fake.start>[0] = {}) {
  const discord = await fake.start(options);
  const guild = discord.world.guild();
  const channel = discord.world.textChannel(guild);
  return { discord, guild, channel };
}

describe('rate limits', () => {
  it('lets a client that follows the headers make 30 edits in one channel without a single 429', async () => {
    // Real time, with the 5-per-5-s window shrunk to 5 per 300 ms so the burst takes ~2 s, not ~30 s.
    const { discord, channel } = await channelWorld({
      rateLimits: { messageWrites: { limit: 5, windowMs: 300 } },
    });
    const client = await fake.connect(discord);
    const sendable = await client.channels.fetch(channel.id);
    if (!sendable?.isSendable()) throw new Error('not sendable');
    const message = await sendable.send('0%');
    const waits: RateLimitData[] = [];
    client.rest.on(RESTEvents.RateLimited, (data) => waits.push(data));

    await Promise.all(Array.from({ length: 30 }, (_, i) => sendable.messages.edit(message.id, `${i + 1}0%`)));

    expect(discord.counters.rateLimited()).toEqual({ user: 0, global: 0, shared: 0 });
    // It did meet the limit: discord.js read the exhausted bucket from the headers and waited.
    expect(waits.length).toBeGreaterThan(0);
    const versions = discord.messages.get(message.id)!.versions;
    expect(versions).toHaveLength(31);
    expect(versions.at(-1)?.content).toBe('300%');
  });

  it('answers a client that ignores the headers with 429s and a correct retry_after', async () => {
    const clock = createManualClock();
    const { discord, channel } = await channelWorld({ clock });
    const post = () =>
      rawRequest(discord, 'POST', `/channels/${channel.id}/messages`, { body: { content: 'x' } });

    const allowed = [];
    for (let i = 0; i < 5; i++) allowed.push(await post());
    expect(allowed.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(allowed.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0']);
    expect(allowed[0]?.headers.get('x-ratelimit-limit')).toBe('5');
    expect(allowed[0]?.headers.get('x-ratelimit-reset-after')).toBe('5.000');
    expect(allowed[0]?.headers.get('x-ratelimit-reset')).toBe(((clock.now() + 5000) / 1000).toFixed(3));
    expect(allowed[0]?.headers.get('x-ratelimit-bucket')).toBe(Buckets.messageWrites);

    // Edits share the bucket with creates.
    await clock.advance(2000);
    const edit = await rawRequest(
      discord,
      'PATCH',
      `/channels/${channel.id}/messages/${allowed[0]?.json.id}`,
      {
        body: { content: 'edited' },
      },
    );
    expect(edit.status).toBe(429);
    expect(edit.json).toEqual({ message: 'You are being rate limited.', retry_after: 3, global: false });
    expect(edit.headers.get('retry-after')).toBe('3');
    expect(edit.headers.get('x-ratelimit-scope')).toBe('user');
    expect(edit.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(edit.headers.get('x-ratelimit-bucket')).toBe(Buckets.messageWrites);

    await clock.advance(edit.json.retry_after * 1000);
    expect((await post()).status).toBe(200);
    expect(discord.counters.rateLimited().user).toBe(1);
    expect(discord.counters.invalidRequests()).toBe(1);
  });

  it('limits a bot to 50 requests per second globally; interaction callbacks are exempt', async () => {
    const clock = createManualClock();
    const { discord, guild, channel } = await channelWorld({ clock });
    const alice = discord.world.user();
    discord.world.member(guild, alice);
    for (let i = 0; i < 50; i++) expect((await rawRequest(discord, 'GET', '/users/@me')).status).toBe(200);

    const refused = await rawRequest(discord, 'GET', '/users/@me');
    expect(refused.status).toBe(429);
    expect(refused.json.global).toBe(true);
    expect(refused.headers.get('x-ratelimit-global')).toBe('true');
    expect(refused.headers.get('x-ratelimit-scope')).toBe('global');

    const command = discord.interactions.command({ user: alice, channel, name: 'ping' });
    const callback = await rawRequest(
      discord,
      'POST',
      `/interactions/${command.id}/${command.token}/callback`,
      {
        auth: false,
        body: { type: 4, data: { content: 'pong' } },
      },
    );
    expect(callback.status).toBe(204);
    expect(discord.counters.rateLimited().global).toBe(1);
  });

  it('allows 3 quick edits of a two-hour-old message, then 429 code 30046', async () => {
    const clock = createManualClock();
    const { discord, channel } = await channelWorld({ clock });
    const old = discord.messages.seed({
      channel,
      body: { content: 'Progress 10%' },
      createdAt: clock.now() - 2 * HOUR,
    });
    const fresh = discord.messages.seed({ channel, body: { content: 'new' } });
    const edit = (id: string, content: string) =>
      rawRequest(discord, 'PATCH', `/channels/${channel.id}/messages/${id}`, { body: { content } });

    const statuses = [];
    for (const step of ['20%', '30%', '40%']) statuses.push((await edit(old.id, step)).status);
    const refused = await edit(old.id, '50%');

    expect(statuses).toEqual([200, 200, 200]);
    expect(refused.status).toBe(429);
    expect(refused.json.code).toBe(ErrorCode.MaxEditsToOldMessages);
    expect(refused.json.retry_after).toBe(6);
    expect(refused.headers.get('x-ratelimit-scope')).toBe('shared');
    // The channel's own bucket still has room: a recent message can be edited.
    expect((await edit(fresh.id, 'new, edited')).status).toBe(200);
    // Shared-scope 429s do not count toward the invalid request limit.
    expect(discord.counters.invalidRequests()).toBe(0);
  });

  it('gives discord.js the 30046 answer as a rate limit it can reject on', async () => {
    const clock = createManualClock();
    const { discord, channel } = await channelWorld({ clock });
    const client = await fake.connect(discord, { rest: { rejectOnRateLimit: ['/channels'] } });
    const old = discord.messages.seed({
      channel,
      body: { content: 'Progress 10%' },
      createdAt: clock.now() - 2 * HOUR,
    });
    const sendable = await client.channels.fetch(channel.id);
    if (!sendable?.isSendable()) throw new Error('not sendable');

    const outcomes = await Promise.allSettled(
      ['20%', '30%', '40%', '50%'].map((step) => sendable.messages.edit(old.id, `Progress ${step}`)),
    );

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const error = (outcomes[3] as PromiseRejectedResult).reason as RateLimitError;
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.scope).toBe('shared');
    expect(error.retryAfter).toBeGreaterThanOrEqual(6000);
    expect(discord.counters.log().filter((e) => e.code === ErrorCode.MaxEditsToOldMessages)).toHaveLength(1);
    expect(discord.messages.get(old.id)?.current.content).toBe('Progress 40%');
  });
});
