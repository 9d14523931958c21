import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { createProgressPublisher, progressView } from '../../../src/discord/progress-publisher.js';
import { renderProgressMessage, visibleHash } from '../../../src/render/index.js';
import type { ProgressPublisher } from '../../../src/tracking/tracker.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import { CHANNEL_A, endedTask, subscription } from '../delivery/fixtures.js';
import { discordError, fakePacer, fakePort } from './fakes.js';

const NOW = 60_000;
const running = () => endedTask({ state: 'active', endReason: undefined });

describe('the progress publisher', () => {
  let discord: ReturnType<typeof fakePort>;
  let pacing: ReturnType<typeof fakePacer>;
  let publisher: ProgressPublisher;

  beforeEach(() => {
    discord = fakePort();
    pacing = fakePacer();
    publisher = createProgressPublisher({
      port: discord.port,
      pacer: pacing.pacer,
      clock: createManualClock(NOW),
      logger: pino({ level: 'silent' }),
    });
  });

  describe('posting the progress message', () => {
    it('mentions nobody and is created once by the subscription’s nonce', async () => {
      const sub = subscription({ messageId: undefined, nonce: 'sub-nonce' });
      const outcome = await publisher.create(sub, running());
      const [call] = discord.creates;
      expect(call?.channelId).toBe(CHANNEL_A);
      expect(call?.body).toMatchObject({
        allowed_mentions: { parse: [] },
        nonce: 'sub-nonce',
        enforce_nonce: true,
      });
      expect(outcome).toEqual({
        kind: 'created',
        messageId: '900',
        createdAt: 7_000,
        hash: visibleHash(renderProgressMessage(progressView(sub, running()), NOW)),
      });
    });

    it('a channel the bot lost (10003, 50001, 50013) is reported as lost; anything else as failed', async () => {
      discord.failures.create.push(
        discordError(404, 10003),
        discordError(403, 50001),
        discordError(403, 50013),
        discordError(500, 0),
        discordError(404, 10008),
      );
      const kinds = [];
      for (let i = 0; i < 5; i++) kinds.push((await publisher.create(subscription(), running())).kind);
      expect(kinds).toEqual(['channel_lost', 'channel_lost', 'channel_lost', 'failed', 'failed']);
    });
  });

  describe('editing it', () => {
    it('edits the message with what people see now, mentioning nobody', async () => {
      const sub = subscription({ lastRenderedHash: 'older' });
      const outcome = await publisher.update(sub, running(), { final: false });
      const payload = renderProgressMessage(progressView(sub, running()), NOW);
      expect(outcome).toEqual({ kind: 'published', hash: visibleHash(payload) });
      expect(discord.edits).toEqual([{ channelId: CHANNEL_A, messageId: sub.messageId, body: payload }]);
      expect(discord.edits[0]?.body.allowed_mentions).toEqual({ parse: [] });
    });

    it('sends nothing when what people see has not changed, or there is no message yet', async () => {
      const sub = subscription();
      const hash = visibleHash(renderProgressMessage(progressView(sub, running()), NOW));
      expect(await publisher.update({ ...sub, lastRenderedHash: hash }, running(), { final: false })).toEqual(
        {
          kind: 'unchanged',
        },
      );
      expect(
        await publisher.update(subscription({ messageId: undefined }), running(), { final: true }),
      ).toEqual({
        kind: 'unchanged',
      });
      expect(pacing.submitted).toEqual([]);
      expect(discord.edits).toEqual([]);
    });

    it('goes through the pacer keyed by message, the final state ahead of progress, with the message’s age', async () => {
      await publisher.update(subscription(), running(), { final: false });
      await publisher.update(subscription(), endedTask(), { final: true });
      expect(pacing.submitted.map((w) => [w.key, w.priority, w.targetCreatedAt])).toEqual([
        [`${CHANNEL_A}:progress-${CHANNEL_A}`, 'progress', 1_000],
        [`${CHANNEL_A}:progress-${CHANNEL_A}`, 'ending', 1_000],
      ]);
    });

    it('a deleted message (10008) and a lost channel (10003, 50001, 50013) are reported as such', async () => {
      discord.failures.edit.push(
        discordError(404, 10008, 'PATCH'),
        discordError(404, 10003, 'PATCH'),
        discordError(403, 50001, 'PATCH'),
        discordError(403, 50013, 'PATCH'),
      );
      const kinds = [];
      for (let i = 0; i < 4; i++)
        kinds.push((await publisher.update(subscription(), running(), { final: false })).kind);
      expect(kinds).toEqual(['message_deleted', 'channel_lost', 'channel_lost', 'channel_lost']);
      expect(pacing.penalties).toEqual([]);
    });

    it('a channel the bot may still post in keeps its subscription without Embed Links: no edit is sent, or a refused one is let go', async () => {
      const known = { post: true, embedLinks: false, attachFiles: true, readMessageHistory: true };
      const cache = new Map([[CHANNEL_A, known]]);
      const withCache = createProgressPublisher({
        port: discord.port,
        pacer: pacing.pacer,
        clock: createManualClock(NOW),
        logger: pino({ level: 'silent' }),
        channelPermissions: (channelId) => cache.get(channelId),
      });
      // Known to lack Embed Links: the edit would be refused, so it is not sent.
      expect(await withCache.update(subscription(), endedTask(), { final: true })).toEqual({
        kind: 'unchanged',
      });
      expect(discord.edits).toEqual([]);
      // The cache said Embed Links, Discord said 50013: the channel stays, for its result.
      cache.set(CHANNEL_A, { ...known, embedLinks: true });
      discord.failures.edit.push(discordError(403, 50013, 'PATCH'));
      expect(await withCache.update(subscription(), running(), { final: false })).toEqual({
        kind: 'unchanged',
      });
      // The bot may not post at all (or the cache does not know the channel): lost, as before.
      cache.set(CHANNEL_A, { ...known, post: false });
      discord.failures.edit.push(discordError(403, 50013, 'PATCH'));
      expect((await withCache.update(subscription(), running(), { final: false })).kind).toBe('channel_lost');
      cache.delete(CHANNEL_A);
      discord.failures.edit.push(discordError(403, 50013, 'PATCH'));
      expect((await withCache.update(subscription(), running(), { final: false })).kind).toBe('channel_lost');
    });

    it('rate limits (429, 30046) hold the channel back for 5 s and fail the edit, to be retried', async () => {
      discord.failures.edit.push(discordError(429, 0, 'PATCH'), discordError(400, 30046, 'PATCH'));
      for (let i = 0; i < 2; i++)
        expect(await publisher.update(subscription(), running(), { final: false })).toEqual({
          kind: 'failed',
        });
      expect(pacing.penalties).toEqual([
        { channelId: CHANNEL_A, retryAfterMs: 5_000 },
        { channelId: CHANNEL_A, retryAfterMs: 5_000 },
      ]);
    });

    it('any other error fails the edit without holding the channel back', async () => {
      discord.failures.edit.push(discordError(500, 0, 'PATCH'));
      expect(await publisher.update(subscription(), running(), { final: false })).toEqual({ kind: 'failed' });
      expect(pacing.penalties).toEqual([]);
    });

    it('an edit replaced by a newer state is superseded; one dropped at shutdown failed', async () => {
      pacing.dropWith('replaced');
      expect(await publisher.update(subscription(), running(), { final: false })).toEqual({
        kind: 'superseded',
      });
      pacing.dropWith('stopped');
      expect(await publisher.update(subscription(), running(), { final: false })).toEqual({ kind: 'failed' });
      expect(discord.edits).toEqual([]);
    });
  });
});
