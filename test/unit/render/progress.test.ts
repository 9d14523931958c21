import { describe, expect, it } from 'vitest';
import {
  decodeButtonId,
  refersTo,
  renderProgressMessage,
  renderStatusReply,
  visibleHash,
  type ProgressView,
} from '../../../src/render/index.js';
import {
  CHINESE,
  NOW,
  REQUESTER,
  embedText,
  expectNoLiveMentions,
  expectWithinDiscordLimits,
  snapshot,
  view,
} from './fixtures.js';

function embedOf(v: ProgressView, now = NOW) {
  const embed = renderProgressMessage(v, now).embeds[0];
  if (embed === undefined) throw new Error('no embed rendered');
  return embed;
}

function field(v: ProgressView, name: string) {
  return embedOf(v).fields?.find((f) => f.name === name)?.value;
}

describe('renderProgressMessage: status', () => {
  const cases: { name: string; v: ProgressView; colour: number; title: string }[] = [
    {
      name: 'queued',
      v: view({ snapshot: snapshot({ status: 'queued', rawStatus: 'queued', progress: 0 }) }),
      colour: 0xfee75c,
      title: '⏳ Queued',
    },
    { name: 'in progress', v: view(), colour: 0x5865f2, title: '🎬 In progress' },
    {
      name: 'completed',
      v: view({
        snapshot: snapshot({ status: 'completed', rawStatus: 'completed', progress: 100 }),
        tracking: { state: 'ended', reason: 'completed' },
      }),
      colour: 0x57f287,
      title: '✅ Completed',
    },
    {
      name: 'failed',
      v: view({
        snapshot: snapshot({
          status: 'failed',
          rawStatus: 'failed',
          failure: { reason: 'Upstream error', moderation: false },
        }),
        tracking: { state: 'ended', reason: 'failed' },
      }),
      colour: 0xed4245,
      title: '❌ Failed',
    },
    {
      name: 'given up (idle)',
      v: view({ tracking: { state: 'ended', reason: 'idle_timeout' } }),
      colour: 0x747f8d,
      title: '⏹️ Tracking stopped',
    },
    {
      name: 'not yet polled',
      v: view({ snapshot: undefined }),
      colour: 0x99aab5,
      title: '🕒 Waiting for the first update',
    },
  ];

  it.each(cases)('$name has its own colour and icon', ({ v, colour, title }) => {
    const embed = embedOf(v);
    expect(embed.color).toBe(colour);
    expect(embed.title).toBe(title);
  });

  it('gives every state a distinct colour', () => {
    const colours = new Set(cases.map(({ v }) => embedOf(v).color));
    expect(colours.size).toBe(cases.length);
  });

  it('draws a 20-cell bar with the percent, and says when progress is unknown', () => {
    expect(embedOf(view()).description).toContain('▰'.repeat(8) + '▱'.repeat(12) + ' 40%');
    const unknown = embedOf(view({ snapshot: snapshot({ progress: undefined }) })).description;
    expect(unknown).toContain('▱'.repeat(20) + ' progress unknown');
  });

  it('shows a completed task as 100 % even when the last figure lagged', () => {
    const v = view({
      snapshot: snapshot({ status: 'completed', progress: 93 }),
      tracking: { state: 'ended', reason: 'completed' },
    });
    expect(embedOf(v).description).toContain('▰'.repeat(20) + ' 100%');
  });

  it('shows queue position and estimated wait when the API gives them', () => {
    const v = view({ snapshot: snapshot({ status: 'queued', queuePosition: 3, estimatedWaitSeconds: 130 }) });
    const description = embedOf(v).description;
    expect(description).toContain('Position in queue: 3');
    expect(description).toContain('Estimated wait: about 2m');
    expect(embedOf(view()).description).not.toContain('Position in queue');
  });

  it("shows the API's own status word when it says more than the normalised one", () => {
    expect(embedOf(view({ snapshot: snapshot({ rawStatus: 'processing' }) })).description).toContain(
      'API status: processing',
    );
    expect(embedOf(view({ snapshot: snapshot({ rawStatus: 'IN_PROGRESS' }) })).description).not.toContain(
      'API status',
    );
  });

  it('shows model, size, duration, requester, task id and prompt', () => {
    const v = view();
    expect(field(v, 'Model')).toBe('sora-2');
    expect(field(v, 'Size')).toBe('1280x720');
    expect(field(v, 'Duration')).toBe('8s');
    expect(field(v, 'Requested by')).toBe(`<@${REQUESTER}>`);
    expect(field(v, 'Task')).toBe('`video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5`');
    expect(field(v, 'Prompt')).toBe('A calico cat surfing a wave at sunset');
  });

  it('leaves out facts the API did not give', () => {
    const v = view({
      snapshot: snapshot({
        model: undefined,
        size: undefined,
        durationSeconds: undefined,
        prompt: undefined,
      }),
    });
    const names = embedOf(v).fields?.map((f) => f.name);
    expect(names).not.toContain('Model');
    expect(names).not.toContain('Size');
    expect(names).not.toContain('Duration');
    expect(names).not.toContain('Prompt');
  });

  it('names a moderation block as such, and other failures by their reason', () => {
    const blocked = view({
      snapshot: snapshot({
        status: 'failed',
        failure: { reason: 'Your request was blocked by our moderation system.', moderation: true },
      }),
      tracking: { state: 'ended', reason: 'failed' },
    });
    expect(field(blocked, 'Blocked by content moderation')).toBe(
      'Your request was blocked by our moderation system.',
    );
    const failed = view({
      snapshot: snapshot({ status: 'failed', failure: { reason: 'Internal error', moderation: false } }),
      tracking: { state: 'ended', reason: 'failed' },
    });
    expect(field(failed, 'Reason')).toBe('Internal error');
  });

  it('links the video of a completed task when known, with its expiry', () => {
    const v = view({
      snapshot: snapshot({
        status: 'completed',
        videoUrl: 'https://cdn.example.com/v/a (1).mp4?sig=x',
        expiresAt: new Date(NOW + 3_600_000),
      }),
      tracking: { state: 'ended', reason: 'completed' },
    });
    expect(field(v, 'Video')).toBe('[Open the video](https://cdn.example.com/v/a%20%281%29.mp4?sig=x)');
    expect(field(v, 'Link expires')).toBe(`<t:${(NOW + 3_600_000) / 1000}:R>`);
  });

  it('never links a non-http video URL', () => {
    const v = view({
      snapshot: snapshot({ status: 'completed', videoUrl: 'javascript:alert(1)' }),
      tracking: { state: 'ended', reason: 'completed' },
    });
    expect(field(v, 'Video')).toBeUndefined();
  });

  it('shows a live start time while running and a fixed run time once ended', () => {
    const created = NOW - 5 * 60_000;
    expect(field(view(), 'Started')).toBe(`<t:${created / 1000}:R>`);
    const done = view({
      snapshot: snapshot({ status: 'completed', completedAt: new Date(created + 3 * 60_000 + 20_000) }),
      tracking: { state: 'ended', reason: 'completed' },
    });
    expect(field(done, 'Elapsed')).toBe('3m 20s');
  });

  it('counts from the tracking start when the API claims a creation time in the future', () => {
    const v = view({ snapshot: snapshot({ createdAt: new Date(NOW + 60_000) }) });
    expect(field(v, 'Started')).toBe(`<t:${(NOW - 4 * 60_000) / 1000}:R>`);
  });

  it('shows the last update as a Discord timestamp and whether the message still updates', () => {
    const embed = embedOf(view());
    expect(embed.description).toContain(`Last update <t:${(NOW - 30_000) / 1000}:R>`);
    expect(embed.footer?.text).toBe('Updates automatically');
    expect(embedOf(view({ tracking: { state: 'ended', reason: 'max_age' } })).footer?.text).toBe(
      'Final state, no longer updated',
    );
  });

  it.each([
    ['not_found', 'no longer knows this task'],
    ['unauthorized', 'lost access'],
    ['idle_timeout', 'no change for too long'],
    ['max_age', 'longest time allowed'],
  ] as const)('explains why tracking ended: %s', (reason, text) => {
    expect(embedOf(view({ tracking: { state: 'ended', reason } })).description).toContain(text);
  });

  it('says who stopped tracking, without pinging them', () => {
    const stopper = '223456789012345678';
    const payload = renderProgressMessage(
      view({ tracking: { state: 'ended', reason: 'untracked', stoppedBy: stopper } }),
      NOW,
    );
    expect(payload.embeds[0]?.description).toContain(`Tracking was stopped by <@${stopper}>.`);
    expect(payload.allowed_mentions).toEqual({ parse: [] });
  });
});

