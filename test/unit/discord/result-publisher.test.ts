import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResultContent } from '../../../src/delivery/delivery.js';
import { createResultPublisher } from '../../../src/discord/result-publisher.js';
import { ALICE, CHANNEL_A, GUILD, MiB, PUBLIC_URL, endedTask, subscription } from '../delivery/fixtures.js';
import { discordError, fakePacer, fakePort } from './fakes.js';

const linked: ResultContent = { kind: 'linked', url: PUBLIC_URL, bytes: 30 * MiB, why: 'too_large' };
const BYTES = Buffer.from('not really an mp4');

function videoOf(content: ResultContent) {
  if (content.kind !== 'attached') throw new Error('not attached');
  return content.video;
}

describe('the result publisher', () => {
  let dir: string;
  let attached: ResultContent;
  let discord: ReturnType<typeof fakePort>;
  let pacing: ReturnType<typeof fakePacer>;
  let tiers: Map<string, number>;
  let publisher: ReturnType<typeof createResultPublisher>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'result-publisher-'));
    await writeFile(join(dir, 'video.mp4'), BYTES);
    attached = {
      kind: 'attached',
      video: { path: join(dir, 'video.mp4'), bytes: BYTES.length, contentType: 'video/mp4' },
    };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  beforeEach(() => {
    discord = fakePort();
    pacing = fakePacer();
    tiers = new Map();
    publisher = createResultPublisher({
      port: discord.port,
      pacer: pacing.pacer,
      logger: pino({ level: 'silent' }),
      guildPremiumTier: (guildId) => tiers.get(guildId),
    });
  });

  describe('a burst of results with files', () => {
    it('holds at most three files in memory, each read when its upload starts', async () => {
      const gates: (() => void)[] = [];
      let inFlight = 0;
      let peak = 0;
      const { port } = discord;
      const blocking = createResultPublisher({
        port: {
          ...port,
          async createMessage(channelId, body, files) {
            inFlight += files?.length ?? 0;
            peak = Math.max(peak, inFlight);
            await new Promise<void>((resolve) => gates.push(resolve));
            inFlight -= files?.length ?? 0;
            return port.createMessage(channelId, body, files);
          },
        },
        pacer: pacing.pacer,
        logger: pino({ level: 'silent' }),
        guildPremiumTier: () => undefined,
      });
      const posts = Array.from({ length: 10 }, (_, i) =>
        blocking.postResult(
          subscription({ channelId: `30000000000000000${i}` }),
          endedTask(),
          attached,
          `n${i}`,
        ),
      );
      // Every post was handed to the pacer at once; only three uploads (three files read) run.
      await vi.waitFor(() => expect(gates).toHaveLength(3));
      expect(peak).toBe(3);
      while (gates.length > 0 || discord.creates.length < 10) {
        gates.shift()?.();
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect((await Promise.all(posts)).every((outcome) => outcome.kind === 'posted')).toBe(true);
      expect(peak).toBe(3);
      expect(
        discord.creates.every((call) => Buffer.from(call.files?.[0]?.data as Buffer).equals(BYTES)),
      ).toBe(true);
    });
  });

  describe('posting the result in a channel', () => {
    it('replies to the progress message, pings only the requester, and is created once by its nonce', async () => {
      const outcome = await publisher.postResult(subscription(), endedTask(), linked, 'nonce-1');
      expect(outcome).toEqual({ kind: 'posted', messageId: '900' });
      const [call] = discord.creates;
      expect(call?.channelId).toBe(CHANNEL_A);
      expect(call?.body).toMatchObject({
        allowed_mentions: { parse: [], users: [ALICE] },
        message_reference: { message_id: `progress-${CHANNEL_A}`, fail_if_not_exists: false },
        nonce: 'nonce-1',
        enforce_nonce: true,
      });
      expect(call?.body.content).toContain(PUBLIC_URL);
      expect(call?.files).toEqual([]);
    });

    it('attaches the file under a safe name, as a video whatever type the download gave', async () => {
      const untyped: ResultContent = {
        kind: 'attached',
        video: { ...videoOf(attached), contentType: 'binary' },
      };
      await publisher.postResult(subscription(), endedTask({ id: 'task/with spaces' }), untyped, 'n');
      const [file] = discord.creates[0]?.files ?? [];
      expect(file?.name).toBe('task_with_spaces.mp4');
      expect(file?.contentType).toBe('video/mp4');
      expect(Buffer.from(file!.data as Buffer).equals(BYTES)).toBe(true);
    });

    it('waits its turn in the channel as a final write', async () => {
      await publisher.postResult(subscription(), endedTask(), linked, 'n');
      expect(pacing.submitted.map((w) => [w.channelId, w.priority])).toEqual([[CHANNEL_A, 'final']]);
    });

    it('a channel the bot lost (10003, 50001) is reported as lost', async () => {
      for (const [status, code] of [
        [404, 10003],
        [403, 50001],
      ] as const) {
        discord.failures.create.push(discordError(status, code));
        expect(await publisher.postResult(subscription(), endedTask(), linked, 'n')).toEqual({
          kind: 'channel_lost',
        });
      }
    });

    it('a missing permission is forbidden, not lost: 160002 names the reply, 50013 names nothing', async () => {
      discord.failures.create.push(discordError(403, 160002), discordError(403, 50013));
      expect(await publisher.postResult(subscription(), endedTask(), attached, 'n')).toEqual({
        kind: 'forbidden',
        missing: 'reply',
      });
      expect(await publisher.postResult(subscription(), endedTask(), attached, 'n')).toEqual({
        kind: 'forbidden',
        missing: 'unknown',
      });
    });

    it('posts a plain message, not a reply, when told to', async () => {
      await publisher.postResult(subscription(), endedTask(), linked, 'n', { reply: false });
      const body = discord.creates[0]?.body;
      expect(body).not.toHaveProperty('message_reference');
      expect(body).toMatchObject({ allowed_mentions: { parse: [], users: [ALICE] }, nonce: 'n' });
    });

    it('a refused file (413, 40005) is reported as too large', async () => {
      discord.failures.create.push(discordError(413, 40005), discordError(413, 0));
      expect(await publisher.postResult(subscription(), endedTask(), attached, 'n')).toEqual({
        kind: 'too_large',
      });
      expect(await publisher.postResult(subscription(), endedTask(), attached, 'n')).toEqual({
        kind: 'too_large',
      });
    });

    it('anything else, an unknown message (10008) included, is a failure to retry', async () => {
      discord.failures.create.push(
        discordError(500, 0),
        discordError(404, 10008),
        new Error('socket hang up'),
      );
      for (let i = 0; i < 3; i++)
        expect(await publisher.postResult(subscription(), endedTask(), linked, 'n')).toEqual({
          kind: 'failed',
        });
    });

    it('a write dropped at shutdown is a failure to retry after the restart', async () => {
      pacing.dropWith('stopped');
      expect(await publisher.postResult(subscription(), endedTask(), linked, 'n')).toEqual({
        kind: 'failed',
      });
      expect(discord.creates).toEqual([]);
    });
  });

  describe('the DM', () => {
    const posted = subscription({
      delivery: { state: 'posted', nonce: 'r', resultMessageId: '400000000000000555' },
    });

    it('mentions nobody, links the channel’s result, and is created once by its nonce', async () => {
      const outcome = await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), linked, 'dm-nonce');
      expect(outcome).toEqual({ kind: 'sent', messageId: '900' });
      const [call] = discord.creates;
      expect(call?.channelId).toBe(`dm-${ALICE}`);
      expect(call?.body).toMatchObject({
        allowed_mentions: { parse: [] },
        nonce: 'dm-nonce',
        enforce_nonce: true,
      });
      expect(call?.body.content).toContain(
        `https://discord.com/channels/${GUILD}/${CHANNEL_A}/400000000000000555`,
      );
    });

    it('carries the file when it is attached', async () => {
      await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), attached, 'n');
      expect(discord.creates[0]?.files).toHaveLength(1);
    });

    it('opens the DM channel once per user', async () => {
      await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), linked, 'n1');
      await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), linked, 'n2');
      expect(discord.opened).toEqual([ALICE]);
    });

    it('closed DMs (50007, 50278) are reported as closed, whether opening or sending', async () => {
      discord.failures.openDm.push(discordError(403, 50278));
      expect(await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), linked, 'n')).toEqual({
        kind: 'closed',
      });
      discord.failures.create.push(discordError(403, 50007));
      expect(await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), linked, 'n')).toEqual({
        kind: 'closed',
      });
    });

    it('a refused file is too large; anything else is a failure to retry', async () => {
      discord.failures.create.push(discordError(413, 40005), discordError(404, 10003), discordError(502, 0));
      expect(await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), attached, 'n')).toEqual({
        kind: 'too_large',
      });
      expect(await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), linked, 'n')).toEqual({
        kind: 'failed',
      });
      expect(await publisher.sendDm(ALICE, 'en-US', posted, endedTask(), linked, 'n')).toEqual({
        kind: 'failed',
      });
    });
  });

  describe('what a post may carry, from the cached permissions', () => {
    const known = { post: true, embedLinks: true, attachFiles: true, readMessageHistory: true };

    it('Attach Files and Read Message History as the cache has them; nothing claimed when unknown', () => {
      const cache = new Map([[CHANNEL_A, { ...known, attachFiles: false }]]);
      const withCache = createResultPublisher({
        port: discord.port,
        pacer: pacing.pacer,
        logger: pino({ level: 'silent' }),
        guildPremiumTier: () => undefined,
        channelPermissions: (channelId) => cache.get(channelId),
      });
      expect(withCache.postAllowance?.(subscription())).toEqual({ attachFiles: false, reply: true });
      cache.set(CHANNEL_A, { ...known, readMessageHistory: false });
      expect(withCache.postAllowance?.(subscription())).toEqual({ attachFiles: true, reply: false });
      // Seemingly no Send Messages: one plainest post, in case the cache is stale.
      cache.set(CHANNEL_A, { ...known, post: false });
      expect(withCache.postAllowance?.(subscription())).toEqual({ attachFiles: false, reply: false });
      expect(withCache.postAllowance?.(subscription({ channelId: '200000000000000009' }))).toBeUndefined();
      expect(publisher.postAllowance?.(subscription())).toBeUndefined();
    });
  });

  describe('upload limits', () => {
    it('the interaction’s limit when known, never above one request’s 25 MiB', () => {
      expect(publisher.channelUploadLimit(subscription({ uploadLimitBytes: 8 * MiB }))).toBe(8 * MiB);
      expect(publisher.channelUploadLimit(subscription({ uploadLimitBytes: 500 * MiB }))).toBe(25 * MiB);
    });

    it('otherwise by the guild’s boost tier: 10 MiB up to tier 1, then capped at 25 MiB', () => {
      expect(publisher.channelUploadLimit(subscription())).toBe(10 * MiB);
      tiers.set(GUILD, 1);
      expect(publisher.channelUploadLimit(subscription())).toBe(10 * MiB);
      tiers.set(GUILD, 2);
      expect(publisher.channelUploadLimit(subscription())).toBe(25 * MiB);
      expect(publisher.channelUploadLimit(subscription({ guildId: undefined }))).toBe(10 * MiB);
      expect(publisher.dmUploadLimit).toBe(10 * MiB);
    });
  });
});
