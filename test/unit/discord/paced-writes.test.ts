import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createEditPacer } from '../../../src/discord/edit-pacer.js';
import type { DiscordPort } from '../../../src/discord/port.js';
import { createProgressPublisher } from '../../../src/discord/progress-publisher.js';
import { createResultPublisher } from '../../../src/discord/result-publisher.js';
import { createManualClock } from '../../../testkit/clock/manual-clock.js';
import type { ResultContent } from '../../../src/delivery/delivery.js';
import { PUBLIC_URL, endedTask, subscription } from '../delivery/fixtures.js';

const GLOBAL = { limit: 10, windowMs: 1_000 };
const PER_CHANNEL = { limit: 5, windowMs: 5_000 };

/**
 * A burst of progress creates, DM channel opens and DMs (a restart with many results to hand out) stays
 * within Discord's global budget and each channel's: docs/discord-limits.md.
 */
describe('every Discord write goes through the pacer', () => {
  it('creates and DMs sent at once never exceed the global window, nor a channel’s', async () => {
    const clock = createManualClock(1_000_000);
    const logger = pino({ level: 'silent' });
    const requests: { at: number; channelId: string }[] = [];
    let nextId = 1;
    const port: DiscordPort = {
      createMessage(channelId) {
        requests.push({ at: clock.now(), channelId });
        return Promise.resolve({ id: String(nextId++), channelId, createdAt: clock.now() });
      },
      editMessage: () => Promise.reject(new Error('no edits here')),
      openDm(userId) {
        requests.push({ at: clock.now(), channelId: `open:${userId}` });
        return Promise.resolve(`dm-${userId}`);
      },
    };
    const pacer = createEditPacer({ clock, logger, global: GLOBAL, perChannel: PER_CHANNEL });
    const progress = createProgressPublisher({ port, pacer, clock, logger });
    const results = createResultPublisher({ port, pacer, logger, guildPremiumTier: () => undefined });
    const linked: ResultContent = { kind: 'linked', url: PUBLIC_URL, bytes: undefined, why: 'not_ready' };

    const running = endedTask({ state: 'active', endReason: undefined });
    const creates = Array.from({ length: 12 }, (_, i) =>
      progress.create(
        subscription({ channelId: `chan-${i % 2}`, messageId: undefined, nonce: `n${i}` }),
        running,
      ),
    );
    const dms = Array.from({ length: 12 }, (_, i) =>
      results.sendDm(`user-${i}`, 'en-US', subscription(), endedTask(), linked, `dm-${i}`),
    );
    const settled = Promise.all([...creates, ...dms]);
    let done = false;
    void settled.then(() => (done = true));
    for (let step = 0; step < 120 && !done; step++) await clock.advance(250);

    const outcomes = await settled;
    expect(outcomes.map((o) => o.kind)).toEqual([...Array(12).fill('created'), ...Array(12).fill('sent')]);
    expect(requests).toHaveLength(12 + 12 + 12);
    // However the window is placed, it never holds more than the limit.
    const most = (window: number, of: typeof requests) =>
      Math.max(...of.map(({ at }) => of.filter((r) => r.at >= at && r.at < at + window).length));
    expect(most(GLOBAL.windowMs, requests)).toBeLessThanOrEqual(GLOBAL.limit);
    for (const channelId of ['chan-0', 'chan-1']) {
      const inChannel = requests.filter((r) => r.channelId === channelId);
      expect(most(PER_CHANNEL.windowMs, inChannel)).toBeLessThanOrEqual(PER_CHANNEL.limit);
    }
  });
});