describe('renderProgressMessage: locale', () => {
  it('writes a zh-CN message in Chinese', () => {
    const embed = embedOf(
      view({ locale: 'zh-CN', snapshot: snapshot({ queuePosition: 2, estimatedWaitSeconds: 600 }) }),
    );
    expect(embed.title).toBe('🎬 生成中');
    expect(embed.description).toContain('排队位置：2');
    expect(embed.description).toContain('约 10 分钟');
    const names = embed.fields?.map((f) => f.name) ?? [];
    expect(names).toEqual(['模型', '尺寸', '时长', '开始于', '发起人', '任务', '提示词']);
    for (const name of names) expect(name).toMatch(CHINESE);
    expect(embed.footer?.text).toMatch(CHINESE);
    expect(embedText(embed)).not.toMatch(/Prompt|Model|Requested|Last update/);
  });

  it('falls back to English for other locales', () => {
    expect(embedOf(view({ locale: 'fr' })).title).toBe('🎬 In progress');
  });
});

describe('renderProgressMessage: hostile input', () => {
  const zeroWidth = '\u200b\u200c\u200d\u2060\ufeff';
  const hostilePrompt = (
    '@everyone @here <@123456789012345678> <@&987654321098765432> **bold** __u__ ||spoiler|| `code` ```block```\n' +
    '# heading\n> quote\n-# small\n- list\n[phish](https://evil.example) ' +
    zeroWidth +
    '\n\n\n\n\n'
  )
    .repeat(40)
    .slice(0, 5000);
  const hostileId = ('`@everyone`<@1>' + zeroWidth).repeat(20).slice(0, 200);

  const hostileViews: [string, ProgressView][] = [
    ['5,000-char prompt', view({ snapshot: snapshot({ prompt: hostilePrompt }) })],
    [
      'everything huge at once',
      view({
        taskId: hostileId,
        snapshot: snapshot({
          id: hostileId,
          status: 'completed',
          rawStatus: '@everyone '.repeat(500),
          prompt: hostilePrompt,
          model: '*'.repeat(5000),
          size: '_'.repeat(5000),
          failure: { reason: '@here '.repeat(20_000), moderation: true },
          videoUrl: `https://example.com/${'a'.repeat(10_000)}`,
          queuePosition: 1e12,
          estimatedWaitSeconds: 1e12,
          durationSeconds: 1e15,
        }),
        tracking: { state: 'ended', reason: 'completed' },
      }),
    ],
    [
      'only zero-width and blank text',
      view({
        taskId: zeroWidth,
        snapshot: snapshot({ prompt: '\n \n', model: '   ', size: zeroWidth, rawStatus: ' ' }),
      }),
    ],
    ['a requester id that is not a snowflake', view({ requesterId: '@everyone' })],
  ];

  it.each(hostileViews)('%s: stays within every Discord limit and pings no one', (_name, v) => {
    for (const locale of ['en-US', 'zh-CN']) {
      const payload = renderProgressMessage({ ...v, locale }, NOW);
      expectWithinDiscordLimits(payload);
      expectNoLiveMentions(payload, /^\d+$/.test(v.requesterId) ? [v.requesterId] : []);
      expect(payload.allowed_mentions).toEqual({ parse: [] });
    }
  });

  it('clips a long prompt with an ellipsis and escapes its markdown', () => {
    const prompt = field(view({ snapshot: snapshot({ prompt: hostilePrompt }) }), 'Prompt') ?? '';
    expect(prompt.endsWith('…')).toBe(true);
    expect(prompt).toContain('\\*\\*bold\\*\\*');
    expect(prompt).toContain('\\# heading');
    expect(prompt).toContain('\\> quote');
    expect(prompt).toContain('\\[phish](');
    expect(prompt).not.toMatch(/\n{3}/);
  });

  it('keeps a task id with backticks inside one code span', () => {
    const value = field(view({ taskId: 'abc`def' }), 'Task');
    expect(value).toBe('`abcˋdef`');
  });
});

