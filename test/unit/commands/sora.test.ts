import { describe, expect, it } from 'vitest';
import { taskIdChoices } from '../../../src/discord/commands/sora/autocomplete.js';
import type { GuildCommand, SubcommandHandler } from '../../../src/discord/commands/sora/guild-command.js';
import { listEntry } from '../../../src/discord/commands/sora/list.js';
import { createSoraRouter } from '../../../src/discord/commands/sora/router.js';
import { trackReply } from '../../../src/discord/commands/sora/track.js';
import { untrackReply } from '../../../src/discord/commands/sora/untrack.js';
import { t } from '../../../src/i18n/index.js';
import type { ChannelEntry, TrackResult } from '../../../src/tracking/tracker.js';

const GUILD = '100000000000000001';
const CHANNEL = '200000000000000002';

/** Just what the pure reply functions read of a `/sora` interaction. */
function guildCommand(granted: readonly string[] = []): GuildCommand {
  return {
    locale: 'en-US',
    guildId: GUILD,
    channelId: CHANNEL,
    channel: null,
    appPermissions: { has: (permission: string) => granted.includes(permission) },
  } as unknown as GuildCommand;
}

describe('/sora track answers', () => {
  const tracked = {
    kind: 'tracked',
    subscription: { messageId: '300000000000000003' },
    task: { id: 'video_1' },
  } as unknown as TrackResult;

  it('links the progress message it posted', () => {
    const reply = trackReply(tracked, guildCommand(), 'video_1');
    expect(reply.content).toContain(`https://discord.com/channels/${GUILD}/${CHANNEL}/300000000000000003`);
  });

  it('names every permission it needs when Discord refused the post although they looked granted', () => {
    const all = trackReply({ kind: 'channel_lost' }, guildCommand(['ViewChannel']), 'video_1');
    const some = trackReply({ kind: 'channel_lost' }, guildCommand(), 'video_1');
    expect(all.content).toContain('Send Messages');
    expect(some.content).toContain('View Channel');
  });

  it('says which limit was reached', () => {
    expect(trackReply({ kind: 'user_limit', limit: 3 }, guildCommand(), 'x').content).toContain('3');
    expect(trackReply({ kind: 'guild_limit', limit: 50 }, guildCommand(), 'x').content).toContain('50');
  });
});

describe('/sora untrack answers', () => {
  it('tells untracked, not tracked and an invalid id apart', () => {
    const untracked = untrackReply({ kind: 'untracked' } as never, 'en-US', 'video_1').content;
    const notTracked = untrackReply({ kind: 'not_tracked' }, 'en-US', 'video_1').content;
    const invalid = untrackReply({ kind: 'invalid_id', reason: 'empty' }, 'en-US', '').content;
    expect(new Set([untracked, notTracked, invalid]).size).toBe(3);
  });
});

describe('/sora list entries', () => {
  it('falls back to the subscription when the task record is gone', () => {
    const entry = {
      subscription: { taskId: 'video_1', channelId: CHANNEL, messageId: 'm', createdAt: 5 },
      task: undefined,
    } as unknown as ChannelEntry;
    expect(listEntry(entry, GUILD)).toEqual({
      taskId: 'video_1',
      guildId: GUILD,
      channelId: CHANNEL,
      messageId: 'm',
      snapshot: undefined,
      trackedAt: 5,
      ended: false,
    });
  });
});

describe('/sora autocomplete', () => {
  it('offers at most 25 tracked ids containing what was typed, ignoring case and ids too long to offer', () => {
    const ids = [
      'video_ABC',
      'video_abd',
      'other',
      'x'.repeat(101),
      ...Array.from({ length: 30 }, (_, i) => `ab${i}`),
    ];
    expect(taskIdChoices(ids, 'AB').map((choice) => choice.value)).toEqual([
      'video_ABC',
      'video_abd',
      ...Array.from({ length: 23 }, (_, i) => `ab${i}`),
    ]);
    expect(taskIdChoices(['video_1'], '')).toEqual([{ name: 'video_1', value: 'video_1' }]);
  });
});

describe('the /sora router', () => {
  function fakeInteraction(subcommand: string | null) {
    const edits: unknown[] = [];
    const interaction = {
      commandName: 'sora',
      locale: 'en-US',
      inGuild: () => true,
      deferReply: () => Promise.resolve(),
      editReply: (body: unknown) => Promise.resolve(void edits.push(body)),
      options: { getSubcommand: () => subcommand },
    };
    return { interaction: interaction as never, edits };
  }

  it('hands a known subcommand to its handler, and answers any other one as unexpected', async () => {
    const handled: string[] = [];
    const handler: SubcommandHandler = () => Promise.resolve(void handled.push('list'));
    const route = createSoraRouter(new Map([['list', handler]]));

    await route(fakeInteraction('list').interaction);
    expect(handled).toEqual(['list']);

    // Names from an old registration, including ones an object would inherit.
    for (const name of ['archive', 'toString', 'constructor', null]) {
      const { interaction, edits } = fakeInteraction(name);
      await route(interaction);
      expect(edits, String(name)).toEqual([
        expect.objectContaining({ content: t('en-US', 'error.unexpected') }),
      ]);
    }
    expect(handled).toEqual(['list']);
  });
});
