import { describe, expect, it } from 'vitest';
import { renderList, type ListEntry } from '../../../src/render/index.js';
import { CHINESE, NOW, expectNoLiveMentions, expectWithinDiscordLimits } from './fixtures.js';

const GUILD = '100000000000000001';
const CHANNEL = '100000000000000002';

function entry(overrides: Partial<ListEntry> = {}): ListEntry {
  return {
    taskId: 'video_abc',
    guildId: GUILD,
    channelId: CHANNEL,
    messageId: '100000000000000003',
    snapshot: { status: 'in_progress', progress: 55 },
    trackedAt: NOW - 12 * 60_000,
    ...overrides,
  };
}

describe('renderList', () => {
  it('says so when nothing is tracked', () => {
    const payload = renderList([], 'en-US', NOW);
    expect(payload.content).toContain('No video tasks are tracked in this channel');
    expect(payload.embeds).toEqual([]);
    expect(payload.allowed_mentions).toEqual({ parse: [] });
  });

  it('lists each task with its status and a link to its progress message', () => {
    const payload = renderList(
      [
        entry(),
        entry({
          taskId: 'task_2',
          snapshot: { status: 'completed', progress: 100 },
          messageId: '100000000000000004',
        }),
      ],
      'en-US',
      NOW,
    );
    const description = payload.embeds[0]?.description ?? '';
    expect(payload.embeds[0]?.title).toBe('Tracked in this channel (2)');
    const [first, second] = description.split('\n');
    expect(first).toBe(
      `🎬 \`video_abc\` · In progress 55% · tracked 12m ago · https://discord.com/channels/${GUILD}/${CHANNEL}/100000000000000003`,
    );
    expect(second).toContain('✅ `task_2` · Completed');
    expect(second).toContain(`https://discord.com/channels/${GUILD}/${CHANNEL}/100000000000000004`);
  });

  it('shows no link while the progress message is not posted yet', () => {
    const description = renderList([entry({ messageId: undefined })], 'en-US', NOW).embeds[0]?.description;
    expect(description).not.toContain('https://');
  });

  it('says how many more there are when they do not all fit', () => {
    const many = Array.from({ length: 500 }, (_, i) => entry({ taskId: `task_${'x'.repeat(180)}_${i}` }));
    const payload = renderList(many, 'en-US', NOW);
    expectWithinDiscordLimits(payload);
    const lines = payload.embeds[0]?.description?.split('\n') ?? [];
    const shown = lines.length - 1;
    expect(shown).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe(`…and ${500 - shown} more not shown.`);
  });

  it('keeps hostile task ids inert', () => {
    const payload = renderList([entry({ taskId: '@everyone `<@123456789012345678>`' })], 'en-US', NOW);
    expectNoLiveMentions(payload);
  });

  it('speaks Chinese to a zh-CN caller', () => {
    const payload = renderList([entry()], 'zh-CN', NOW);
    expect(payload.embeds[0]?.title).toBe('本频道跟踪的任务（1）');
    expect(payload.embeds[0]?.description).toContain('生成中 55% · 12 分钟前开始跟踪');
    expect(renderList([], 'zh-CN', NOW).content).toMatch(CHINESE);
  });
});