describe('renderStatusReply', () => {
  it('renders the snapshot without tracking details', () => {
    const payload = renderStatusReply(snapshot({ queuePosition: 4 }), 'en-US', NOW);
    const embed = payload.embeds[0];
    expect(embed?.title).toBe('🎬 In progress');
    expect(embed?.description).toContain('Position in queue: 4');
    const names = embed?.fields?.map((f) => f.name);
    expect(names).not.toContain('Requested by');
    expect(embed?.description).not.toContain('Last update');
    expect(embed?.footer).toBeUndefined();
    expect(payload.allowed_mentions).toEqual({ parse: [] });
  });

  it('states the elapsed time at the moment of asking', () => {
    const elapsed = renderStatusReply(snapshot(), 'en-US', NOW).embeds[0]?.fields?.find(
      (f) => f.name === 'Elapsed',
    );
    expect(elapsed?.value).toBe('5m');
  });

  it('speaks Chinese to a zh-CN caller', () => {
    const embed = renderStatusReply(snapshot({ status: 'queued' }), 'zh-CN', NOW).embeds[0];
    expect(embed?.title).toBe('⏳ 排队中');
    expect(embed?.fields?.find((f) => f.name === '用时')?.value).toBe('5 分钟');
  });

  it('stays within limits with hostile input', () => {
    const payload = renderStatusReply(
      snapshot({
        id: 'x'.repeat(200),
        prompt: '@everyone '.repeat(600),
        failure: { reason: '<@1> '.repeat(5000), moderation: false },
      }),
      'zh-CN',
      NOW,
    );
    expectWithinDiscordLimits(payload);
    expectNoLiveMentions(payload);
  });
});

describe('renderProgressMessage: buttons', () => {
  type Row = {
    type: number;
    components: {
      type: number;
      custom_id?: string;
      label?: string;
      emoji?: { name?: string };
      style: number;
    }[];
  };
  const rows = (v: ProgressView) => renderProgressMessage(v, NOW).components as unknown as Row[];
  const buttons = (v: ProgressView) => rows(v).flatMap((row) => row.components);

  it('offers Refresh, Notify me and Stop tracking in one row while tracking', () => {
    expect(rows(view())).toHaveLength(1);
    expect(rows(view())[0]?.type).toBe(1);
    expect(buttons(view()).map((b) => `${b.emoji?.name} ${b.label}`)).toEqual([
      '🔄 Refresh',
      '🔔 Notify me',
      '⏹️ Stop tracking',
    ]);
    for (const button of buttons(view())) expect(button.type).toBe(2);
  });

  it('names the action and the task in each custom_id, all different', () => {
    const ids = buttons(view()).map((b) => decodeButtonId(b.custom_id ?? ''));
    expect(ids.map((id) => id?.action)).toEqual(['refresh', 'notify', 'stop']);
    for (const id of ids) expect(id?.task).toEqual({ kind: 'id', taskId: view().taskId });
  });

  it.each([
    ['completed', { state: 'ended', reason: 'completed' }],
    ['failed', { state: 'ended', reason: 'failed' }],
    ['stopped by someone', { state: 'ended', reason: 'untracked', stoppedBy: REQUESTER }],
    ['given up', { state: 'ended', reason: 'idle_timeout' }],
  ] as const)('has no buttons once tracking ended (%s)', (_name, tracking) => {
    expect(renderProgressMessage(view({ tracking }), NOW).components).toEqual([]);
  });

  it('has no buttons when the API already says completed', () => {
    const done = view({ snapshot: snapshot({ status: 'completed', rawStatus: 'completed', progress: 100 }) });
    expect(renderProgressMessage(done, NOW).components).toEqual([]);
  });

  it('keeps custom_ids within 100 characters for a 200-character task id, and each still names the task', () => {
    const longId = `sora-2:task_${'0123456789abcdef'.repeat(13)}`.slice(0, 200);
    expect(longId).toHaveLength(200);
    const long = buttons(view({ taskId: longId }));
    expect(long).toHaveLength(3);
    for (const button of long) {
      expect(button.custom_id!.length).toBeGreaterThan(0);
      expect(button.custom_id!.length).toBeLessThanOrEqual(100);
      expect(refersTo(decodeButtonId(button.custom_id!)!.task, longId)).toBe(true);
    }
    expect(new Set(long.map((b) => b.custom_id)).size).toBe(3);
  });

  it('labels the buttons in Chinese for a zh-CN channel, within 80 characters', () => {
    const labels = buttons(view({ locale: 'zh-CN' })).map((b) => b.label ?? '');
    expect(labels).toEqual(['刷新', '通知我', '停止跟踪']);
    for (const label of labels) expect(label.length).toBeLessThanOrEqual(80);
  });

  it('changes the visible hash when the buttons go away', () => {
    const active = renderProgressMessage(view(), NOW);
    const stopped = renderProgressMessage(view({ tracking: { state: 'ended', reason: 'untracked' } }), NOW);
    expect(visibleHash(active)).not.toBe(visibleHash(stopped));
  });
});
